"""Reliability: concurrent training, Ctrl-C from another process, a save killed half-way, memory that
stays flat over many create/fit/destroy cycles, and the numerically dangerous corners of the losses."""
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import reference
import sgdswift as sg


def train_one(seed):
    """A small classifier trained from `seed`: its parameters and its loss history."""
    rng = np.random.default_rng(seed)
    X = rng.random((3000, 40), dtype=np.float32)
    y = rng.integers(0, 5, 3000)
    net = sg.Network([40, 64, 5], hidden="relu", output="softmax", loss="cross_entropy", seed=seed)
    history = net.fit(X, y, epochs=3, batch_size=32, optimizer=sg.Adam(lr=1e-3), verbose=0)
    return net.parameters.copy(), history.history["loss"]


def test_eight_threads_training_eight_networks_match_training_them_one_after_another():
    sequential = [train_one(seed) for seed in range(8)]
    results = [None] * 8
    barrier = threading.Barrier(8)

    def work(seed):
        barrier.wait()  # all eight inside fit at once
        results[seed] = train_one(seed)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for (parameters, losses), (expected_parameters, expected_losses) in zip(results, sequential):
        assert parameters.tobytes() == expected_parameters.tobytes()
        assert losses == expected_losses


SIGINT_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import sgdswift as sg

    rng = np.random.default_rng(0)
    X = rng.random((200_000, 20), dtype=np.float32)
    y = (X[:, 0] > X[:, 1]).astype(np.int64)  # learnable: the loss must keep falling after the interrupt
    net = sg.Network([20, 30, 2], seed=0)

    class Announce(sg.Callback):
        def on_batch_end(self, batch, logs):
            if batch == 100:
                print("training", flush=True)

    try:
        net.fit(X, y, epochs=100, batch_size=1, lr=0.01, verbose=0, callbacks=[Announce()])
    except KeyboardInterrupt:
        assert np.isfinite(net.parameters).all()
        net.save(sys.argv[1])
        restored = sg.load(sys.argv[1])
        assert restored.parameters.tobytes() == net.parameters.tobytes()
        before = net.loss(X[:2000], y[:2000])
        net.fit(X[:2000], y[:2000], epochs=3, batch_size=10, lr=0.5, verbose=0)  # training continues
        print("interrupted", before, net.loss(X[:2000], y[:2000]), flush=True)
    else:
        print("not interrupted", flush=True)
""")


def test_sigint_from_another_process_mid_epoch_leaves_a_usable_savable_model(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", SIGINT_SCRIPT, str(tmp_path / "model.npz")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "training"
    time.sleep(0.2)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err[-2000:]
    words = out.split()
    assert words[0] == "interrupted", out
    assert float(words[2]) < float(words[1])  # the interrupted model went on learning


SAVE_LOOP_SCRIPT = textwrap.dedent("""
    import sys
    import sgdswift as sg

    net = sg.Network([784, 1024, 1024, 10], seed=0)  # 7 MB of parameters: each save takes a while
    net.save(sys.argv[1])
    print("saved", flush=True)
    generation = 0
    while True:
        generation += 1
        net.biases[0][0] = generation
        net.save(sys.argv[1])
