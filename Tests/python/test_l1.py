"""L1 regularisation, C = C₀ + (λ₁/n) Σ|w| over the weights, against NumPy mini-batch SGD whose
gradient gains (λ₁/n)·sign(w) (0 at w = 0): alone, with l2, under clipping, with sample_weight, with an
adaptive rule, and its validation."""
import math

import numpy as np
import pytest

import optim_reference
import reference
import sgdswift as sg

ARCHITECTURE = dict(hidden="tanh", output="sigmoid", loss="quadratic")


def data(rows=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 4))
    X[:, 0] = 0  # W₁'s first row gets no data gradient: it stays exactly 0 from 0 only if sign(0) = 0
    return X, rng.integers(0, 3, rows)


def network():
    net = sg.Network([4, 6, 3], **ARCHITECTURE, dtype="float64", seed=7)
    net.weights[0][0] = 0
    net.weights[1][2, 1] = 0
    return net


def penalised(l1, l2, rows, scale=1.0):
    """The transform adding (λ₁/n)·sign(W) + (λ₂/n)·W to each weight's gradient, times `scale` (m/Σw)."""
    def transform(weights, biases, dW, db):
        return [g + scale * (l1 / rows * np.sign(W) + l2 / rows * W) for g, W in zip(dW, weights)], db
    return transform


def reference_epochs(net, X, y, epochs, batch_size, transform):
    weights, biases = net.weights, net.biases
    for _ in range(epochs):
        weights, biases = reference.sgd_epoch(weights, biases, X, y, ARCHITECTURE["hidden"], ARCHITECTURE["output"],
                                              ARCHITECTURE["loss"], 0.5, batch_size, transform=transform)
    return weights + biases


def assert_parameters(net, expected):
    for actual, wanted in zip(net.weights + net.biases, expected):
        np.testing.assert_allclose(actual, wanted, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("l1,l2", [(0.8, 0.0), (0.8, 0.5)], ids=["l1", "l1+l2"])
def test_l1_adds_lambda_over_n_times_the_sign(l1, l2):
    X, y = data()
    net = network()
    wanted = reference_epochs(net, X, y, 3, 16, penalised(l1, l2, len(X)))
    net.fit(X, y, epochs=3, batch_size=16, shuffle=False, lr=0.5, l1=l1, l2=l2, verbose=0)
    assert_parameters(net, wanted)
    assert (net.weights[0][0] == 0).all()  # the subgradient at 0 is 0


def test_clipping_measures_the_penalised_gradient():
    X, y = data()
    net = network()
    clip, l1, l2 = 0.05, 2.0, 0.7
    add_penalties = penalised(l1, l2, len(X))

    def clipped(weights, biases, dW, db):
        dW, db = add_penalties(weights, biases, dW, db)
        norm = math.sqrt(sum((g ** 2).sum() for g in dW + db))
        factor = clip / norm if norm > clip else 1.0
        return [g * factor for g in dW], [g * factor for g in db]

    wanted = reference_epochs(net, X, y, 2, 8, clipped)
    net.fit(X, y, epochs=2, batch_size=8, shuffle=False, lr=0.5, l1=l1, l2=l2, clip_norm=clip, verbose=0)
    assert_parameters(net, wanted)


def test_sample_weight_scales_the_term_by_rows_over_weight():
    X, y = data()
    net = network()
    wanted = reference_epochs(net, X, y, 1, 10, penalised(0.8, 0.0, len(X), scale=0.5))  # m/Σw = 1/2
    net.fit(X, y, epochs=1, batch_size=10, shuffle=False, lr=0.5, l1=0.8, sample_weight=np.full(len(X), 2.0),
            verbose=0)
    assert_parameters(net, wanted)


def test_adam_takes_the_penalised_gradient():
    X, y = data()
    net = network()
    l1, layers = 0.6, len(net.weights)
    adam = optim_reference.Adam(lr=0.01)
    theta = [np.array(p, dtype=np.float64) for p in net.weights + net.biases]
    add_penalty = penalised(l1, 0.0, len(X))
    for _ in range(3):
        dW, db = reference.gradient(theta[:layers], theta[layers:], X, y, *ARCHITECTURE.values())
        dW, db = add_penalty(theta[:layers], theta[layers:], dW, db)
        flat = adam.step(np.concatenate([p.ravel() for p in theta]), np.concatenate([g.ravel() for g in dW + db]))
        ends = np.cumsum([p.size for p in theta])[:-1]
        theta = [part.reshape(p.shape) for part, p in zip(np.split(flat, ends), theta)]
    net.fit(X, y, epochs=3, batch_size=None, shuffle=False, optimizer=sg.Adam(lr=0.01), l1=l1, verbose=0)
    assert_parameters(net, theta)


def test_l1_is_validated():
    X, y = data()
    net = network()
    before = net.parameters.copy()
    with pytest.raises(ValueError, match=r"l1: expected a number in \[0, inf\), got -0\.5"):
        net.fit(X, y, epochs=1, l1=-0.5, verbose=0)
    with pytest.raises(TypeError, match=r"l1: expected a finite number, got inf"):
        net.fit(X, y, epochs=1, l1=math.inf, verbose=0)
    with pytest.raises(ValueError, match=r"l1: does not apply to sg.LBFGS"):
        net.fit(X, y, optimizer=sg.LBFGS(), l1=0.1, verbose=0)
    assert net.parameters.tobytes() == before.tobytes()
