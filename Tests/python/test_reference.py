"""The Swift core against an independent NumPy implementation (reference.py) and finite differences."""
import numpy as np
import pytest

import reference
import sgdswift as sg
from conftest import VALID_COMBINATIONS


def random_targets(rng, loss, rows, outputs):
    """Targets the loss is defined for: probabilities in (0, 1) for binary cross-entropy, distributions
    over the outputs for cross-entropy, counts (zeros included) for Poisson, any reals otherwise."""
    if loss == "poisson":
        return rng.poisson(1.5, (rows, outputs)).astype(np.float64)
    if loss == "binary_cross_entropy":
        return rng.uniform(0.05, 0.95, (rows, outputs))
    if loss == "cross_entropy":
        return rng.dirichlet(np.ones(outputs), rows)
    return rng.normal(size=(rows, outputs))


def random_network(rng, sizes, hidden, output, loss):
    net = sg.Network(sizes, hidden=hidden, output=output, loss=loss, dtype="float64", seed=int(rng.integers(2**32)))
    net.parameters[...] = rng.normal(scale=0.7, size=net.parameters.shape)
    return net


def assert_close(actual, expected, rtol):
    actual, expected = np.asarray(actual), np.asarray(expected)
    scale = max(np.abs(expected).max(), 1e-300)
    assert np.abs(actual - expected).max() <= rtol * scale, (actual, expected)


@pytest.mark.parametrize("hidden,output,loss", VALID_COMBINATIONS[1::4])
def test_the_reference_itself_matches_finite_differences(rng, hidden, output, loss):
    """The reference's backpropagation against its own loss by central differences, so that agreement
    with the core below means agreement with the mathematics."""
    weights = [rng.normal(scale=0.7, size=shape) for shape in ((3, 4), (4, 3))]
    biases = [rng.normal(scale=0.7, size=n) for n in (4, 3)]
    X = rng.normal(size=(10, 3))
    Y = random_targets(rng, loss, 10, 3)
    args = (weights, biases, X, Y, hidden, output, loss)
    for analytic, numeric in zip(sum(reference.gradient(*args), []), sum(reference.numerical_gradient(*args), [])):
        assert_close(analytic, numeric, 1e-6)


@pytest.mark.parametrize("hidden,output,loss", VALID_COMBINATIONS)
def test_loss_and_gradient_equal_reference(rng, hidden, output, loss):
    sizes = [5, 7, 4, 3]
    net = random_network(rng, sizes, hidden, output, loss)
    X = rng.normal(size=(300, sizes[0]))  # > one 256-row chunk of the core
    Y = random_targets(rng, loss, 300, sizes[-1])
    args = (net.weights, net.biases, X, Y, hidden, output, loss)
    assert net.loss(X, Y) == pytest.approx(reference.loss(*args), rel=1e-10)
    dW, db = net.gradient(X, Y)
    rdW, rdb = reference.gradient(*args)
    for actual, expected in zip(dW + db, rdW + rdb):
        assert actual.shape == expected.shape
        assert_close(actual, expected, 1e-10)
    assert_close(net.predict(X), reference.forward(net.weights, net.biases, X, hidden, output)[1][-1], 1e-12)


@pytest.mark.parametrize("loss,output", [("cross_entropy", "softmax"), ("quadratic", "sigmoid"), ("mse", "softmax")])
def test_class_labels_equal_one_hot_targets(rng, loss, output):
    net = random_network(rng, [6, 5, 4], "tanh", output, loss)
    X = rng.normal(size=(50, 6))
    labels = rng.integers(0, 4, 50)
    one_hot = reference.one_hot(labels, 4)
    assert net.loss(X, labels) == pytest.approx(net.loss(X, one_hot), rel=1e-14)
    for a, b in zip(sum(net.gradient(X, labels), []), sum(net.gradient(X, one_hot), [])):
        assert_close(a, b, 1e-13)
    assert net.loss(X, labels) == pytest.approx(reference.loss(net.weights, net.biases, X, labels, "tanh", output, loss),
                                                rel=1e-10)


