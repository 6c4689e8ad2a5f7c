"""The training loop's options against the NumPy reference: schedules, L2, clipping, the normalised
step, validation split, gradient norms, callbacks, early stopping, divergence, gradient check."""
import math
import threading

import numpy as np
import pytest

import reference
import sgdswift as sg
from conftest import VALID_COMBINATIONS

ARCHITECTURE = dict(hidden="sigmoid", output="sigmoid", loss="quadratic")


def data(rows=48, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 4))
    return X, rng.integers(0, 3, rows)


def network(seed=5):
    return sg.Network([4, 6, 3], **ARCHITECTURE, dtype="float64", seed=seed)


def reference_epochs(net, X, y, epochs, batch_size, lr_for_epoch, transform=None):
    """Plain SGD epochs in NumPy, without shuffling, with the gradient passed through `transform`."""
    weights, biases = net.weights, net.biases
    for epoch in range(epochs):
        weights, biases = reference.sgd_epoch(weights, biases, X, y, ARCHITECTURE["hidden"], ARCHITECTURE["output"],
                                              ARCHITECTURE["loss"], lr_for_epoch(epoch), batch_size,
                                              transform=transform)
    return weights + biases


def assert_parameters(net, expected, rtol=1e-11):
    for actual, wanted in zip(net.weights + net.biases, expected):
        np.testing.assert_allclose(actual, wanted, rtol=rtol, atol=1e-13)


SCHEDULES = [
    (sg.Constant(), lambda e: 0.5),
    (sg.StepDecay(step_size=2, gamma=0.5), lambda e: 0.5 * 0.5 ** (e // 2)),
    (sg.ExponentialDecay(gamma=0.8), lambda e: 0.5 * 0.8 ** e),
    (sg.InverseScaling(power=0.5), lambda e: 0.5 / math.sqrt(e + 1)),
    (sg.CosineAnnealing(epochs=4, min_lr=0.01), lambda e: 0.01 + 0.49 * (1 + math.cos(math.pi * e / 4)) / 2),
    (lambda epoch: 0.3 / (1 + epoch), lambda e: 0.3 / (1 + e)),
]


@pytest.mark.parametrize("schedule,expected", SCHEDULES, ids=lambda s: type(s).__name__)
def test_schedules_set_each_epochs_rate(schedule, expected):
    X, y = data()
    net = network()
    wanted = reference_epochs(net, X, y, 5, 16, expected)
    optimizer = sg.SGD(lr=0.5)
    history = net.fit(X, y, epochs=5, batch_size=16, shuffle=False, optimizer=optimizer, schedule=schedule, verbose=0)
    assert history.history["lr"] == pytest.approx([expected(e) for e in range(5)], rel=1e-15)
    assert_parameters(net, wanted)
    assert optimizer.lr == 0.5  # the schedule sets each epoch's rate, not the optimizer's own


def test_reduce_on_plateau_cuts_the_rate_after_patience_epochs():
    schedule = sg.ReduceOnPlateau(monitor="loss", factor=0.5, patience=1)
    rates = []
    for epoch, loss in enumerate([1.0, 0.5, 0.6, 0.7, 0.4, 0.45, 0.5, 0.5]):
        rates.append(schedule(epoch, 0.1))
        schedule.on_epoch_end(epoch, {"loss": loss})
    # no improvement at epochs 2, 3 -> halved from epoch 4; again at 5, 6 -> halved from epoch 7
    assert rates == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025])


def test_reduce_on_plateau_in_fit():
    X, y = data()
    net = network()
    history = net.fit(X, y, epochs=6, batch_size=16, lr=1e-9, verbose=0,  # too small to improve anything
                      schedule=sg.ReduceOnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=1e-3))
    assert history.history["lr"] == pytest.approx([1e-9, 1e-9, 5e-10, 2.5e-10, 1.25e-10, 6.25e-11])


