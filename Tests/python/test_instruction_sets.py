"""The instruction set is chosen at run time from CPUID (never from the building machine), reported by
get_config, narrowed by SGDSWIFT_ISA, and every path gives the same results within rounding. Each
setting is tried in a fresh process, since the choice is made once, at import."""
import json
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

import sgdswift as sg

ORDER = sg.config.INSTRUCTION_SETS


def cpu_flags():
    """The CPU's flags as the kernel reports them: an independent reading of what CPUID says."""
    with open("/proc/cpuinfo") as cpuinfo:
        line = next(line for line in cpuinfo if line.startswith("flags"))
    return set(line.split(":", 1)[1].split())


def expected_instruction_set(flags):
    v3 = {"avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "abm"}
    v4 = {"avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"}
    return "avx512" if v3 | v4 <= flags else "avx2" if v3 <= flags else "baseline"


def run(code, isa=None, extra_env=None):
    env = {key: value for key, value in os.environ.items() if key != "SGDSWIFT_ISA"}
    if isa is not None:
        env["SGDSWIFT_ISA"] = isa
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


AVAILABLE = ORDER[:ORDER.index(sg.get_config()["detected_instruction_set"]) + 1]
MATRIX_KERNELS = {"avx512": {"SkylakeX"}, "avx2": {"Haswell"}, "baseline": {"Prescott"}}
# libxsmm generates AVX2 kernels ("hsw") or none ("generic") when a narrower set is asked for.
SMALL_PRODUCT_KERNELS = {"avx2": "(hsw)", "baseline": "(generic)"}


def test_the_widest_instruction_set_the_cpu_has_is_detected_and_used():
    config = sg.get_config()
    assert config["detected_instruction_set"] == expected_instruction_set(cpu_flags())
    if "SGDSWIFT_ISA" not in os.environ:
        assert config["instruction_set"] == config["detected_instruction_set"]
    assert config["matrix_engine"].startswith("OpenBLAS ")
    assert config["matrix_kernels"] in config["matrix_engine"]
    built_without = config["small_product_kernels"] == "none (built without libxsmm)"
    assert config["small_product_kernels"].startswith("libxsmm ") or (built_without and platform.machine() != "x86_64")
    assert config["threads"] == sg.get_num_threads()


@pytest.mark.parametrize("isa", AVAILABLE)
def test_sgdswift_isa_narrows_both_the_kernels_and_the_matrix_engine(isa):
    code = "import json, sgdswift as sg; print(json.dumps(sg.get_config()))"
    # Settings for NumPy's OpenBLAS or another libxsmm must not reach ours.
    result = run(code, isa, {"OPENBLAS_CORETYPE": "Zen", "LIBXSMM_TARGET": "snb"})
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["instruction_set"] == isa
    if isa != config["detected_instruction_set"] or isa == "avx512":
        assert config["matrix_kernels"] in MATRIX_KERNELS[isa]
    if isa != config["detected_instruction_set"]:
        assert config["small_product_kernels"].endswith(SMALL_PRODUCT_KERNELS[isa])
    else:
        assert not config["small_product_kernels"].endswith(("(snb)", "(generic)"))


def test_import_changes_no_environment_variable():
    code = "import os, json; before = dict(os.environ); import sgdswift; print(json.dumps(before == dict(os.environ)))"
    for extra in ({}, {"OPENBLAS_CORETYPE": "Haswell"}):
        result = run(code, None, extra)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "true"


@pytest.mark.parametrize("value", ["sse9", "AVX2", "avx1024"])
def test_an_unknown_or_unsupported_request_is_refused_naming_the_variable(value):
    result = run("import sgdswift", value)
    assert result.returncode == 1
    assert "ValueError: SGDSWIFT_ISA" in result.stderr and repr(value) in result.stderr


FIT = """
import numpy as np, sgdswift as sg
dtype = DTYPE
rng = np.random.default_rng(0)
X = rng.normal(size=(300, 37)).astype(dtype)
y = rng.integers(0, 5, 300)
results = {}
for hidden, optimizer in (("relu", sg.Adam(lr=1e-2)), ("sigmoid", sg.SGD(lr=0.5, momentum=0.9)),
                          ("tanh", sg.RMSProp(lr=1e-3)), ("relu", sg.AdaGrad(lr=0.05)),
                          (["gelu", "silu"], sg.Adam(lr=1e-2)), (["leaky_relu", "elu"], sg.SGD(lr=0.1)),
                          ("softplus", sg.SGD(lr=0.1))):
    net = sg.Network([37, 33, 17, 5], hidden=hidden, output="softmax", loss="cross_entropy", seed=1, dtype=dtype)
    net.fit(X, y, epochs=3, batch_size=7, optimizer=optimizer, verbose=0)
    results[f"{'-'.join(net.hidden_activations)} {type(optimizer).__name__}"] = np.concatenate(
        [w.ravel() for w in net.weights + net.biases])
np.savez(OUT, **results)
"""


@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-10), ("float32", 2e-4)])
def test_every_instruction_set_trains_to_the_same_weights_within_rounding(tmp_path, dtype, tolerance):
    """The elementwise kernels agree bit for bit (Swift unit tests); the matrix engine's kernels for
    each set add in different orders, so the weights agree to rounding, compounded over 129 steps."""
    weights = {}
    for isa in AVAILABLE:
        out = tmp_path / f"{isa}.npz"
        result = run(FIT.replace("OUT", repr(str(out))).replace("DTYPE", repr(dtype)), isa)
        assert result.returncode == 0, result.stderr
        weights[isa] = dict(np.load(out))
    reference = weights["baseline"]
    for isa, trained in weights.items():
        for name, values in trained.items():
            scale = np.abs(reference[name]).max()
            assert np.abs(values - reference[name]).max() <= tolerance * scale, (isa, name)
