"""Dropout: one step and short fits against a NumPy forward/backward given the same masks (the mask
stream reproduced here from its documented definition), the masks' expectation, bit-identical training
on 1 and 2 threads, the full network for predict/loss/evaluate/gradient, save and load, and validation."""
import numpy as np
import pytest

import reference
import sgdswift as sg

MASK64 = (1 << 64) - 1
INCREMENT = 0x9E3779B97F4A7C15
STEP_STREAMS = 1 << 63


def mix(z):
    """SplitMix64's output function, on Python ints or uint64 arrays."""
    if isinstance(z, np.ndarray):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def keep_scales(seed, stream, batch, layer, rows, units, rate):
    """m/(1 − p) for `rows` rows (positions 0.. in the mini-batch) of hidden layer `layer` (from 0), as
    docs/network.md defines the masks: unit j of row r is kept iff u ≥ p with
    k = mix(mix(mix(mix(seed ⊕ s·D) + b·G) + (l+1)·G) + (r+1)·G), u = (mix(k + (j+1)·G) >> 11)·2⁻⁵³."""
    stream_key = mix(seed ^ ((stream * 0xD1B54A32D192ED03) & MASK64))
    layer_key = mix((mix((stream_key + batch * INCREMENT) & MASK64) + (layer + 1) * INCREMENT) & MASK64)
    row_keys = np.array([mix((layer_key + (r + 1) * INCREMENT) & MASK64) for r in range(rows)], dtype=np.uint64)
    offsets = (np.arange(1, units + 1, dtype=np.uint64) * np.uint64(INCREMENT))
    with np.errstate(over="ignore"):
        bits = mix(row_keys[:, None] + offsets[None, :])
    uniform = (bits >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    return np.where(uniform >= rate, 1 / (1 - rate), 0.0)


def dropout_gradient(weights, biases, X, Y, hidden, output, loss_name, scales):
    """The gradient of the mean loss with hidden layer l's activations multiplied by scales[l]:
    ã_l = σ(z_l) ⊙ s_l forward, and δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ σ'(z_l) ⊙ s_l backward."""
    inputs, zs, undropped = [np.asarray(X, np.float64)], [], []
    for layer, (W, b) in enumerate(zip(weights, biases)):
        z = inputs[-1] @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
        last = layer == len(weights) - 1
        a = reference.ACTIVATIONS[output if last else hidden](z)
        zs.append(z)
        undropped.append(a)
        inputs.append(a if last else a * scales[layer])
    _, delta, fused = reference._loss_and_output_delta(zs[-1], inputs[-1], reference._dense(Y, inputs[-1].shape[1]),
                                                       loss_name)
    if not fused:
        delta = reference._backpropagate_activation(output, zs[-1], inputs[-1], delta)
    dW, db = [None] * len(weights), [None] * len(weights)
    for layer in reversed(range(len(weights))):
        dW[layer] = inputs[layer].T @ delta
        db[layer] = delta.sum(axis=0)
        if layer:
            upstream = delta @ np.asarray(weights[layer], np.float64).T
            delta = reference._backpropagate_activation(hidden, zs[layer - 1], undropped[layer - 1], upstream)
            delta = delta * scales[layer - 1]
    return dW, db


def layer_scales(net, stream, batch, rows):
    return [keep_scales(net.seed, stream, batch, l, rows, width, rate)
            for l, (width, rate) in enumerate(zip(net.sizes[1:-1], net.dropout))]


def sgd_step(net, X, y, lr, scales):
    dW, db = dropout_gradient(net.weights, net.biases, X, reference.one_hot(y, net.sizes[-1]), net.hidden, net.output,
                              net.loss_name, scales)
    return ([W - lr * g for W, g in zip(net.weights, dW)], [b - lr * g for b, g in zip(net.biases, db)])


def assert_parameters(net, weights, biases):
    for actual, wanted in zip(net.weights + net.biases, weights + biases):
        np.testing.assert_allclose(actual, wanted, rtol=1e-11, atol=1e-13)


def classification(rows, inputs=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(rows, inputs)), rng.integers(0, classes, rows)


def dropout_network(dropout=(0.3, 0.6), hidden="sigmoid", seed=4):
    return sg.Network([5, 7, 6, 3], hidden=hidden, output="softmax", loss="cross_entropy", dtype="float64",
                      seed=seed, dropout=list(dropout))


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_a_step_matches_numpy_with_the_same_masks(hidden):
    X, y = classification(300)  # more than one chunk of 256 rows: the masks follow the row's place in the batch
    net = dropout_network(hidden=hidden)
    for call in range(2):  # each step draws new masks
        weights, biases = sgd_step(net, X, y, 0.5, layer_scales(net, STEP_STREAMS + call, 0, len(X)))
        net.step(X, y, optimizer=sg.SGD(lr=0.5))
        assert_parameters(net, weights, biases)


def test_fits_match_numpy_batch_by_batch():
    X, y = classification(12)
    net = dropout_network()
    for fit in range(2):  # the stream is the count of fits
        weights, biases = net.weights, net.biases
        for epoch in range(2):
            for batch, start in enumerate(range(0, 12, 5)):
                rows = slice(start, start + 5)
                scales = [keep_scales(net.seed, fit, epoch * 3 + batch, l, len(X[rows]), width, rate)
                          for l, (width, rate) in enumerate(zip(net.sizes[1:-1], net.dropout))]
                dW, db = dropout_gradient(weights, biases, X[rows], reference.one_hot(y[rows], 3), "sigmoid", "softmax",
                                          "cross_entropy", scales)
                weights = [W - 0.5 * g for W, g in zip(weights, dW)]
                biases = [b - 0.5 * g for b, g in zip(biases, db)]
        net.fit(X, y, epochs=2, batch_size=5, shuffle=False, lr=0.5, verbose=0)
        assert_parameters(net, weights, biases)


def test_a_rate_of_zero_leaves_that_layer_whole():
    X, y = classification(40)
    net = dropout_network(dropout=(0.0, 0.5))
    scales = layer_scales(net, STEP_STREAMS, 0, len(X))
    assert (scales[0] == 1).all()
    weights, biases = sgd_step(net, X, y, 0.5, scales)
    net.step(X, y, optimizer=sg.SGD(lr=0.5))
    assert_parameters(net, weights, biases)


def test_masked_activations_keep_their_mean():
    """With W₂ = 0, b₂ = 0, an identity output, the quadratic loss and targets −1, δ₂ = 1/n for every
    row, so one SGD step with η = 1 sets W₂ to minus the mean of the dropped activations ã₁: it must
    equal the mean of σ(z₁) within the sampling error, and differ from it (units were dropped)."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(20000, 3))
    p = 0.5
    net = sg.Network([3, 16, 1], hidden="sigmoid", output="identity", loss="quadratic", dtype="float64", seed=1,
                     dropout=p)
    net.weights[1][...] = 0
    net.biases[1][...] = 0
    a = reference.ACTIVATIONS["sigmoid"](X @ net.weights[0] + net.biases[0])
    net.step(X, -np.ones((len(X), 1)), optimizer=sg.SGD(lr=1.0))
    dropped_mean = -net.weights[1][:, 0]
    standard_error = np.sqrt((a ** 2).mean(axis=0) * p / (1 - p) / len(X))
    assert np.all(np.abs(dropped_mean - a.mean(axis=0)) < 5 * standard_error)
    assert np.all(dropped_mean != a.mean(axis=0))


def test_one_and_two_threads_train_the_same_bits():
    before = sg.get_num_threads()
    rng = np.random.default_rng(3)
    X = rng.random((512, 128), dtype=np.float32)
    y = rng.integers(0, 10, 512)
    runs = []
    try:
        for threads in (1, 2, 1):
            sg.set_num_threads(threads)
            net = sg.Network([128, 256, 64, 10], hidden="relu", output="softmax", loss="cross_entropy", seed=3,
                             dropout=[0.5, 0.2])
            net.fit(X, y, epochs=2, batch_size=256, optimizer=sg.SGD(lr=0.05, momentum=0.9), verbose=0)
            net.step(X[:300], y[:300])
            runs.append(net.parameters.tobytes())
    finally:
        sg.set_num_threads(before)
    assert runs[0] == runs[1] == runs[2]


def test_predict_loss_evaluate_and_gradient_use_the_full_network():
    X, y = classification(50)
    net = dropout_network(dropout=(0.5, 0.5))
    whole = dropout_network(dropout=(0.0, 0.0))
    whole.parameters[...] = net.parameters
    assert net.predict(X).tobytes() == whole.predict(X).tobytes()
    assert net.loss(X, y) == whole.loss(X, y)
    assert net.evaluate(X, y) == whole.evaluate(X, y)
    (dW, db), (whole_dW, whole_db) = net.gradient(X, y), whole.gradient(X, y)
    for ours, theirs in zip(dW + db, whole_dW + whole_db):
        assert ours.tobytes() == theirs.tobytes()


def test_save_and_load_keep_the_rates_and_the_mask_streams(tmp_path):
    X, y = classification(30)
    net = dropout_network()
    net.fit(X, y, epochs=1, batch_size=8, lr=0.3, verbose=0)
    net.step(X, y)
    net.save(tmp_path / "model.npz")
    loaded = sg.load(tmp_path / "model.npz")
    assert loaded.dropout == net.dropout == [0.3, 0.6]
    for model in (net, loaded):  # the next fit and step draw the same masks
        model.fit(X, y, epochs=1, batch_size=8, lr=0.3, verbose=0)
        model.step(X, y)
    assert loaded.parameters.tobytes() == net.parameters.tobytes()


def test_files_from_before_dropout_load_without_it(tmp_path):
    net = sg.Network([5, 4, 3], output="softmax", loss="cross_entropy", seed=0)
    net.save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz") as archive:
        older = {key: archive[key] for key in archive.files if key not in ("dropout", "steps")}
    np.savez(tmp_path / "older.npz", **older)
    loaded = sg.load(tmp_path / "older.npz")
    assert loaded.dropout == [0.0]
    assert loaded.parameters.tobytes() == net.parameters.tobytes()


def test_rates_are_validated():
    with pytest.raises(ValueError, match=r"dropout: expected a number in \[0, 1\), got 1\.0"):
        sg.Network([2, 3, 1], dropout=1.0)
    with pytest.raises(ValueError, match=r"dropout\[1\]: expected a number in \[0, 1\), got -0\.1"):
        sg.Network([2, 3, 3, 1], dropout=[0.2, -0.1])
    with pytest.raises(ValueError, match=r"dropout: expected one rate per hidden layer \(2\), got 1"):
        sg.Network([2, 3, 3, 1], dropout=[0.2])
    with pytest.raises(TypeError, match=r"dropout: expected a finite number, got nan"):
        sg.Network([2, 3, 1], dropout=float("nan"))
    assert sg.Network([2, 3, 4, 1], dropout=0.25).dropout == [0.25, 0.25]
    assert sg.Network([2, 1], dropout=0.5).dropout == []  # no hidden layer, nothing to drop


def test_lbfgs_refuses_dropout():
    X, y = classification(20)
    net = dropout_network()
    before = net.parameters.copy()
    with pytest.raises(ValueError, match="dropout: does not apply to sg.LBFGS"):
        net.fit(X, y, optimizer=sg.LBFGS(), verbose=0)
    assert net.parameters.tobytes() == before.tobytes()
