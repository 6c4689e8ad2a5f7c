"""The extension sgdswift._core on its own: keyword arguments, the optimizer's learning rate as one
core-owned attribute (also set from inside a fit), the fit callback's contract, RECORD_FIELDS, and
buffers released on every error path. Results are checked against the NumPy reference."""
import threading

import numpy as np
import pytest

import reference
import sgdswift as sg
from sgdswift import _core

SIZES = [4, 6, 3]
ACTIVATIONS = dict(hidden="sigmoid", output="sigmoid")


def core_network(seed=5):
    return _core.Network(dtype=_core.FLOAT64, sizes=SIZES, loss="quadratic", init="xavier", seed=seed, **ACTIVATIONS)


def core_sgd(lr=0.5):
    return _core.Optimizer(dtype=_core.FLOAT64, rule=_core.RULE_SGD, lr=lr, weight_decay=0.0, momentum=0.0,
                           dampening=0.0, nesterov=False, alpha=0.0, eps=1.0, beta1=0.0, beta2=0.0, amsgrad=False,
                           decoupled_weight_decay=False)


def split(theta):
    """[W1, W2], [b1, b2] of the flat parameter layout [W1, b1, W2, b2]."""
    weights, biases, offset = [], [], 0
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        weights.append(theta[offset:offset + fan_in * fan_out].reshape(fan_in, fan_out))
        offset += fan_in * fan_out
        biases.append(theta[offset:offset + fan_out])
        offset += fan_out
    return weights, biases


def data(rows=48):
    rng = np.random.default_rng(0)
    return rng.normal(size=(rows, SIZES[0])), rng.integers(0, SIZES[-1], rows)


def fit(network, optimizer, X, y, epochs=1, batch_size=8, callback=None, report_batches=False, **changes):
    arguments = dict(optimizer=optimizer, X=X, Y=y, validation_X=None, validation_Y=None, epochs=epochs,
                     batch_size=batch_size, shuffle=False, seed=0, stream=0, l2=0.0, clip_norm=0.0,
                     normalize_gradient=False, report_batches=report_batches,
                     history=np.full((epochs, len(_core.RECORD_FIELDS)), np.nan),
                     gradient_norms=np.full((epochs, len(SIZES) - 1), np.nan), callback=callback)
    arguments.update(changes)
    epochs_done, divergence = network.fit(**arguments)
    return epochs_done, divergence, arguments["history"]


def test_every_call_takes_keywords_and_predict_matches_the_reference():
    network = core_network()
    X, y = data()
    weights, biases = split(np.frombuffer(network, dtype=np.float64))
    out = np.empty((len(X), SIZES[-1]))
    network.predict(X=X, out=out)
    np.testing.assert_allclose(out, reference.forward(weights, biases, X, **ACTIVATIONS)[1][-1], rtol=1e-12)
    loss, _ = network.evaluate(X=X, Y=y)
    assert loss == pytest.approx(reference.loss(weights, biases, X, y, loss_name="quadratic", **ACTIVATIONS),
                                 rel=1e-12)
    assert network.gradient(X=X, Y=y, out=np.empty(network.parameter_count)) == pytest.approx(loss, rel=1e-12)
    optimizer = core_sgd()
    optimizer.reset(count=3)
    assert optimizer.info() == (3, 0, 0)
    optimizer.step(parameters=[np.zeros(3)], gradients=[np.ones(3)])
    optimizer.get_state(out=np.empty(0))
    optimizer.restore(count=3, steps=1, values=np.empty(0))
    _core.set_thread_count(count=_core.get_thread_count())


def test_record_fields_name_the_history_columns():
    assert _core.RECORD_FIELDS == ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "time")
    _, _, history = fit(core_network(), core_sgd(0.25), *data(), epochs=2)
    record = dict(zip(_core.RECORD_FIELDS, history[0]))
    assert record["lr"] == 0.25 and record["time"] >= 0 and np.isnan(record["val_loss"])


