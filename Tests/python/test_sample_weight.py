"""sample_weight and loss="poisson": the weighted cost Σ wᵢℓᵢ / Σ wᵢ computed in the core, checked against
row duplication (integer weights), the NumPy reference (reference.py) and finite differences, and the
estimators against scikit-learn's own MLPClassifier/MLPRegressor trained with the same weights from the
same initial weights (float64, shuffle=False)."""
import warnings

import numpy as np
import pytest

import reference
import sgdswift as sg

ROWS = 30


def data(rng, loss, rows=ROWS, inputs=4, outputs=3):
    X = rng.normal(size=(rows, inputs))
    if loss == "cross_entropy":
        return X, rng.integers(0, outputs, rows)
    if loss == "poisson":
        return X, rng.poisson(1.5, (rows, outputs)).astype(np.float64)
    return X, rng.normal(size=(rows, outputs))


NETWORKS = [("tanh", "softmax", "cross_entropy"), ("relu", "identity", "quadratic"), ("sigmoid", "exp", "poisson")]


def network(hidden, output, loss, seed=5):
    net = sg.Network([4, 6, 3], hidden=hidden, output=output, loss=loss, dtype="float64", seed=seed)
    net.parameters[...] = np.random.default_rng(seed).normal(scale=0.5, size=net.parameters.size)
    return net


def integer_weights(rng, rows=ROWS):
    weights = rng.integers(0, 4, rows)
    weights[0] = 2  # at least one positive
    return weights


def duplicated(weights, *arrays):
    return [np.repeat(array, weights, axis=0) for array in arrays]


def flat(gradient):
    dW, db = gradient
    return np.concatenate([g.ravel() for g in dW + db])


# ---- Network: integer weights are repeated rows ---------------------------------------------------------

@pytest.mark.parametrize("hidden,output,loss", NETWORKS)
def test_loss_evaluate_and_gradient_with_integer_weights_equal_repeated_rows(rng, hidden, output, loss):
    X, Y = data(rng, loss)
    weights = integer_weights(rng)
    X_repeated, Y_repeated = duplicated(weights, X, Y)
    net = network(hidden, output, loss)
    assert abs(net.loss(X, Y, sample_weight=weights) - net.loss(X_repeated, Y_repeated)) <= 1e-12
    weighted, repeated = net.evaluate(X, Y, sample_weight=weights), net.evaluate(X_repeated, Y_repeated)
    assert weighted.keys() == repeated.keys()
    for key in weighted:
        assert abs(weighted[key] - repeated[key]) <= 1e-12, key
    assert np.abs(flat(net.gradient(X, Y, sample_weight=weights)) - flat(net.gradient(X_repeated, Y_repeated))).max() \
        <= 1e-12


@pytest.mark.parametrize("hidden,output,loss", NETWORKS)
def test_full_batch_fit_with_integer_weights_equals_repeated_rows(rng, hidden, output, loss):
    """Batch gradient descent with momentum and L2: the same steps, history and weights (the L2 term is
    λ/(2·Σw) Σ W², as for Σw repeated rows)."""
    X, Y = data(rng, loss)
    weights = integer_weights(rng)
    X_repeated, Y_repeated = duplicated(weights, X, Y)
    weighted, repeated = network(hidden, output, loss), network(hidden, output, loss)
    settings = dict(epochs=6, batch_size=None, shuffle=False, l2=0.3, verbose=0)
    weighted.fit(X, Y, sample_weight=weights, optimizer=sg.SGD(lr=0.05, momentum=0.9), **settings)
    repeated.fit(X_repeated, Y_repeated, optimizer=sg.SGD(lr=0.05, momentum=0.9), **settings)
    assert np.abs(weighted.parameters - repeated.parameters).max() <= 1e-12
    np.testing.assert_allclose(weighted.history.history["loss"], repeated.history.history["loss"], rtol=1e-12)
    if loss == "cross_entropy":
        np.testing.assert_allclose(weighted.history.history["accuracy"], repeated.history.history["accuracy"],
                                   rtol=1e-12)


def test_step_with_integer_weights_equals_repeated_rows(rng):
    X, Y = data(rng, "cross_entropy")
    weights = integer_weights(rng)
    weighted, repeated = network(*NETWORKS[0]), network(*NETWORKS[0])
    loss = weighted.step(X, Y, sample_weight=weights, optimizer=sg.Adam(lr=0.01))
    assert abs(loss - repeated.step(*duplicated(weights, X, Y), optimizer=sg.Adam(lr=0.01))) <= 1e-12
    assert np.abs(weighted.parameters - repeated.parameters).max() <= 1e-12