def test_l2_regularisation_is_nielsens_lambda_over_n():
    X, y = data()
    net = network()
    lam, n = 0.7, len(X)

    def penalise(weights, biases, dW, db):
        return [g + lam / n * w for g, w in zip(dW, weights)], db  # biases are not regularised

    wanted = reference_epochs(net, X, y, 2, 16, lambda e: 0.5, penalise)
    net.fit(X, y, epochs=2, batch_size=16, shuffle=False, lr=0.5, l2=lam, verbose=0)
    assert_parameters(net, wanted)


def global_norm(dW, db):
    return math.sqrt(sum((g ** 2).sum() for g in dW + db))


def test_clipping_rescales_long_gradients_only():
    X, y = data()
    net = network()
    clip = 0.05

    def clipped(weights, biases, dW, db):
        norm = global_norm(dW, db)
        factor = clip / norm if norm > clip else 1.0
        return [g * factor for g in dW], [g * factor for g in db]

    wanted = reference_epochs(net, X, y, 2, 8, lambda e: 0.5, clipped)
    net.fit(X, y, epochs=2, batch_size=8, shuffle=False, lr=0.5, clip_norm=clip, verbose=0)
    assert_parameters(net, wanted)


def test_normalised_step_moves_exactly_eta():
    X, y = data()
    net = network()
    before = net.parameters.copy()
    net.fit(X, y, epochs=1, batch_size=None, lr=0.01, normalize_gradient=True, verbose=0)
    assert np.linalg.norm(net.parameters - before) == pytest.approx(0.01, rel=1e-12)


