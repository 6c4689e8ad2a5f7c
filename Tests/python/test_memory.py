"""Zero copy: the parameters are the core's memory, and fit trains on the caller's arrays in place."""
import subprocess
import sys
import textwrap

import numpy as np

import sgdswift as sg


def test_weights_and_biases_share_the_core_memory():
    net = sg.Network([4, 5, 3], seed=0)
    for view in net.weights + net.biases:
        assert np.shares_memory(view, net.parameters)
        assert view.flags.writeable
    assert [w.shape for w in net.weights] == [(4, 5), (5, 3)]
    assert [b.shape for b in net.biases] == [(5,), (3,)]
    assert net.parameters.size == 4 * 5 + 5 + 5 * 3 + 3


def test_writing_a_view_changes_the_model():
    net = sg.Network([2, 1], hidden="identity", output="identity", loss="mse", dtype="float64", seed=0)
    net.weights[0][...] = [[2.0], [3.0]]
    net.biases[0][...] = 1.0
    np.testing.assert_array_equal(net.predict(np.array([[1.0, 1.0], [0.5, -1.0]])), [[6.0], [-1.0]])


def test_training_updates_the_views_in_place():
    net = sg.Network([3, 4, 2], seed=0)
    W = net.weights[0]
    before = W.copy()
    rng = np.random.default_rng(0)
    net.fit(rng.random((40, 3), dtype=np.float32), rng.integers(0, 2, 40), epochs=1, lr=1.0, verbose=False)
    assert not np.array_equal(W, before)  # the same view object sees the trained weights


def test_read_only_inputs_are_accepted_and_not_written():
    rng = np.random.default_rng(1)
    X = rng.random((30, 3), dtype=np.float32)
    X.flags.writeable = False
    y = rng.integers(0, 2, 30)
    y.flags.writeable = False
    net = sg.Network([3, 2], seed=0)
    net.fit(X, y, epochs=2, lr=0.5, verbose=False)
    assert net.predict(X).shape == (30, 2)


PEAK_MEMORY_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import sgdswift as sg

    def status(key):  # kB
        with open("/proc/self/status") as lines:
            return next(int(line.split()[1]) * 1024 for line in lines if line.startswith(key))

    dtype = sys.argv[1]
    rng = np.random.default_rng(0)
    X = rng.random((60_000, 784), dtype=dtype)  # 188 MB as float32
    y = rng.integers(0, 10, 60_000)
    net = sg.Network([784, 30, 10], seed=0)
    net.predict(X[:10]); net.loss(X[:10], y[:10])  # warm up allocator and BLAS outside the measurement
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # the peak (VmHWM) starts again from the current resident size
    before = status("VmRSS:")
    net.fit(X, y, epochs=1, batch_size=100, lr=0.1, verbose=False)
    print((status("VmHWM:") - before) / X.astype(np.float32, copy=False).nbytes)
""")


def peak_growth(dtype):
    """Growth of peak RSS during fit, as a fraction of the float32 input's size (fresh process, Linux's
    resettable peak: the creation of X, which may have peaked higher, does not hide a copy)."""
    result = subprocess.run([sys.executable, "-c", PEAK_MEMORY_SCRIPT, dtype], capture_output=True, text=True,
                            check=True)
    return float(result.stdout.strip())


def test_fit_does_not_copy_x():
    assert peak_growth("float32") < 0.05


def test_the_peak_memory_measurement_detects_a_copy():
    # float64 X for a float32 network is converted once: the same measurement must see that copy.
    assert peak_growth("float64") > 0.9
