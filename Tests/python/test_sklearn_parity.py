"""sgdswift.MLPClassifier / MLPRegressor against scikit-learn's own estimators on the same inputs, for the
behaviours issue 15 lists as differing: momentum under a changing learning rate, divergence (exception type,
message, early stopping), messages, a single class, and loading weights by assigning coefs_/intercepts_.
Both start from the same initial weights: the same random_state draws them in the same order."""
import itertools
import re
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn import neural_network  # noqa: E402
from sklearn.datasets import load_iris, make_classification, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402

import sgdswift as sg  # noqa: E402

# scikit-learn 1.9.1's own message (sklearn/neural_network/_multilayer_perceptron.py)
NON_FINITE = ("Solver produced non-finite parameter weights. The input data may contain large values and need to "
              "be preprocessed.")


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)  # scikit-learn's overflows while diverging
        yield


def iris():
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def max_difference(ours, theirs):
    return max(np.abs(p - q).max() for p, q in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_))


def both(estimator, settings, *data):
    """Ours and scikit-learn's estimator of that name, each fitted on `data` with `settings`."""
    return (getattr(sg, estimator)(**settings).fit(*data),
            getattr(neural_network, estimator)(**settings).fit(*data))


# ---- momentum with a changing rate, and Adam: scikit-learn's weights ------------------------------------------

@pytest.mark.parametrize("learning_rate, momentum, nesterov",
                         list(itertools.product(["constant", "invscaling", "adaptive"], [0.0, 0.9], [True, False])))
def test_sgd_weights_are_sklearns_for_every_schedule(learning_rate, momentum, nesterov):
    """The rate changes after every epoch (invscaling) or when the loss stalls (adaptive, forced by a large tol):
    scikit-learn's velocity v ← μv − ηg carries the old rate, which the estimator reproduces."""
    X, y = iris()
    settings = dict(hidden_layer_sizes=(5,), solver="sgd", learning_rate=learning_rate, momentum=momentum,
                    nesterovs_momentum=nesterov, batch_size=30, learning_rate_init=0.1, power_t=0.5, shuffle=False,
                    random_state=0, max_iter=25, tol=1e-2, n_iter_no_change=2)
    ours, theirs = both("MLPClassifier", settings, X, y)
    if learning_rate != "constant":
        assert theirs._optimizer.learning_rate < 0.1  # the rate did change
    assert ours.n_iter_ == theirs.n_iter_
    assert max_difference(ours, theirs) < 1e-12
    # the L2 term of loss_curve_ is estimated from the epoch's first and last weights (see loss_curve_)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-5)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_partial_fit_with_invscaling_momentum_is_sklearns():
    """partial_fit keeps the optimizer between calls; the rate changes after each."""
    X, y = iris()
    settings = dict(hidden_layer_sizes=(5,), solver="sgd", learning_rate="invscaling", momentum=0.9,
                    batch_size=30, learning_rate_init=0.1, shuffle=False, random_state=0)
    ours, theirs = sg.MLPClassifier(**settings), neural_network.MLPClassifier(**settings)
    for estimator in (ours, theirs):
        for _ in range(4):
            estimator.partial_fit(X, y, classes=[0, 1, 2])
    assert max_difference(ours, theirs) < 1e-12


@pytest.mark.parametrize("estimator", ["MLPClassifier", "MLPRegressor"])
def test_adam_weights_are_sklearns(estimator):
    """scikit-learn adds ε to √v before the bias correction (torch after it): with ReLU units that stop
    firing, L2-only gradients are small enough against ε for the two to differ by ~1e-3 in 10 epochs."""
    X, y = iris()
    if estimator == "MLPRegressor":
        X, y = make_regression(150, 4, n_targets=2, random_state=0)
        y /= 100
    settings = dict(hidden_layer_sizes=(5,), solver="adam", batch_size=30, learning_rate_init=0.01, shuffle=False,
                    random_state=0, max_iter=10, tol=0.0, n_iter_no_change=100)
    ours, theirs = both(estimator, settings, X, y)
    assert max_difference(ours, theirs) < 1e-12
    # partial_fit continues the same Adam state (its step count t included)
    for estimator_ in (ours, theirs):
        estimator_.partial_fit(X, y)
    assert max_difference(ours, theirs) < 1e-12