""")


def test_a_save_killed_half_way_leaves_a_complete_model(tmp_path):
    path = tmp_path / "model.npz"
    for attempt, delay in enumerate((0.05, 0.13, 0.31, 0.47)):
        child = subprocess.Popen([sys.executable, "-c", SAVE_LOOP_SCRIPT, str(path)], stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "saved"
        time.sleep(delay)
        child.kill()  # SIGKILL: no handler, no cleanup
        child.wait()
        net = sg.load(path)  # always one whole model: the previous or the new one
        assert net.sizes == [784, 1024, 1024, 10]
        assert np.isfinite(net.parameters).all()
        reference_net = sg.Network([784, 1024, 1024, 10], seed=0)
        reference_net.biases[0][0] = net.biases[0][0]
        assert net.parameters.tobytes() == reference_net.parameters.tobytes()
    leftovers = [name for name in os.listdir(tmp_path) if name != "model.npz"]
    assert len(leftovers) <= 4  # at most one temporary file per killed process, never a damaged model


MEMORY_CYCLES_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import sgdswift as sg

    def resident():
        with open("/proc/self/status") as lines:
            return next(int(line.split()[1]) * 1024 for line in lines if line.startswith("VmRSS:"))

    rng = np.random.default_rng(0)
    X = rng.random((64, 20), dtype=np.float32)
    y = rng.integers(0, 3, 64)
    cycles = int(sys.argv[1])
    samples = []
    for cycle in range(cycles):
        net = sg.Network([20, 16, 3], hidden="relu", output="softmax", loss="cross_entropy", seed=cycle)
        net.fit(X, y, epochs=1, batch_size=16, optimizer=sg.Adam(lr=1e-3), verbose=0)
        net.predict(X)
        del net
        if cycle in (cycles // 10, cycles - 1):
            samples.append(resident())
    print(samples[0], samples[1])
""")


def test_ten_thousand_create_fit_destroy_cycles_keep_memory_flat():
    """Resident memory after 10% of the cycles (allocator and caches warm) and after all of them:
    the growth stays under 2 MiB, i.e. under 250 bytes per cycle — a leak of one workspace or
    one parameter buffer per cycle would be ≥ 4 KiB."""
    out = subprocess.run([sys.executable, "-c", MEMORY_CYCLES_SCRIPT, "10000"], capture_output=True, text=True,
                         check=True, timeout=600).stdout.split()
    warm, end = int(out[0]), int(out[1])
    assert end - warm < 2 * 2**20, f"RSS grew by {(end - warm) / 2**20:.2f} MiB over 9 000 cycles"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_saturated_sigmoids_and_binary_cross_entropy_stay_finite(dtype):
    net = sg.Network([2, 1], hidden="sigmoid", output="sigmoid", loss="binary_cross_entropy", dtype=dtype, seed=0)
    net.weights[0][...] = [[1000.0], [-1000.0]]
    net.biases[0][...] = 0
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]], dtype=dtype)
    Y = np.array([[0.0], [1.0], [1.0], [0.0]], dtype=dtype)  # two rows confidently wrong: a = 1, y = 0
    loss = net.loss(X, Y)
    dW, db = net.gradient(X, Y)
    # Exact values: log(1 + e^1000) = 1000 for the wrong rows (and 0 for the right ones), averaged;
    # ∂C/∂z = a − y, so ∂W = xᵀ(a − y)/n.
    assert loss == pytest.approx(2 * 1000.0 / 4, rel=1e-6)
    np.testing.assert_allclose(dW[0], [[0.25], [-0.25]], atol=1e-6)
    np.testing.assert_allclose(db[0], [0.0], atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_of_huge_logits_and_log_of_zero_stay_finite(dtype):
    net = sg.Network([3, 3], hidden="relu", output="softmax", loss="cross_entropy", dtype=dtype, seed=0)
    net.weights[0][...] = np.diag([1e4, -1e4, 0.0])
    net.biases[0][...] = 0
    X = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=dtype)
    y = np.array([1, 1])  # the true classes get probability e^-10000 = 0 in floating point
    a = net.predict(X)
    assert np.isfinite(a).all()
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-6)
    loss = net.loss(X, y)
    # −log softmax(z)_y = logsumexp(z) − z_y: 1e4 + log(1 + 2e^−1e4) = 1e4 and log 2 + 1e4.
    assert loss == pytest.approx(1e4 + np.log(2) / 2, rel=1e-7)
    dW, db = net.gradient(X, y)
    expected_dW, expected_db = reference.gradient([net.weights[0]], [net.biases[0]], X.astype(np.float64),
                                                  reference.one_hot(y, 3), "relu", "softmax", "cross_entropy")
    assert np.isfinite(dW[0]).all() and np.isfinite(db[0]).all()
    np.testing.assert_allclose(dW[0], expected_dW[0], atol=1e-6)
    np.testing.assert_allclose(db[0], expected_db[0], atol=1e-6)