def test_lr_is_read_and_set_on_the_core_optimizer_and_a_refused_value_changes_nothing():
    optimizer = core_sgd(0.5)
    assert optimizer.lr == 0.5
    optimizer.lr = 0.125
    assert optimizer.lr == 0.125
    for bad in (float("nan"), float("inf"), -1.0):
        with pytest.raises(ValueError, match=r"lr: expected a finite number ≥ 0, got"):
            optimizer.lr = bad
    with pytest.raises(TypeError, match="lr: expected a float, got str"):
        optimizer.lr = "fast"
    with pytest.raises(TypeError, match="lr: cannot be deleted"):
        del optimizer.lr
    assert optimizer.lr == 0.125
    with pytest.raises(TypeError):  # no object exists without its Swift optimizer
        _core.Optimizer.__new__(_core.Optimizer)


def test_a_rate_set_from_the_fit_callback_applies_from_the_next_mini_batch():
    network, optimizer = core_network(), core_sgd(0.5)
    X, y = data()
    weights, biases = split(np.frombuffer(network, dtype=np.float64).copy())
    for batch, start in enumerate(range(0, len(X), 8)):  # plain SGD; the rate drops after mini-batch 2
        dW, db = reference.gradient(weights, biases, X[start:start + 8], y[start:start + 8], loss_name="quadratic",
                                    **ACTIVATIONS)
        lr = 0.5 if batch <= 2 else 0.125
        weights = [w - lr * g for w, g in zip(weights, dW)]
        biases = [b - lr * g for b, g in zip(biases, db)]

    def on_event(kind, epoch, index, loss):
        if kind == _core.EVENT_BATCH_END and index == 2:
            optimizer.lr = 0.125

    _, _, history = fit(network, optimizer, X, y, callback=on_event, report_batches=True)
    actual_weights, actual_biases = split(np.frombuffer(network, dtype=np.float64))
    for actual, wanted in zip(actual_weights + actual_biases, weights + biases):
        np.testing.assert_allclose(actual, wanted, rtol=1e-12, atol=1e-14)
    assert optimizer.lr == 0.125
    assert history[0, _core.RECORD_FIELDS.index("lr")] == 0.5  # the rate the epoch started with


def test_during_a_fit_only_reentrant_calls_from_its_own_thread_are_allowed():
    network, optimizer = core_network(), core_sgd(0.5)
    X, y = data()
    outcomes = {}

    def set_lr_from_another_thread():
        try:
            optimizer.lr = 1.0
        except RuntimeError as error:
            outcomes["other thread"] = str(error)

    def on_event(kind, epoch, index, loss):
        if kind != _core.EVENT_EPOCH_END:
            return
        other = threading.Thread(target=set_lr_from_another_thread)
        other.start()
        other.join()
        network.predict(X=X, out=np.empty((len(X), SIZES[-1])))  # reentrant: allowed
        optimizer.get_state(out=np.empty(0))
        for name, call in (("reset", lambda: optimizer.reset(count=0)), ("fit", lambda: fit(network, optimizer, X, y))):
            try:
                call()
            except RuntimeError as error:
                outcomes[name] = str(error)

    assert fit(network, optimizer, X, y, callback=on_event)[0] == 1
    assert set(outcomes) == {"other thread", "reset", "fit"}
    assert all("already in use" in message for message in outcomes.values())
    assert optimizer.lr == 0.5


def test_the_callback_only_stops_or_goes_on():
    X, y = data()
    optimizer = core_sgd(0.5)
    events = []

    def go_on_with_a_float(kind, epoch, index, loss):  # a float no longer sets the rate
        events.append((kind, epoch, index))
        return 0.001

    epochs_done, divergence, history = fit(core_network(), optimizer, X, y, epochs=2, callback=go_on_with_a_float,
                                           report_batches=True)
    assert (epochs_done, divergence) == (2, None) and optimizer.lr == 0.5
    assert list(history[:, _core.RECORD_FIELDS.index("lr")]) == [0.5, 0.5]
    assert [event for event in events if event[0] == _core.EVENT_BATCH_END][:7] == \
        [(_core.EVENT_BATCH_END, 0, batch) for batch in range(6)] + [(_core.EVENT_BATCH_END, 1, 0)]
    stop = lambda kind, epoch, index, loss: kind != _core.EVENT_EPOCH_END  # noqa: E731 - False after epoch 0
    assert fit(core_network(), optimizer, X, y, epochs=3, callback=stop)[:2] == (1, None)

    def fail(kind, epoch, index, loss):
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        fit(core_network(), optimizer, X, y, callback=fail, report_batches=True)


