"""The example scripts run (so they cannot rot)."""
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.slow
def test_gradient_descent_tour(tmp_path):
    result = subprocess.run([sys.executable, str(EXAMPLES / "gradient_descent_tour.py")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert any(line.startswith("momentum") for line in lines)
    sigmoid = next(line for line in lines if line.startswith("sigmoid"))
    relu = next(line for line in lines if line.startswith("relu"))
    ratio = lambda line: float(line.rsplit("layer: ", 1)[1].rstrip(")"))  # first / last layer's gradient norm
    assert ratio(sigmoid) < 1 < ratio(relu)  # the sigmoid network's first layer learns slowest


@pytest.mark.slow
def test_nielsen_demo_runs(tmp_path):
    result = subprocess.run([sys.executable, str(EXAMPLES / "mnist_nielsen.py"), "--epochs", "1"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Epoch  1:" in result.stdout and "best test accuracy" in result.stdout