# ---- the reported loss ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("classes", [2, 3, "multilabel"])
def test_confidently_wrong_loss_is_clipped_as_sklearn(classes):
    """Large inputs and flipped labels make the network confidently wrong: scikit-learn's log-loss takes the
    probabilities clipped to [eps, 1 − eps] (float64's eps), which bounds each row's loss by −log eps ≈ 36;
    loss_curve_, best_loss_ and so the stopping epoch follow it."""
    rng = np.random.RandomState(0)
    X = rng.randn(60, 3) * 1000
    y = (X[:, 0] > 0).astype(int)
    y[:10] = 1 - y[:10]
    if classes == 3:
        y = y + (X[:, 1] > 0)
    elif classes == "multilabel":
        y = np.column_stack([y, X[:, 1] > 0, X[:, 2] > 0]).astype(int)
    settings = dict(hidden_layer_sizes=(5,), solver="sgd", learning_rate_init=1e-4, momentum=0.0, batch_size=20,
                    shuffle=False, random_state=0, max_iter=200, alpha=0.0)
    ours, theirs = both("MLPClassifier", settings, X, y)
    assert max(theirs.loss_curve_) > 10  # confidently wrong rows: the clip decides the reported loss
    # (from rounded probabilities, as scikit-learn's: log(1 − a) for a near 1 magnifies a's last bits)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-8)
    assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-8)
    assert ours.n_iter_ == theirs.n_iter_ < 200
    assert max_difference(ours, theirs) < 1e-9  # rounding scaled by inputs of order 1000


def test_clipped_loss_in_float32_uses_float32_eps():
    rng = np.random.RandomState(0)
    X = (rng.randn(60, 3) * 30).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    y[:10] = 1 - y[:10]
    settings = dict(hidden_layer_sizes=(5,), solver="sgd", learning_rate_init=0.5, momentum=0.0, batch_size=20,
                    shuffle=False, random_state=0, max_iter=5, alpha=0.0, tol=0.0)
    ours, theirs = both("MLPClassifier", settings, X, y)
    assert ours.network_.dtype == np.float32
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-4)


# ---- divergence ----------------------------------------------------------------------------------------------

def diverging_regression():
    X, y = make_regression(100, 5, random_state=0)
    settings = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=1.0, alpha=0.0, max_iter=20,
                    shuffle=False, random_state=0)
    return X, y, settings


def test_divergence_is_a_value_error_with_sklearns_message():
    X, y, settings = diverging_regression()
    with pytest.raises(ValueError, match=re.escape(NON_FINITE)):
        neural_network.MLPRegressor(**settings).fit(X, y)
    with pytest.raises(ValueError, match=re.escape(NON_FINITE)) as raised:
        sg.MLPRegressor(**settings).fit(X, y)
    assert isinstance(raised.value, sg.DivergenceError) and isinstance(raised.value, FloatingPointError)
    assert "diverged in epoch" in str(raised.value)  # and the core's detail


def test_early_stopping_survives_divergence_as_sklearn():
    """scikit-learn trains on to max_iter with NaN losses and scores, then restores the best weights."""
    X, y, settings = diverging_regression()
    settings = dict(settings, early_stopping=True)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(20\)"):
        ours = sg.MLPRegressor(**settings).fit(X, y)
    theirs = neural_network.MLPRegressor(**settings).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 20 and ours.t_ == theirs.t_
    assert np.isnan(theirs.validation_scores_[-1])  # the case diverges
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-10)  # NaN where NaN
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_, rel=1e-12)
    # finite while both are; from the divergent epoch on, inf or NaN in scikit-learn (as its overflow goes), NaN here
    np.testing.assert_array_equal(np.isfinite(ours.loss_curve_), np.isfinite(theirs.loss_curve_))
    finite = np.isfinite(theirs.loss_curve_)
    np.testing.assert_allclose(np.array(ours.loss_curve_)[finite], np.array(theirs.loss_curve_)[finite], rtol=1e-10)
    assert ours._no_improvement_count == theirs._no_improvement_count
    assert max_difference(ours, theirs) < 1e-12  # the best epoch's weights
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10)


# ---- messages ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("estimator", ["MLPClassifier", "MLPRegressor"])
def test_validation_set_too_small_message_is_sklearns(estimator):
    X, y = make_classification(10, 4, n_informative=3, n_redundant=0, n_classes=3, n_clusters_per_class=1,
                               random_state=0)  # three classes: the split is not stratified
    settings = dict(early_stopping=True, validation_fraction=0.1)
    with pytest.raises(ValueError) as theirs:
        getattr(neural_network, estimator)(**settings).fit(X, y)
    with pytest.raises(ValueError) as ours:
        getattr(sg, estimator)(**settings).fit(X, y)
    assert str(ours.value) == str(theirs.value)
    assert "The validation set is too small" in str(ours.value)


def test_warm_start_class_change_message_is_sklearns():
    X, y = iris()
    settings = dict(hidden_layer_sizes=(3,), max_iter=2, warm_start=True, random_state=0)
    ours, theirs = both("MLPClassifier", settings, X, y)
    messages = []
    for estimator in (ours, theirs):
        with pytest.raises(ValueError) as raised:
            estimator.fit(X[y < 2], y[y < 2])
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith("warm_start can only be used where `y` has the same classes")