def matrix_view(array):
    """A 2-D (or 1-D) memoryview over a private bytearray: its release() fails while an export is held."""
    return memoryview(bytearray(np.ascontiguousarray(array).tobytes())).cast(array.dtype.char, array.shape)


def test_buffers_are_released_on_every_error_path():
    network = core_network()
    X, y = data()
    views = {"X": matrix_view(X), "Y": matrix_view(y.astype(np.int64))}
    out = np.empty((len(X), SIZES[-1]))

    def expect(error, pattern, call):
        with pytest.raises(error, match=pattern):
            call()

    expect(TypeError, r"out: expected a 2-D float64 buffer",
           lambda: network.predict(X=views["X"], out=out.astype(np.float32)))
    expect(TypeError, r"out: expected a buffer such as a NumPy array, got NoneType",
           lambda: network.predict(X=views["X"], out=None))
    expect(ValueError, r"out: expected", lambda: network.predict(X=views["X"], out=out[:3]))  # the core's check
    expect(TypeError, r"history: expected a writable float64 buffer",
           lambda: fit(network, core_sgd(), views["X"], views["Y"], history=np.zeros((1, 6), dtype=np.float32)))
    expect(TypeError, r"validation_X, validation_Y: expected both or neither to be None",
           lambda: fit(network, core_sgd(), views["X"], views["Y"], validation_X=views["X"]))
    expect(TypeError, r"gradients\[1\]: expected a float64 buffer",
           lambda: core_sgd().step(parameters=[views["X"], np.zeros(2)],
                                   gradients=[views["X"], np.zeros(2, np.float32)]))
    expect(TypeError, r"parameters\[0\], gradients\[0\]: expected float64 buffers of equal size",
           lambda: core_sgd().step(parameters=[np.zeros(3)], gradients=[views["X"]]))
    optimizer = core_sgd()

    def nested_fit(kind, epoch, index, loss):
        fit(network, optimizer, views["X"], views["Y"])

    expect(RuntimeError, "network: already in use", lambda: fit(network, optimizer, X, y, callback=nested_fit))
    for name, view in views.items():
        view.release()  # BufferError if a failed call kept its export


def test_the_optimizers_rate_is_the_cores_during_and_after_a_fit():
    """sg optimizers read and write their core's rate: a schedule's epoch rate shows during the fit and
    the optimizer's own rate is back after it; a rate a callback sets persists; reset() keeps the rate."""
    X, y = data()
    net = sg.Network(SIZES, loss="quadratic", dtype="float64", seed=5, **ACTIVATIONS)
    optimizer = sg.SGD(lr=0.5)
    seen = []
    net.fit(X, y, epochs=3, batch_size=8, shuffle=False, optimizer=optimizer, schedule=lambda epoch: 0.1 * (epoch + 1),
            callbacks=[lambda epoch, logs: seen.append(optimizer.lr)], verbose=0)
    assert seen == [0.1, 0.2, pytest.approx(0.3)] and optimizer.lr == 0.5

    def halve(epoch, logs):
        optimizer.lr = optimizer.lr / 2

    history = net.fit(X, y, epochs=2, batch_size=8, optimizer=optimizer, callbacks=[halve], verbose=0)
    assert history.history["lr"] == [0.5, 0.25] and optimizer.lr == 0.125
    optimizer.reset()
    assert optimizer.lr == 0.125 and optimizer.get_config()["lr"] == 0.125
