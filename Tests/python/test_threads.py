"""Threading: the thread count is a speed setting only. Shapes large enough that the core cuts every
phase into several tiles give bit-identical models for 1, 2 and 3 threads, and match the NumPy
reference; the count is validated and its defaults follow the environment and the affinity mask."""
import os
import subprocess
import sys

import numpy as np
import pytest

import reference
import sgdswift as sg


@pytest.fixture
def restore_threads():
    before = sg.get_num_threads()
    yield
    sg.set_num_threads(before)


def train(threads, X, y, optimizer):
    sg.set_num_threads(threads)
    net = sg.Network([X.shape[1], 256, 64, 10], hidden="relu", output="softmax", loss="cross_entropy", seed=3)
    history = net.fit(X, y, epochs=2, batch_size=512, optimizer=optimizer, verbose=0)
    return net, history


@pytest.mark.parametrize("make_optimizer", [lambda: sg.SGD(lr=0.05, momentum=0.9), lambda: sg.Adam(lr=1e-3)],
                         ids=["momentum", "adam"])
def test_every_thread_count_gives_the_same_bits(restore_threads, make_optimizer):
    rng = np.random.default_rng(0)
    X = rng.random((2048, 300), dtype=np.float32)
    y = rng.integers(0, 10, 2048)
    runs = [train(threads, X, y, make_optimizer()) for threads in (1, 2, 3)]
    first, first_history = runs[0]
    for net, history in runs[1:]:
        assert net.parameters.tobytes() == first.parameters.tobytes()
        assert history.history["loss"] == first_history.history["loss"]


def test_a_tiled_gradient_matches_the_numpy_reference(restore_threads):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(600, 700))
    y = rng.integers(0, 10, 600)
    net = sg.Network([700, 512, 10], hidden="tanh", output="softmax", loss="cross_entropy", dtype="float64", seed=2)
    expected = reference.gradient(net.weights, net.biases, X, reference.one_hot(y, 10), "tanh", "softmax",
                                  "cross_entropy")
    for threads in (1, 2, 4):
        sg.set_num_threads(threads)
        dW, db = net.gradient(X, y)
        for ours, theirs in zip(dW + db, expected[0] + expected[1]):
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_set_num_threads_checks_its_argument(restore_threads):
    sg.set_num_threads(3)
    assert sg.get_num_threads() == 3
    with pytest.raises(TypeError, match=r"n: expected an int, got float 2\.0"):
        sg.set_num_threads(2.0)
    with pytest.raises(TypeError, match="n: expected an int, got bool"):
        sg.set_num_threads(True)
    for bad in (0, -1, 257, 2**70):
        with pytest.raises(ValueError, match=rf"n: expected 1 to 256 threads, got {bad}"):
            sg.set_num_threads(bad)
    assert sg.get_num_threads() == 3


def default_threads(environment, affinity=None):
    code = ("import os, warnings\n"
            + (f"os.sched_setaffinity(0, {affinity!r})\n" if affinity else "")
            + "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    import sgdswift as sg\n"
            "print(sg.get_num_threads(), len(caught))")
    env = {k: v for k, v in os.environ.items() if k not in ("SGDSWIFT_NUM_THREADS", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], env={**env, **environment}, capture_output=True, text=True,
                         check=True).stdout.split()
    return int(out[0]), int(out[1])


def test_the_default_follows_the_environment_then_the_affinity_mask():
    allowed = len(os.sched_getaffinity(0))
    assert default_threads({}) == (allowed, 0)
    assert default_threads({"SGDSWIFT_NUM_THREADS": "3", "OMP_NUM_THREADS": "2"}) == (3, 0)
    assert default_threads({"OMP_NUM_THREADS": "2,1"}) == (2, 0)
    assert default_threads({"SGDSWIFT_NUM_THREADS": "many"}) == (allowed, 1)  # warned, ignored
    assert default_threads({}, affinity={min(os.sched_getaffinity(0))}) == (1, 0)