# ---- one class -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("label", [1.0, "a"])
def test_a_single_class_fits_as_sklearn(label):
    X = np.random.RandomState(0).randn(30, 3)
    y = np.full(30, label, dtype=object if isinstance(label, str) else float)
    settings = dict(hidden_layer_sizes=(4,), solver="sgd", max_iter=5, shuffle=False, random_state=0)
    ours, theirs = both("MLPClassifier", settings, X, y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert (ours.n_outputs_, ours.out_activation_, ours.n_layers_) == (theirs.n_outputs_, theirs.out_activation_,
                                                                       theirs.n_layers_)
    assert max_difference(ours, theirs) < 1e-12
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-10)  # (n, 2), as theirs
    assert ours.predict_proba(X).shape == (30, 2)
    assert ours.score(X, y) == theirs.score(X, y) == 1.0
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-6)


def test_a_single_class_with_early_stopping_as_sklearn():
    X = np.random.RandomState(1).randn(40, 3)
    y = np.zeros(40, dtype=int)
    settings = dict(hidden_layer_sizes=(4,), solver="sgd", max_iter=8, shuffle=False, random_state=0,
                    early_stopping=True, validation_fraction=0.25)
    ours, theirs = both("MLPClassifier", settings, X, y)
    assert ours.validation_scores_ == theirs.validation_scores_
    assert ours.n_iter_ == theirs.n_iter_
    assert max_difference(ours, theirs) < 1e-12


# ---- coefs_ and intercepts_ by assignment --------------------------------------------------------------------

def test_assigned_weights_give_sklearns_predictions():
    X, y = iris()
    theirs = neural_network.MLPClassifier(hidden_layer_sizes=(6,), max_iter=50, random_state=1).fit(X, y)
    ours = sg.MLPClassifier(hidden_layer_sizes=(6,), max_iter=1, random_state=2).fit(X, y)
    network = ours.network_
    ours.coefs_ = theirs.coefs_
    ours.intercepts_ = [list(b) for b in theirs.intercepts_]  # any array-like
    assert ours.network_ is network and not any(np.shares_memory(w, t) for w, t in zip(ours.coefs_, theirs.coefs_))
    np.testing.assert_array_equal(ours.network_.parameters,
                                  np.concatenate([a.ravel() for pair in zip(theirs.coefs_, theirs.intercepts_)
                                                  for a in pair]))
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-12, atol=1e-15)

    Xr, yr = make_regression(50, 4, random_state=0)
    theirs = neural_network.MLPRegressor(hidden_layer_sizes=(5, 3), max_iter=30, random_state=0).fit(Xr, yr)
    ours = sg.MLPRegressor(hidden_layer_sizes=(5, 3), max_iter=1, random_state=0).fit(Xr, yr)
    ours.coefs_, ours.intercepts_ = theirs.coefs_, theirs.intercepts_
    np.testing.assert_allclose(ours.predict(Xr), theirs.predict(Xr), rtol=1e-12)


@pytest.mark.parametrize("name, value, message", [
    ("coefs_", "weights", r"coefs_: expected a list of 2 arrays \(one per layer\), got str"),
    ("coefs_", [np.zeros((4, 6))], r"coefs_: expected a list of 2 arrays \(one per layer\), got 1"),
    ("coefs_", [np.zeros((4, 6)), np.zeros((3, 6))],
     r"coefs_\[1\]: expected shape \(6, 3\) \(the network's\), got \(3, 6\)"),
    ("intercepts_", [np.zeros(6), np.array(["a", "b", "c"])],
     r"intercepts_\[1\]: expected real numbers \(the network is float64\), got dtype <U1"),
    ("intercepts_", [np.zeros(6), [0.0, np.nan, 0.0]], r"intercepts_\[1\]: expected finite values .* got .*nan"),
    ("intercepts_", [np.zeros(6), [[0.0], [1.0, 2.0]]], r"intercepts_\[1\]: expected an array of shape \(3,\)"),
])
def test_a_refused_assignment_names_it_and_changes_nothing(name, value, message):
    X, y = iris()
    clf = sg.MLPClassifier(hidden_layer_sizes=(6,), max_iter=2, random_state=0).fit(X, y)
    before = clf.network_.parameters.copy()
    with pytest.raises(ValueError, match=message):
        setattr(clf, name, value)
    np.testing.assert_array_equal(clf.network_.parameters, before)


def test_assignment_to_a_float32_network_and_before_fit():
    X, y = iris()
    clf = sg.MLPClassifier(hidden_layer_sizes=(6,), max_iter=2, random_state=0).fit(X.astype(np.float32), y)
    with pytest.raises(ValueError, match=r"coefs_\[0\]: expected finite values within the range of float32"):
        clf.coefs_ = [np.full((4, 6), 1e300), np.zeros((6, 3))]
    clf.coefs_ = [np.full((4, 6), 0.5), np.zeros((6, 3))]
    assert clf.coefs_[0].dtype == np.float32 and (clf.coefs_[0] == 0.5).all()
    with pytest.raises(NotFittedError, match="coefs_: can be assigned once the estimator is fitted"):
        sg.MLPClassifier().coefs_ = [np.zeros((4, 6)), np.zeros((6, 3))]