def test_validation_split_holds_out_the_last_rows():
    X, y = data(rows=50)
    net = network()
    history = net.fit(X, y, epochs=2, batch_size=10, lr=0.5, validation_split=0.2, verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(net.loss(X[40:], y[40:]), rel=1e-14)
    wanted = network()
    wanted.fit(X[:40], y[:40], epochs=2, batch_size=10, lr=0.5, verbose=0)
    np.testing.assert_array_equal(net.parameters, wanted.parameters)  # trained on the first 40 rows only


def test_gradient_norms_per_layer_equal_the_reference():
    X, y = data()
    net = network()
    dW, db = reference.gradient(net.weights, net.biases, X, y, **{
        "hidden": "sigmoid", "output": "sigmoid", "loss_name": "quadratic"})
    history = net.fit(X, y, epochs=1, batch_size=None, lr=0.1, verbose=0)  # one batch: the full gradient
    expected = [math.sqrt((w ** 2).sum() + (b ** 2).sum()) for w, b in zip(dW, db)]
    assert history.history["grad_norm"] == [pytest.approx(expected, rel=1e-12)]


def test_batch_callbacks_see_every_mini_batch_and_can_stop():
    X, y = data(rows=50)

    class Recorder(sg.Callback):
        def __init__(self):
            self.batches, self.events = [], []

        def on_train_begin(self, network):
            self.events.append("begin")

        def on_batch_end(self, batch, logs):
            self.batches.append((logs["epoch"], batch, logs["loss"]))
            return not (logs["epoch"] == 1 and batch == 2)  # stop in the middle of epoch 2

        def on_epoch_end(self, epoch, logs):
            self.events.append(epoch)

        def on_train_end(self, network):
            self.events.append("end")

    recorder = Recorder()
    net = network()
    history = net.fit(X, y, epochs=5, batch_size=10, lr=0.5, callbacks=[recorder], verbose=0)
    assert [(e, b) for e, b, _ in recorder.batches] == [(0, b) for b in range(5)] + [(1, 0), (1, 1), (1, 2)]
    assert recorder.events == ["begin", 0, "end"]
    assert len(history.epoch) == 1
    assert history.history["loss"][0] == pytest.approx(np.mean([loss for e, _, loss in recorder.batches if e == 0]))


def test_early_stopping_restores_the_best_weights():
    X, y = data()
    Xv, yv = data(rows=30, seed=1)
    snapshots = []
    stopper = sg.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    net = network()
    net.fit(X, y, epochs=200, batch_size=4, lr=5.0, validation_data=(Xv, yv), verbose=0,  # overfits quickly
            callbacks=[stopper, lambda epoch, logs: snapshots.append((logs["val_loss"], net.parameters.copy()))])
    assert stopper.stopped_epoch is not None and stopper.stopped_epoch == stopper.best_epoch + 2
    assert len(snapshots) == stopper.stopped_epoch + 1
    best = min(range(len(snapshots)), key=lambda i: snapshots[i][0])
    assert best == stopper.best_epoch
    np.testing.assert_array_equal(net.parameters, snapshots[best][1])


def test_a_validation_loss_that_overflows_is_a_divergence_with_the_epochs_weights_kept():
    """Finite weights whose exp output overflows on the validation rows (e^1000): the fit raises
    DivergenceError instead of recording val_loss = inf; the network keeps the epoch's finite weights."""
    net = sg.Network([1, 1], output="exp", loss="poisson", dtype="float64", seed=0)
    net.weights[0][...] = 1.0
    net.biases[0][...] = 0.0
    X, y = np.array([[0.5]]), np.array([[1.0]])
    delta = np.exp(0.5) - 1.0  # δ = e^z − y at z = 1·0.5 + 0: one SGD step gives W = 1 − η·0.5δ, b = −η·δ
    expected = [1.0 - 1e-3 * 0.5 * delta, -1e-3 * delta]
    with pytest.raises(sg.DivergenceError, match=r"epoch 1: the validation loss is inf"):
        net.fit(X, y, epochs=3, batch_size=1, optimizer=sg.SGD(lr=1e-3), validation_data=(np.array([[1000.0]]), y),
                verbose=0)
    np.testing.assert_allclose(net.parameters, expected, rtol=1e-15)  # the epoch's step, kept
    assert net.optimizer.steps == 0  # its state was reset


def test_divergence_raises_and_keeps_the_weights_before_the_divergent_step(tmp_path):
    X, y = data()
    X = X * 1e3
    snapshots = []

    class Snapshots(sg.Callback):
        def on_batch_end(self, batch, logs):
            snapshots.append(net.parameters.copy())

    net = sg.Network([4, 6, 3], hidden="identity", output="identity", loss="mse", dtype="float64", seed=0)
    initial = net.parameters.copy()
    with pytest.raises(sg.DivergenceError, match=r"diverged in epoch \d+ .*smaller learning rate"):
        net.fit(X, y, epochs=50, batch_size=4, optimizer=sg.SGD(lr=1e-4), callbacks=[Snapshots()], verbose=0)
    before_divergent_step = snapshots[-1] if snapshots else initial  # the divergent step is never taken
    np.testing.assert_array_equal(net.parameters, before_divergent_step)
    assert np.isfinite(net.parameters).all()
    assert net.optimizer.steps == 0  # its state was reset
    net.save(tmp_path / "diverged.npz")  # usable: savable, and it trains on
    assert sg.load(tmp_path / "diverged.npz").parameters.tobytes() == net.parameters.tobytes()
    net.parameters[...] = initial
    net.fit(X / 1e3, y, epochs=1, verbose=0)  # the same optimizer trains on: its state is not poisoned
    assert np.isfinite(net.parameters).all()


def test_the_gil_is_released_while_fit_runs():
    X = np.random.default_rng(0).random((20000, 50))
    y = np.zeros(20000, dtype=np.int64)
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(1)

    thread = threading.Thread(target=count)
    net = sg.Network([50, 50, 2], dtype="float64", seed=0)
    thread.start()
    try:
        net.fit(X, y, epochs=3, batch_size=1, lr=0.01, verbose=0)
        during = len(ticks)
    finally:
        done.set()
        thread.join()
    assert during > 1000  # the counting thread ran throughout


def test_verbose_one_draws_a_progress_bar(capsys, monkeypatch):
    for module in ("tqdm.std", "tqdm.auto"):  # the plain bar, whatever is installed
        monkeypatch.setitem(__import__("sys").modules, module, None)
    X, y = data()
    network().fit(X, y, epochs=2, batch_size=4, lr=0.5, verbose=1)
    out = capsys.readouterr().out
    assert out.count("\n") == 2 and "Epoch 1/2: loss" in out and "Epoch 2/2: loss" in out


@pytest.mark.parametrize("hidden,output,loss", VALID_COMBINATIONS)
def test_gradient_check_passes_for_every_combination(hidden, output, loss):
    rng = np.random.default_rng(7)
    net = sg.Network([3, 4, 3], hidden=hidden, output=output, loss=loss, dtype="float64", seed=1)
    net.parameters[...] = rng.normal(scale=0.7, size=net.parameters.size)
    X = rng.normal(size=(6, 3))
    Y = rng.dirichlet(np.ones(3), 6) if loss == "cross_entropy" else rng.uniform(0.1, 0.9, (6, 3))
    before = net.parameters.copy()
    result = sg.gradient_check(net, X, Y)
    assert result.checked == net.parameters.size
    assert result.max_relative_error <= 1e-7, str(result)
    np.testing.assert_array_equal(net.parameters, before)  # restored exactly


def test_gradient_check_catches_a_wrong_gradient(monkeypatch):
    rng = np.random.default_rng(8)
    net = sg.Network([3, 4, 2], hidden="tanh", output="sigmoid", loss="binary_cross_entropy", dtype="float64", seed=2)
    X, Y = rng.normal(size=(8, 3)), rng.uniform(size=(8, 2))
    honest = net.gradient

    def wrong_gradient(X, Y):
        dW, db = honest(X, Y)
        dW[1][2, 1] *= 1.001  # one entry off by 0.1%
        return dW, db

    monkeypatch.setattr(net, "gradient", wrong_gradient)
    result = sg.gradient_check(net, X, Y)
    assert result.max_relative_error > 5e-4
    assert (result.layer, result.kind, result.index) == (1, "W", (2, 1))


def test_gradient_check_samples_large_networks():
    net = sg.Network([30, 40, 10], hidden="relu", output="softmax", loss="cross_entropy", dtype="float64", seed=3)
    rng = np.random.default_rng(9)
    result = sg.gradient_check(net, rng.normal(size=(5, 30)), rng.integers(0, 10, 5), samples=50, seed=1)
    assert result.checked == 50 and result.relative_error_norm < 1e-8


def test_a_callback_may_change_the_learning_rate_and_save_a_checkpoint(tmp_path):
    """Keras-style callbacks: `optimizer.lr = η` takes effect from the next step (here η = 0: the
    weights stop moving), and `net.save` from inside fit writes a loadable checkpoint with the
    optimizer's state."""
    X, y = data()
    net = network()
    initial = net.parameters.copy()
    snapshots = []

    class FreezeAfterFirstEpoch(sg.Callback):
        def on_epoch_end(self, epoch, logs):
            snapshots.append(net.parameters.copy())
            net.save(tmp_path / f"epoch{epoch}.npz")
            if epoch == 0:
                net.optimizer.lr = 0.0

    history = net.fit(X, y, epochs=3, batch_size=4, optimizer=sg.SGD(lr=0.5, momentum=0.0),
                      callbacks=[FreezeAfterFirstEpoch()], verbose=0)
    assert history.history["lr"] == [0.5, 0.0, 0.0]
    assert not np.array_equal(snapshots[0], initial) and np.array_equal(snapshots[1], snapshots[0])
    np.testing.assert_array_equal(net.parameters, snapshots[0])
    checkpoint = sg.load(tmp_path / "epoch0.npz")
    np.testing.assert_array_equal(checkpoint.parameters, snapshots[0])
    assert checkpoint.optimizer.steps == 12  # 48 rows / 4 per batch, one epoch
