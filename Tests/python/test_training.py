"""The training loop: reproducibility, history, stopping, Ctrl-C, and real handwritten digits."""
import os
import signal
import threading
import time

import numpy as np
import pytest

import sgdswift as sg


def data(rows=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((rows, 6), dtype=np.float32)
    return X, (X[:, 0] + X[:, 1] > X[:, 2] + 0.5).astype(np.int64)


def test_same_seed_same_model_and_different_seed_different_model():
    X, y = data()
    runs = []
    for seed in (7, 7, 8):
        net = sg.Network([6, 5, 2], seed=seed)
        net.fit(X, y, epochs=3, batch_size=16, lr=0.5, verbose=False)
        runs.append(net.parameters.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_each_fit_call_shuffles_differently_but_reproducibly():
    X, y = data()
    a, b = sg.Network([6, 5, 2], seed=1), sg.Network([6, 5, 2], seed=1)
    a.fit(X, y, epochs=1, lr=0.5, verbose=False)
    a.fit(X, y, epochs=1, lr=0.5, verbose=False)
    b.fit(X, y, epochs=2, lr=0.5, verbose=False)
    assert not np.array_equal(a.parameters, b.parameters)  # two calls != one call of two epochs...
    c = sg.Network([6, 5, 2], seed=1)
    c.fit(X, y, epochs=1, lr=0.5, verbose=False)
    c.fit(X, y, epochs=1, lr=0.5, verbose=False)
    np.testing.assert_array_equal(a.parameters, c.parameters)  # ...but always the same


def test_shuffle_changes_the_order_of_the_updates():
    X, y = data()
    a, b = sg.Network([6, 5, 2], seed=1), sg.Network([6, 5, 2], seed=1)
    a.fit(X, y, epochs=1, batch_size=10, lr=0.5, shuffle=True, verbose=False)
    b.fit(X, y, epochs=1, batch_size=10, lr=0.5, shuffle=False, verbose=False)
    assert not np.array_equal(a.parameters, b.parameters)


def test_batch_gradient_descent_ignores_the_shuffle():
    X, y = data()
    a = sg.Network([6, 5, 2], dtype="float64", seed=1)
    b = sg.Network([6, 5, 2], dtype="float64", seed=1)
    a.fit(X, y, epochs=3, batch_size=None, lr=0.5, shuffle=True, verbose=False)
    b.fit(X, y, epochs=3, batch_size=len(X), lr=0.5, shuffle=False, verbose=False)
    np.testing.assert_allclose(a.parameters, b.parameters, rtol=1e-12)


def test_history_records_every_epoch(capsys):
    X, y = data()
    net = sg.Network([6, 8, 2], hidden="relu", output="softmax", loss="cross_entropy", seed=0)
    history = net.fit(X, y, epochs=4, batch_size=20, lr=0.3, validation_data=(X[:50], y[:50]), verbose=2)
    assert history is net.history
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time", "grad_norm"}
    assert all(len(values) == 4 for values in history.history.values())
    assert history.history["loss"][-1] < history.history["loss"][0]
    final = net.evaluate(X[:50], y[:50])
    assert history.history["val_loss"][-1] == pytest.approx(final["loss"])
    assert history.history["val_accuracy"][-1] == pytest.approx(final["accuracy"])
    assert capsys.readouterr().out.count("Epoch") == 4


def test_callback_receives_logs_and_false_stops():
    X, y = data()
    seen = []

    def callback(epoch, logs):
        seen.append((epoch, sorted(logs)))
        return epoch < 1  # stop after the second epoch

    net = sg.Network([6, 4, 2], seed=0)
    history = net.fit(X, y, epochs=10, lr=0.5, verbose=False, callbacks=callback)
    assert [epoch for epoch, _ in seen] == [0, 1]
    assert seen[0][1] == ["accuracy", "grad_norm", "loss", "lr", "time"]
    assert len(history.epoch) == 2


def test_an_exception_in_the_callback_propagates_and_keeps_the_history():
    X, y = data()

    def callback(epoch, logs):
        if epoch == 2:
            raise RuntimeError("stop here")

    net = sg.Network([6, 4, 2], seed=0)
    with pytest.raises(RuntimeError, match="stop here"):
        net.fit(X, y, epochs=10, lr=0.5, verbose=False, callbacks=callback)
    assert len(net.history.epoch) == 3


def test_ctrl_c_interrupts_within_100_ms_and_leaves_a_usable_model(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((100_000, 20), dtype=np.float32)
    y = rng.integers(0, 2, 100_000)
    net = sg.Network([20, 30, 2], seed=0)
    sent = []

    def interrupt():
        time.sleep(0.3)
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt).start()
    with pytest.raises(KeyboardInterrupt):
        net.fit(X, y, epochs=1000, batch_size=1, lr=0.01, verbose=False)
    latency = time.perf_counter() - sent[0]
    assert latency < 0.1
    assert np.isfinite(net.parameters).all()
    finished = len(net.history.epoch)  # the history of the epochs finished before Ctrl-C is kept
    assert finished < 1000 and (np.isfinite(net.history.history["loss"]).all() if finished else net.history.history == {})
    net.save(tmp_path / "interrupted.npz")
    assert sg.load(tmp_path / "interrupted.npz").parameters.tobytes() == net.parameters.tobytes()
    net.fit(X[:100], y[:100], epochs=1, verbose=False)  # training can continue


@pytest.fixture(scope="module")
def mnist():
    from sgdswift.datasets import load_mnist

    return load_mnist(split="standard")


@pytest.mark.slow
def test_mnist_nielsen_network_learns_digits(mnist):
    """Nielsen's 784-30-10 sigmoid/quadratic network, η = 3, batch 10, on his 50 000 real training digits
    for 3 epochs: at least 92% of the 10 000 test digits right (his 30-epoch run reaches about 95%)."""
    (X_train, y_train), (X_test, y_test) = mnist
    net = sg.Network([784, 30, 10], hidden="sigmoid", output="sigmoid", loss="quadratic", init="normal", seed=0)
    history = net.fit(X_train[:50_000], y_train[:50_000], epochs=3, batch_size=10, lr=3.0,
                      validation_data=(X_test, y_test), verbose=False)
    assert history.history["val_accuracy"][-1] >= 0.92


@pytest.mark.slow
def test_mnist_softmax_cross_entropy_relu(mnist):
    (X_train, y_train), (X_test, y_test) = mnist
    net = sg.Network([784, 100, 10], hidden="relu", output="softmax", loss="cross_entropy", seed=0)
    net.fit(X_train, y_train, epochs=2, batch_size=32, lr=0.1, verbose=False)
    assert net.evaluate(X_test, y_test)["accuracy"] >= 0.95