def test_unit_weights_are_bit_for_bit_the_unweighted_results(rng):
    """Weights of 1 take the weighted path through the core; it gives exactly the unweighted numbers."""
    X, Y = data(rng, "cross_entropy", rows=50)
    ones = np.ones(len(X))
    net = network(*NETWORKS[0])
    assert net.loss(X, Y, sample_weight=ones) == net.loss(X, Y)
    assert net.evaluate(X, Y, sample_weight=ones) == net.evaluate(X, Y)
    np.testing.assert_array_equal(flat(net.gradient(X, Y, sample_weight=ones)), flat(net.gradient(X, Y)))
    weighted, plain = network(*NETWORKS[0]), network(*NETWORKS[0])
    settings = dict(epochs=3, batch_size=7, l2=0.5, verbose=0, validation_split=0.2)
    weighted.fit(X, Y, sample_weight=ones, optimizer=sg.SGD(lr=0.1, momentum=0.9), **settings)
    plain.fit(X, Y, optimizer=sg.SGD(lr=0.1, momentum=0.9), **settings)
    np.testing.assert_array_equal(weighted.parameters, plain.parameters)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_array_equal(weighted.history.history[key], plain.history.history[key])


def test_shuffled_weights_move_with_their_rows(rng):
    """With shuffled mini-batches, rows of weight 0 still contribute nothing: their targets can be anything
    (were a weight applied to another row than its own, the scrambled targets would change the result)."""
    X, Y = data(rng, "cross_entropy")
    weights = np.ones(len(X))
    weights[len(X) // 2:] = 0
    Y_scrambled = Y.copy()
    Y_scrambled[len(X) // 2:] = (Y[len(X) // 2:] + 1) % 3  # different targets where the weight is 0
    first, second = network(*NETWORKS[0]), network(*NETWORKS[0])
    settings = dict(epochs=3, batch_size=4, shuffle=True, verbose=0, optimizer=None, lr=0.1)
    first.fit(X, Y, sample_weight=weights, **settings)
    second.fit(X, Y_scrambled, sample_weight=weights, **settings)
    np.testing.assert_array_equal(first.parameters, second.parameters)


def test_a_mini_batch_of_zero_weight_is_skipped(rng):
    """No step at all (momentum and Adam's step count do not advance): the same weights as training on
    the other rows alone."""
    X, Y = data(rng, "cross_entropy")
    weights = np.ones(len(X))
    weights[:10] = 0
    skipping, rest = network(*NETWORKS[0]), network(*NETWORKS[0])
    settings = dict(epochs=3, batch_size=10, shuffle=False, verbose=0)
    skipping.fit(X, Y, sample_weight=weights, optimizer=sg.Adam(lr=0.01), **settings)
    rest.fit(X[10:], Y[10:], optimizer=sg.Adam(lr=0.01), **settings)
    np.testing.assert_array_equal(skipping.parameters, rest.parameters)
    assert skipping.optimizer.steps == rest.optimizer.steps == 6


def test_weighted_validation_scores_the_final_weights(rng):
    X, Y = data(rng, "cross_entropy")
    X_val, Y_val = data(rng, "cross_entropy", rows=12)
    w_val = rng.uniform(0, 2, 12)
    net = network(*NETWORKS[0])
    history = net.fit(X, Y, epochs=2, batch_size=5, lr=0.1, verbose=0, validation_data=(X_val, Y_val, w_val))
    expected = net.evaluate(X_val, Y_val, sample_weight=w_val)
    assert history.history["val_loss"][-1] == pytest.approx(expected["loss"], rel=1e-12)
    assert history.history["val_accuracy"][-1] == pytest.approx(expected["accuracy"], rel=1e-12)
    # validation_split holds out the last rows with their weights
    weights = rng.uniform(0, 2, len(X))
    split = network(*NETWORKS[0]).fit(X, Y, sample_weight=weights, epochs=1, batch_size=5, lr=0.1, verbose=0,
                                       validation_split=0.2)
    held_out = network(*NETWORKS[0])
    held_out.fit(X[:24], Y[:24], sample_weight=weights[:24], epochs=1, batch_size=5, lr=0.1, verbose=0)
    assert split.history["val_loss"][0] == pytest.approx(held_out.loss(X[24:], Y[24:], sample_weight=weights[24:]),
                                                         rel=1e-12)


# ---- gradients against the NumPy reference and finite differences --------------------------------------

@pytest.mark.parametrize("hidden,output,loss", NETWORKS)
def test_weighted_loss_and_gradient_equal_the_reference(rng, hidden, output, loss):
    X, Y = data(rng, loss, rows=300)  # more than one 256-row chunk of the core
    weights = rng.uniform(0, 3, len(X))
    net = network(hidden, output, loss)
    args = (net.weights, net.biases, X, Y, hidden, output, loss, weights)
    assert net.loss(X, Y, sample_weight=weights) == pytest.approx(reference.loss(*args), rel=1e-12)
    expected = np.concatenate([g.ravel() for pair in zip(*reference.gradient(*args)) for g in pair])
    actual = np.concatenate([g.ravel() for pair in zip(*net.gradient(X, Y, sample_weight=weights)) for g in pair])
    assert np.abs(actual - expected).max() <= 1e-12 * np.abs(expected).max()


@pytest.mark.parametrize("hidden,output,loss", NETWORKS)
def test_weighted_gradient_matches_finite_differences(rng, hidden, output, loss):
    X, Y = data(rng, loss, rows=12)
    weights = rng.uniform(0, 3, len(X))
    net = network(hidden, output, loss)
    analytic = np.concatenate([g.ravel() for pair in zip(*net.gradient(X, Y, sample_weight=weights)) for g in pair])
    theta, numeric = net.parameters, np.empty_like(analytic)
    for i in range(theta.size):
        saved = theta[i]
        theta[i] = saved + 1e-6
        up = net.loss(X, Y, sample_weight=weights)
        theta[i] = saved - 1e-6
        down = net.loss(X, Y, sample_weight=weights)
        theta[i] = saved
        numeric[i] = (up - down) / 2e-6
    assert np.abs(analytic - numeric).max() <= 1e-6 * np.abs(numeric).max()


def test_poisson_loss_is_computed_from_z_and_stays_finite(rng):
    """ℓ = e^z − y·z + y log y − y for large z (where e^z is large but finite) and for y = 0."""
    net = sg.Network([1, 1], hidden="identity", output="exp", loss="poisson", dtype="float64", seed=0)
    net.weights[0][...] = 1.0
    net.biases[0][...] = 0.0
    for z, y in [(600.0, 3.0), (-700.0, 0.0), (-50.0, 2.0), (0.0, 1.0)]:
        expected = np.exp(z) - y * z + (y * np.log(y) - y if y > 0 else 0.0)
        assert net.loss([[z]], [[y]]) == pytest.approx(expected, rel=1e-14, abs=1e-300)
        dW, db = net.gradient([[z]], [[y]])
        assert db[0][0] == pytest.approx(np.exp(z) - y, rel=1e-14)


# ---- refused arguments ------------------------------------------------------------------------------

@pytest.mark.parametrize("weights,message", [
    (np.ones(ROWS - 1), r"sample_weight: expected shape \(30,\)"),
    (np.ones((ROWS, 1)), r"sample_weight: expected shape \(30,\)"),
    (np.r_[np.nan, np.ones(ROWS - 1)], "sample_weight: expected finite weights, got nan"),
    (np.r_[np.inf, np.ones(ROWS - 1)], "sample_weight: expected finite weights, got inf"),
    (np.r_[-1.0, np.ones(ROWS - 1)], "sample_weight: expected weights ≥ 0, got -1.0"),
    (np.zeros(ROWS), "sample_weight: expected at least one non-zero weight"),
])
def test_bad_weights_are_value_errors_naming_the_argument_and_change_nothing(rng, weights, message):
    X, Y = data(rng, "cross_entropy")
    net = network(*NETWORKS[0])
    before = net.parameters.copy()
    for call in (lambda: net.fit(X, Y, sample_weight=weights, epochs=1, verbose=0),
                 lambda: net.step(X, Y, sample_weight=weights), lambda: net.loss(X, Y, sample_weight=weights),
                 lambda: net.evaluate(X, Y, sample_weight=weights), lambda: net.gradient(X, Y, sample_weight=weights)):
        with pytest.raises(ValueError, match=message):
            call()
    np.testing.assert_array_equal(net.parameters, before)
    with pytest.raises(TypeError, match="sample_weight: expected real numbers"):
        net.loss(X, Y, sample_weight=["a"] * ROWS)
    with pytest.raises(ValueError, match="validation_data sample_weight: expected shape"):
        net.fit(X, Y, epochs=1, verbose=0, validation_data=(X, Y, np.ones(3)))


def test_poisson_needs_its_output_and_non_negative_targets(rng):
    with pytest.raises(ValueError, match="loss: poisson needs output='exp', got output='identity'"):
        sg.Network([2, 1], output="identity", loss="poisson")
    net = sg.Network([2, 1], output="exp", loss="poisson", dtype="float64")
    with pytest.raises(ValueError, match="Y: poisson targets must be non-negative, got -1.0 at row 1"):
        net.loss(np.ones((2, 2)), [[1.0], [-1.0]])


# ---- the estimators against scikit-learn's --------------------------------------------------------------

sklearn = pytest.importorskip("sklearn")
from sklearn import neural_network  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402


def max_difference(a, b):
    return max(np.abs(np.asarray(p, dtype=np.float64) - q).max()
               for p, q in zip(list(a.coefs_) + list(a.intercepts_), list(b.coefs_) + list(b.intercepts_)))


def both(kind, settings, fit):
    """(ours, theirs): sgdswift's and scikit-learn's estimator of `kind` with the same settings (the same
    random_state draws the same initial weights), each passed to fit(estimator)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        return fit(getattr(sg, kind)(**settings)), fit(getattr(neural_network, kind)(**settings))


SGD = dict(solver="sgd", batch_size=20, learning_rate_init=0.05, shuffle=False, random_state=3, tol=0.0,
           n_iter_no_change=1000, max_iter=8)
# scikit-learn adds ε to √v before Adam's bias correction, sgdswift after it; a negligible ε makes the two
# the same update, so that what is compared here is the weighting.
ADAM = dict(SGD, solver="adam", learning_rate_init=0.01, epsilon=1e-300)


def classification(rows=120, classes=3):
    X, y = make_classification(rows, 6, n_informative=4, n_redundant=0, n_classes=classes, n_clusters_per_class=1,
                               random_state=0)
    return X, y, np.random.default_rng(1).uniform(0, 3, rows)


@pytest.mark.parametrize("settings", [dict(SGD, momentum=0.0), dict(SGD, momentum=0.9, nesterovs_momentum=False),
                                      dict(SGD, momentum=0.9), ADAM], ids=["sgd", "momentum", "nesterov", "adam"])
@pytest.mark.parametrize("classes", [2, 3])
def test_classifier_with_sample_weight_trains_as_sklearn(settings, classes):
    X, y, w = classification(classes=classes)
    settings = dict(settings, hidden_layer_sizes=(7, 5), activation="tanh", alpha=0.3)
    ours, theirs = both("MLPClassifier", settings, lambda e: e.fit(X, y, sample_weight=w))
    assert max_difference(ours, theirs) <= 1e-12
    assert ours.score(X, y, sample_weight=w) == theirs.score(X, y, sample_weight=w)
    # the data part of loss_ is exact; the L2 part is estimated from each epoch's first and last weights
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-2)
    ours, theirs = both("MLPClassifier", dict(settings, alpha=0.0), lambda e: e.fit(X, y, sample_weight=w))
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)


def test_regressor_and_partial_fit_with_sample_weight_as_sklearn():
    X, Y = make_regression(100, 5, n_targets=2, random_state=0)
    Y /= 100
    w = np.random.default_rng(2).integers(0, 4, 100).astype(np.float64)
    settings = dict(SGD, hidden_layer_sizes=(8,), alpha=0.5, batch_size=25, learning_rate_init=0.01, momentum=0.5)
    ours, theirs = both("MLPRegressor", settings, lambda e: e.fit(X, Y, sample_weight=w))
    assert max_difference(ours, theirs) <= 1e-12
    assert ours.score(X, Y, sample_weight=w) == pytest.approx(theirs.score(X, Y, sample_weight=w), rel=1e-12)

    def two_partial_fits(estimator):  # of whole batches (see MLPClassifier's alpha on a last partial batch)
        for start in (0, 50):
            estimator.partial_fit(X[start:start + 50], Y[start:start + 50], sample_weight=w[start:start + 50])
        return estimator

    ours, theirs = both("MLPRegressor", settings, two_partial_fits)
    assert max_difference(ours, theirs) <= 1e-12
    X_c, y_c, w_c = classification()
    ours, theirs = both("MLPClassifier", SGD, lambda e: e.partial_fit(X_c, y_c, w_c, classes=[0, 1, 2]))
    assert max_difference(ours, theirs) <= 1e-12


@pytest.mark.parametrize("kind", ["MLPClassifier", "MLPRegressor"])
def test_early_stopping_splits_and_scores_with_the_weights_as_sklearn(kind):
    X, y, w = classification(rows=200, classes=2)
    if kind == "MLPRegressor":
        X, y = make_regression(200, 5, noise=10, random_state=0)
        y = y / 100
    settings = dict(SGD, hidden_layer_sizes=(8,), early_stopping=True, validation_fraction=0.2, n_iter_no_change=3,
                    tol=1e-3, max_iter=200, learning_rate_init=0.02 if kind == "MLPClassifier" else 0.001)
    ours, theirs = both(kind, settings, lambda e: e.fit(X, y, sample_weight=w))
    assert ours.n_iter_ == theirs.n_iter_ < 200
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-12)
    assert max_difference(ours, theirs) <= 1e-12


def test_estimators_refuse_bad_weights_naming_sample_weight():
    X, y, _ = classification()
    for estimator in (sg.MLPClassifier(max_iter=1), sg.MLPRegressor(max_iter=1)):
        with pytest.raises(ValueError, match=r"sample_weight: expected shape \(120,\)"):
            estimator.fit(X, y, sample_weight=np.ones(3))
        with pytest.raises(ValueError, match="sample_weight: expected weights ≥ 0"):
            estimator.fit(X, y, sample_weight=-np.ones(120))
        assert not hasattr(estimator, "network_")


# ---- loss="poisson" -----------------------------------------------------------------------------------

def counts(rows=100, targets=2):
    X, _ = make_regression(rows, 5, random_state=0)
    rates = np.exp(0.3 * X[:, :targets] - 0.2)
    return X, np.random.default_rng(3).poisson(rates).astype(np.float64)


@pytest.mark.parametrize("settings", [dict(SGD, momentum=0.9), dict(SGD, momentum=0.0), ADAM],
                         ids=["nesterov", "sgd", "adam"])
def test_poisson_regressor_trains_as_sklearn(settings):
    X, Y = counts()
    settings = dict(settings, loss="poisson", hidden_layer_sizes=(8,), alpha=0.0, batch_size=25,
                    learning_rate_init=0.01)
    ours, theirs = both("MLPRegressor", settings, lambda e: e.fit(X, Y))
    assert max_difference(ours, theirs) <= 1e-12
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)
    assert ours.out_activation_ == theirs.out_activation_ == "exp"
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)
    # with L2 and sample weights too
    w = np.random.default_rng(4).uniform(0, 2, len(X))
    settings = dict(settings, alpha=0.2)
    ours, theirs = both("MLPRegressor", settings, lambda e: e.fit(X, Y[:, 0], sample_weight=w))
    assert max_difference(ours, theirs) <= 1e-12
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-2)


def test_poisson_regressor_parameters_and_refusals():
    ours, theirs = sg.MLPRegressor(), neural_network.MLPRegressor()
    assert ours.get_params()["loss"] == theirs.get_params()["loss"] == "squared_error"
    assert set(ours.get_params()) == set(theirs.get_params())
    assert sg.MLPRegressor("poisson").loss == neural_network.MLPRegressor("poisson").loss == "poisson"  # first, positional
    X, Y = counts(targets=1)
    with pytest.raises(ValueError, match="Some value\\(s\\) of y are negative which is not allowed for Poisson"):
        sg.MLPRegressor(loss="poisson").fit(X, Y[:, 0] - 1)
    with pytest.raises(ValueError, match=r"loss: expected one of \['squared_error', 'poisson'\], got 'absolute_error'"):
        sg.MLPRegressor(loss="absolute_error").fit(X, Y[:, 0])
    fitted = sg.MLPRegressor(loss="poisson", max_iter=2, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        fitted.fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="loss: the fitted network was trained with the core's 'poisson' loss"):
        fitted.set_params(loss="squared_error").fit(X, Y[:, 0])