@pytest.mark.parametrize("hidden,output,loss", VALID_COMBINATIONS[::3])
def test_gradient_matches_finite_differences(rng, hidden, output, loss):
    net = random_network(rng, [3, 4, 2], hidden, output, loss)
    X = rng.normal(size=(20, 3))
    Y = random_targets(rng, loss, 20, 2)
    analytic = np.concatenate([g.ravel() for pair in zip(*net.gradient(X, Y)) for g in pair])
    numeric = np.empty_like(analytic)
    theta = net.parameters
    for i in range(theta.size):  # central differences through the core's own loss
        saved = theta[i]
        theta[i] = saved + 1e-6
        up = net.loss(X, Y)
        theta[i] = saved - 1e-6
        down = net.loss(X, Y)
        theta[i] = saved
        numeric[i] = (up - down) / 2e-6
    assert_close(analytic, numeric, 1e-6)


@pytest.mark.parametrize("batch_size", [1, 7, 10, None])
def test_one_epoch_of_minibatch_descent_equals_reference(rng, batch_size):
    net = random_network(rng, [4, 6, 3], "sigmoid", "sigmoid", "quadratic")
    X = rng.normal(size=(53, 4))  # 53 rows: the last mini-batch is partial and must be used
    y = rng.integers(0, 3, 53)
    expected_W, expected_b = reference.sgd_epoch([w.copy() for w in net.weights], [b.copy() for b in net.biases],
                                                 X, y, "sigmoid", "sigmoid", "quadratic", lr=0.5,
                                                 batch_size=batch_size or 53)
    net.fit(X, y, epochs=1, batch_size=batch_size, lr=0.5, shuffle=False, verbose=False)
    for actual, expected in zip(net.weights + net.biases, expected_W + expected_b):
        assert_close(actual, expected, 1e-12)


def test_accuracy_equals_reference(rng):
    net = random_network(rng, [5, 8, 4], "relu", "softmax", "cross_entropy")
    X = rng.normal(size=(400, 5))
    y = rng.integers(0, 4, 400)
    expected = reference.accuracy(net.predict(X), y)
    assert net.evaluate(X, y)["accuracy"] == pytest.approx(expected, abs=1e-15)
    single = random_network(rng, [5, 3, 1], "tanh", "sigmoid", "binary_cross_entropy")
    targets = rng.integers(0, 2, (400, 1)).astype(float)
    assert single.evaluate(X, targets)["accuracy"] == pytest.approx(reference.accuracy(single.predict(X), targets))
    regression = random_network(rng, [5, 3, 1], "tanh", "identity", "mse")
    assert "accuracy" not in regression.evaluate(X, rng.normal(size=400))


def test_float32_network_agrees_with_float64_reference(rng):
    net = sg.Network([10, 16, 5], hidden="relu", output="softmax", loss="cross_entropy", dtype="float32", seed=3)
    X = rng.normal(size=(100, 10)).astype(np.float32)
    y = rng.integers(0, 5, 100)
    weights = [w.astype(np.float64) for w in net.weights]
    biases = [b.astype(np.float64) for b in net.biases]
    assert net.loss(X, y) == pytest.approx(reference.loss(weights, biases, X.astype(np.float64), y, "relu", "softmax",
                                                          "cross_entropy"), rel=1e-5)


def test_losses_are_finite_where_naive_formulas_overflow():
    net = sg.Network([1, 3], hidden="identity", output="softmax", loss="cross_entropy", dtype="float64", seed=0)
    net.weights[0][...] = [[1000.0, -1000.0, 0.0]]
    net.biases[0][...] = 0
    X = np.array([[1.0], [-1.0]])
    y = np.array([0, 0])  # row 2: the true class has logit -1000 -> loss 2000
    assert net.loss(X, y) == pytest.approx((0 + 2000) / 2)
    assert all(np.isfinite(g).all() for g in sum(net.gradient(X, y), []))
    bce = sg.Network([1, 1], hidden="identity", output="sigmoid", loss="binary_cross_entropy", dtype="float64", seed=0)
    bce.weights[0][...] = 500.0
    bce.biases[0][...] = 0
    assert bce.loss(np.array([[1.0]]), np.array([[0.0]])) == pytest.approx(500.0)
    assert bce.loss(np.array([[-1.0]]), np.array([[0.0]])) == pytest.approx(0.0, abs=1e-200)
