"""Property-based fuzzing of the public API (Tests/python/fuzz/fuzz_driver.py), each target in its own interpreter.

A Swift trap kills the process that runs it, so the driver runs in a subprocess: a death by signal, a
nonzero exit, a hang or a failure in the driver's JSON summary fails the test, with the signal, the
case that was running (the driver writes each case to a log file before running it) and the
reproducers. Each target gets its own subprocess, so that a crash in one does not hide the others.

Budget: SGDSWIFT_FUZZ_EXAMPLES cases in all (default 12 000, about a minute on 2 cores); the long run
is `SGDSWIFT_FUZZ_EXAMPLES=100000 pytest Tests/python/fuzz` (SGDSWIFT_FUZZ_SEED picks another
seed). Needs hypothesis (`pip install hypothesis`).
"""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "fuzz_driver.py"
TOTAL = int(os.environ.get("SGDSWIFT_FUZZ_EXAMPLES", "12000"))
SEED = int(os.environ.get("SGDSWIFT_FUZZ_SEED", "0"))
# Relative share of the budget per target (the driver's TARGETS weights, kept here so that collecting
# this file needs neither hypothesis nor the driver).
WEIGHTS = {"constructor": 2, "data": 4, "fit_options": 2, "optimizer": 2, "files": 1, "threads": 1, "callbacks": 1,
           "sharing": 1, "estimators": 1, "export": 1}


def budget(target: str) -> int:
    return max(1, round(TOTAL * WEIGHTS[target] / sum(WEIGHTS.values())))


def describe(failure: dict) -> str:
    return (f"[{failure['target']}] {failure['kind']}: {failure['message']} (×{failure['count']}, expected "
            f"{failure['expected']}, names {failure['names']})\n    reproducer:\n        "
            + failure["reproducer"].replace("\n", "\n        "))


def test_driver_targets_match():
    pytest.importorskip("hypothesis", reason="the fuzz driver needs hypothesis: pip install hypothesis")
    sys.path.insert(0, str(HERE))
    try:
        import fuzz_driver
    finally:
        sys.path.remove(str(HERE))
    assert {name: weight for name, (_, weight) in fuzz_driver.TARGETS.items()} == WEIGHTS


@pytest.mark.parametrize("target", list(WEIGHTS))
def test_fuzz(target, tmp_path):
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        pytest.fail("the fuzz tests need hypothesis: pip install hypothesis")
    if target == "export":  # it runs the exported models
        pytest.importorskip("onnxruntime", reason="the export target needs onnxruntime: pip install onnxruntime")
    examples = budget(target)
    log = tmp_path / "last_case.py"
    command = [sys.executable, str(DRIVER), "--examples", str(examples), "--seed", str(SEED), "--target", target,
               "--log", str(log), "--case-timeout", "60"]
    timeout = 120 + examples * 0.05  # generous: about 5 ms per case is typical
    try:
        # A fixed hash seed: with the hypothesis seed, the same cases on every machine and every run.
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                env={**os.environ, "PYTHONHASHSEED": "0"},
                                cwd=str(tmp_path))
    except subprocess.TimeoutExpired as error:
        last = log.read_text(errors="replace") if log.exists() else "(no case logged)"
        pytest.fail(f"fuzz target {target!r} hung for {error.timeout:.0f} s; the case running:\n{last}")
    last = log.read_text(errors="replace") if log.exists() else "(no case logged)"
    if result.returncode < 0:
        name = signal.Signals(-result.returncode).name
        pytest.fail(f"fuzz target {target!r}: the interpreter died of {name} (signal {-result.returncode}) in this "
                    f"case (run it with `python` to reproduce):\n{last}\nstderr:\n{result.stderr[-3000:]}")
    if "Timeout (" in result.stderr:
        pytest.fail(f"fuzz target {target!r}: a case ran longer than 60 s (a hang):\n{last}\n"
                    f"stderr:\n{result.stderr[-3000:]}")
    try:
        summary = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"fuzz target {target!r}: exit code {result.returncode} without a summary; the last case:\n"
                    f"{last}\nstdout:\n{result.stdout[-2000:]}\nstderr:\n{result.stderr[-3000:]}")
    counts = summary["targets"][target]
    print(f"{target}: {counts}")
    assert counts.get("cases", 0) >= 0.9 * examples, f"only {counts.get('cases', 0)} of {examples} cases ran"
    if summary["failures"]:
        pytest.fail(f"fuzz target {target!r}: {len(summary['failures'])} distinct failures in {counts['cases']} "
                    f"cases (seed {SEED}):\n" + "\n".join(describe(f) for f in summary["failures"]))
    assert result.returncode == 0, result.stderr[-3000:]
