"""The extension is one self-contained library: the Swift runtime inside, nothing from the toolchain."""
import os
import subprocess
import sys


from sgdswift import _core


def test_swift_runtime_registers_protocol_conformances():
    assert _core.runtime_self_test() is True


def test_extension_needs_no_swift_library_and_no_toolchain_path():
    dynamic = subprocess.run(["readelf", "-d", _core.__file__], capture_output=True, text=True, check=True).stdout
    needed = [line for line in dynamic.splitlines() if "NEEDED" in line or "PATH" in line]
    assert needed and not any("swift" in line.lower() for line in needed), needed


def test_import_from_another_directory_with_a_bare_environment(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no LD_LIBRARY_PATH, no toolchain on PATH
    code = "import sgdswift, numpy; n = sgdswift.Network([2, 1]); print(n.predict(numpy.ones((1, 2))).shape)"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(1, 1)"


def test_the_cores_openblas_settings_do_not_reach_the_systems_openblas():
    """The core runs OpenBLAS single-threaded; a NumPy linked to the system's libopenblas.so.0 (Debian's
    python3-numpy) must keep its own thread count. Checked on that library, loaded by ctypes, in a
    fresh process."""
    code = ("import ctypes, ctypes.util, numpy as np\n"
            "lib = ctypes.CDLL('libopenblas.so.0')\n"
            "before = lib.openblas_get_num_threads()\n"
            "import sgdswift as sg\n"
            "net = sg.Network([64, 256, 10], seed=0)\n"
            "rng = np.random.default_rng(0)\n"
            "net.fit(rng.random((512, 64), dtype=np.float32), rng.integers(0, 10, 512), epochs=1, batch_size=256, verbose=0)\n"
            "print(before, lib.openblas_get_num_threads())")
    env = {key: value for key, value in os.environ.items() if key not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    result = subprocess.run([sys.executable, "-c", code], env={**env, "OPENBLAS_NUM_THREADS": "2"},
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    before, after = result.stdout.split()
    assert before == after == "2"
