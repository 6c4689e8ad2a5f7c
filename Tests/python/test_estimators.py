"""sgdswift.MLPClassifier / MLPRegressor: scikit-learn's own estimator checks, and behaviour compared with
independent references — scikit-learn's MLPClassifier/MLPRegressor trained from the same initial weights
(bit-for-bit the same draws), a NumPy transcription of mini-batch SGD with scikit-learn's L2 term, and
sgdswift.Network driven directly."""
import copy
import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn import neural_network  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification, make_multilabel_classification, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import reference  # noqa: E402
import sgdswift as sg  # noqa: E402


# Checks of sklearn.utils.estimator_checks that these estimators are expected to fail, with the reason.
# None: every check passes. (Some are *skipped* by scikit-learn itself in this environment: the pandas
# checks when pandas is not installed, check_array_api_input without SCIPY_ARRAY_API=1, and
# check_classifiers_multilabel_output_format_decision_function because there is no decision_function.)
EXPECTED_FAILED_CHECKS: dict = {"MLPClassifier": {}, "MLPRegressor": {}}
# Mini-batch SGD over many small batches: weights scale each batch's rows, while repeating rows changes the
# batches and the number of steps, so integer weights cannot train the model repeated rows train.
# scikit-learn's own MLPClassifier/MLPRegressor fail this check with the same settings (its own test suite
# runs it with lbfgs, or sgd and tol=1e-2); the default configurations here (adam) pass it.
# The same holds for sparse X (checked: scikit-learn's estimators fail the sparse variant with these settings too).
MINI_BATCH_WEIGHTS = {f"check_sample_weight_equivalence_on_{kind}_data":
                      "mini-batch SGD: integer weights are not repeated rows (nor are they in scikit-learn's)"
                      for kind in ("dense", "sparse")}


def expected_failed_checks(estimator):
    return dict(EXPECTED_FAILED_CHECKS[type(estimator).__name__],
                **(MINI_BATCH_WEIGHTS if estimator.solver == "sgd" else {}))


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@parametrize_with_checks(
    [sg.MLPClassifier(random_state=0),
     sg.MLPClassifier(solver="sgd", activation="tanh", learning_rate="invscaling", learning_rate_init=0.05,
                      random_state=0),
     sg.MLPRegressor(random_state=0),
     sg.MLPRegressor(solver="sgd", activation="logistic", batch_size=16, learning_rate_init=0.01, random_state=0),
     # lbfgs with few units: with (100,) L-BFGS saturates a logistic output to exactly 1.0 on the multilabel
     # check's data, so check_classifiers_multilabel_output_format_predict_proba fails, as for scikit-learn's own
     # MLPClassifier(solver="lbfgs")
     sg.MLPClassifier(solver="lbfgs", hidden_layer_sizes=(8,), random_state=0),
     sg.MLPRegressor(solver="lbfgs", hidden_layer_sizes=(8,), random_state=0)],
    expected_failed_checks=expected_failed_checks)
@pytest.mark.filterwarnings("ignore:batch_size. got:UserWarning")  # some checks fit fewer rows than batch_size
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ---- helpers ------------------------------------------------------------------------------------------

def classification(n=120, classes=3, features=6, seed=0):
    X, y = make_classification(n, features, n_informative=4, n_redundant=0, n_classes=classes,
                               n_clusters_per_class=1, random_state=seed)
    return X, y


def max_difference(a, b):
    return max(np.abs(np.asarray(p, dtype=np.float64) - q).max()
               for p, q in zip(list(a.coefs_) + list(a.intercepts_), list(b.coefs_) + list(b.intercepts_)))


SGD_SETTINGS = dict(solver="sgd", batch_size=20, learning_rate_init=0.05, shuffle=False, random_state=3)


# ---- the same training as scikit-learn ---------------------------------------------------------------

@pytest.mark.parametrize("activation", ["relu", "logistic", "tanh", "identity"])
@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
@pytest.mark.parametrize("classes", [2, 3])
def test_classifier_trains_as_sklearn(activation, momentum, nesterov, classes):
    """From the same random_state both start from the same weights; SGD with (Nesterov) momentum, L2 and
    unshuffled batches then gives scikit-learn's weights to rounding (n divisible by batch_size)."""
    X, y = classification(classes=classes)
    settings = dict(SGD_SETTINGS, hidden_layer_sizes=(7, 5), activation=activation, alpha=0.3, momentum=momentum,
                    nesterovs_momentum=nesterov, max_iter=12, tol=0.0, n_iter_no_change=1000)
    ours = sg.MLPClassifier(**settings).fit(X, y)
    theirs = neural_network.MLPClassifier(**settings).fit(X, y)
    assert max_difference(ours, theirs) < 1e-12
    assert ours.n_iter_ == theirs.n_iter_ == 12 and ours.t_ == theirs.t_
    assert ours.out_activation_ == theirs.out_activation_ and ours.n_outputs_ == theirs.n_outputs_
    assert ours.n_layers_ == theirs.n_layers_
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-10, atol=1e-12)
    # loss_curve_: the data loss is exact; the L2 term is estimated from the epoch's first and last weights
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-2)


def test_initial_weights_are_sklearns():
    X, y = classification()
    for activation in ("relu", "logistic"):
        settings = dict(hidden_layer_sizes=(9,), activation=activation, solver="sgd", learning_rate_init=1e-12,
                        momentum=0.0, max_iter=1, random_state=11)
        ours = sg.MLPClassifier(**settings).fit(X, y)
        theirs = neural_network.MLPClassifier(**settings).fit(X, y)
        assert max_difference(ours, theirs) < 1e-9


def test_loss_curve_is_sklearns_without_l2():
    X, y = classification(classes=3)
    settings = dict(SGD_SETTINGS, hidden_layer_sizes=(6,), alpha=0.0, max_iter=8, tol=0.0, n_iter_no_change=1000)
    ours = sg.MLPClassifier(**settings).fit(X, y)
    theirs = neural_network.MLPClassifier(**settings).fit(X, y)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)
    assert ours.loss_ == ours.loss_curve_[-1]


def test_regressor_multi_output_trains_as_sklearn():
    X, Y = make_regression(100, 5, n_targets=3, random_state=0)
    Y /= 100
    settings = dict(hidden_layer_sizes=(8,), solver="sgd", alpha=0.5, batch_size=25, learning_rate_init=0.01,
                    momentum=0.5, shuffle=False, max_iter=10, random_state=1, tol=0.0, n_iter_no_change=1000)
    ours = sg.MLPRegressor(**settings).fit(X, Y)
    theirs = neural_network.MLPRegressor(**settings).fit(X, Y)
    assert max_difference(ours, theirs) < 1e-12
    assert ours.predict(X).shape == (100, 3) and ours.n_outputs_ == 3 and ours.out_activation_ == "identity"
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.score(X, Y), theirs.score(X, Y), rtol=1e-10)
    # scikit-learn's loss_ is a mean over the outputs too
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-2)
    single = sg.MLPRegressor(**settings).fit(X, Y[:, 0])
    assert single.predict(X).shape == (100,)


@pytest.mark.parametrize("schedule", ["invscaling", "adaptive"])
def test_learning_rate_schedules_as_sklearn(schedule):
    X, y = classification()
    settings = dict(SGD_SETTINGS, hidden_layer_sizes=(6,), momentum=0.0, learning_rate=schedule, power_t=0.3,
                    learning_rate_init=0.5, max_iter=40, tol=1e-2, n_iter_no_change=2)
    ours = sg.MLPClassifier(**settings).fit(X, y)
    theirs = neural_network.MLPClassifier(**settings).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    assert max_difference(ours, theirs) < 1e-10


# ---- alpha and the network's l2 ----------------------------------------------------------------------

def numpy_reference(X, y, alpha, batch_size, lr, epochs, seed, hidden=5):
    """Mini-batch SGD of a tanh → softmax network with scikit-learn's cost per batch of m rows:
    mean cross-entropy (its gradient from reference.py) + 0.5·alpha·Σ‖W‖²/batch_size (for full batches
    m = batch_size, scikit-learn's rule). The initial weights: Glorot uniform, drawn as scikit-learn draws them."""
    rng = np.random.RandomState(seed)
    sizes = [X.shape[1], hidden, int(y.max()) + 1]
    W, b = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        W.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
        b.append(rng.uniform(-bound, bound, fan_out))
    for _ in range(epochs):
        for start in range(0, len(X), batch_size):
            rows = slice(start, start + batch_size)
            dW, db = reference.gradient(W, b, X[rows], y[rows], "tanh", "softmax", "cross_entropy")
            W = [w - lr * (g + alpha * w / batch_size) for w, g in zip(W, dW)]
            b = [c - lr * g for c, g in zip(b, db)]
    return W, b


@pytest.mark.parametrize("rows", [120, 110])  # 110: a last partial batch of 10 rows
def test_alpha_maps_onto_network_l2(rows):
    """alpha (scikit-learn: 0.5·alpha·‖W‖²/m per batch) becomes the network's l2 = alpha·n/batch_size
    (Nielsen: λ/(2n)·‖W‖²): the same gradient (alpha/batch_size)·W on every batch."""
    X, y = classification(n=rows)
    alpha, batch_size, lr, epochs = 0.7, 20, 0.1, 3
    estimator = sg.MLPClassifier(hidden_layer_sizes=(5,), activation="tanh", solver="sgd", momentum=0.0,
                                 alpha=alpha, batch_size=batch_size, learning_rate_init=lr, shuffle=False,
                                 max_iter=epochs, random_state=4).fit(X, y)
    W, b = numpy_reference(X, y, alpha, batch_size, lr, epochs, seed=4)
    for ours, wanted in zip(estimator.coefs_ + estimator.intercepts_, W + b):
        np.testing.assert_allclose(ours, wanted, rtol=1e-10, atol=1e-12)

    # the same with sgdswift.Network driven directly, l2 = alpha·n/batch_size
    network = sg.Network([6, 5, 3], hidden="tanh", output="softmax", loss="cross_entropy", dtype="float64", seed=0)
    rng = np.random.RandomState(4)
    for weights, biases in zip(network.weights, network.biases):
        bound = np.sqrt(6.0 / sum(weights.shape))
        weights[...] = rng.uniform(-bound, bound, weights.shape)
        biases[...] = rng.uniform(-bound, bound, biases.shape)
    network.fit(X, y, epochs=epochs, batch_size=batch_size, lr=lr, shuffle=False, l2=alpha * rows / batch_size,
                verbose=0)
    np.testing.assert_allclose(network.parameters, estimator.network_.parameters, rtol=1e-12, atol=1e-14)
    if rows % batch_size == 0:  # and scikit-learn agrees
        theirs = neural_network.MLPClassifier(**estimator.get_params()).fit(X, y)
        assert max_difference(estimator, theirs) < 1e-12


# ---- labels --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("labels", [np.array(["cat", "dog", "eel"]), np.array([-3, 7, 100]), np.array(["no", "yes"]),
                                    np.array([False, True]), np.array([2.0, 5.0])])
def test_labels_as_sklearn(labels):
    X, y = classification(classes=len(labels))
    y = labels[y]
    settings = dict(SGD_SETTINGS, hidden_layer_sizes=(6,), max_iter=20)
    ours = sg.MLPClassifier(**settings).fit(X, y)
    theirs = neural_network.MLPClassifier(**settings).fit(X, y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.classes_.dtype == theirs.classes_.dtype
    predicted = ours.predict(X)
    assert predicted.dtype == theirs.predict(X).dtype and predicted.shape == y.shape
    np.testing.assert_array_equal(predicted, theirs.predict(X))
    probabilities = ours.predict_proba(X)
    assert probabilities.shape == (len(X), len(labels))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    np.testing.assert_array_equal(ours.classes_[probabilities.argmax(axis=1)], predicted)
    np.testing.assert_allclose(ours.predict_log_proba(X), np.log(probabilities))
    assert ours.coefs_[-1].shape[1] == (1 if len(labels) == 2 else len(labels))
    assert ours.score(X, y) == np.mean(predicted == y)


def test_multilabel_as_sklearn():
    X, Y = make_multilabel_classification(100, 6, n_classes=3, random_state=0)
    settings = dict(SGD_SETTINGS, hidden_layer_sizes=(6,), max_iter=15)
    ours = sg.MLPClassifier(**settings).fit(X, Y)
    theirs = neural_network.MLPClassifier(**settings).fit(X, Y)
    assert max_difference(ours, theirs) < 1e-12
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.predict_proba(X).shape == (100, 3)
    assert ours.score(X, Y) == theirs.score(X, Y)


def test_feature_names_from_a_dataframe():
    pandas = pytest.importorskip("pandas")
    X, y = classification()
    frame = pandas.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    clf = sg.MLPClassifier(max_iter=3, random_state=0).fit(frame, pandas.Series(y))
    np.testing.assert_array_equal(clf.feature_names_in_, frame.columns)
    assert clf.n_features_in_ == 6
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        np.testing.assert_array_equal(clf.predict(frame), clf.predict(X))
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(frame[frame.columns[::-1]])


# ---- partial_fit, warm_start, early stopping, the stopping rule ------------------------------------------

def test_partial_fit_as_sklearn():
    X, y = classification(n=150, classes=3)
    labels = np.array(["a", "b", "c"])[y]
    settings = dict(SGD_SETTINGS, hidden_layer_sizes=(6,), momentum=0.9, alpha=0.0)  # batches of 50 rows: 20 + 20 + 10
    ours, theirs = sg.MLPClassifier(**settings), neural_network.MLPClassifier(**settings)
    with pytest.raises(ValueError, match="classes: must be passed on the first call"):
        ours.partial_fit(X[:50], labels[:50])
    first = labels[:50] != "c"  # the first batch lacks a class
    for estimator in (ours, theirs):
        estimator.partial_fit(X[:50][first], labels[:50][first], classes=["c", "b", "a"])
        for start in range(50, 150, 50):
            estimator.partial_fit(X[start:start + 50], labels[start:start + 50])
    assert max_difference(ours, theirs) < 1e-12
    np.testing.assert_array_equal(ours.classes_, ["a", "b", "c"])
    assert ours.n_iter_ == 1 and len(ours.loss_curve_) == 3
    with pytest.raises(ValueError, match=r"classes: expected the same classes .*\['a', 'b', 'c'\], got \['a', 'b'\]"):
        ours.partial_fit(X, labels, classes=["a", "b"])
    with pytest.raises(ValueError, match=r"y: has classes \['z'\] not among classes_"):
        ours.partial_fit(X[:3], np.array(["a", "b", "z"]))


def test_a_failed_fit_leaves_the_model_as_it_was():
    X, y = classification()
    clf = sg.MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    state, parameters = dict(clf.__dict__), clf.network_.parameters.copy()
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X, y + 0.5)
    with pytest.raises(ValueError, match=r"y: has classes \[7\] not among classes_ \[0, 1, 2\]"):
        clf.partial_fit(X, np.full(len(X), 7))
    assert clf.__dict__.keys() == state.keys() and all(clf.__dict__[key] is state[key] for key in state
                                                         if key != "loss_curve_")
    np.testing.assert_array_equal(clf.network_.parameters, parameters)
    fresh = sg.MLPClassifier()
    with pytest.raises(ValueError, match=r"y: has classes \['d'\] not among classes_ \['a', 'b'\]"):
        fresh.partial_fit(X[:3], ["a", "b", "d"], classes=["a", "b"])
    assert not hasattr(fresh, "network_") and not hasattr(fresh, "classes_")


def test_partial_fit_regressor_continues_like_fit():
    X, y = make_regression(80, 4, random_state=0)
    y /= 100
    settings = dict(hidden_layer_sizes=(5,), solver="sgd", batch_size=20, learning_rate_init=0.01, shuffle=False,
                    random_state=0, max_iter=3, tol=0.0, n_iter_no_change=100)
    stepped = sg.MLPRegressor(**settings)
    for _ in range(3):
        stepped.partial_fit(X, y)
    fitted = sg.MLPRegressor(**settings).fit(X, y)  # the same optimizer (momentum) carried through 3 epochs
    np.testing.assert_allclose(stepped.network_.parameters, fitted.network_.parameters, rtol=1e-12, atol=1e-14)


def test_warm_start_as_sklearn():
    X, y = classification()
    settings = dict(SGD_SETTINGS, hidden_layer_sizes=(6,), momentum=0.9, max_iter=4, warm_start=True, tol=0.0,
                    n_iter_no_change=100)
    ours, theirs = sg.MLPClassifier(**settings), neural_network.MLPClassifier(**settings)
    for estimator in (ours, theirs):
        estimator.fit(X, y)
    network = ours.network_
    for estimator in (ours, theirs):
        estimator.fit(X, y)  # continues, with a new optimizer (scikit-learn's warm start)
    assert ours.network_ is network and len(ours.loss_curve_) == 8 and ours.n_iter_ == 4
    assert max_difference(ours, theirs) < 1e-12
    with pytest.raises(ValueError, match=r"warm_start can only be used where `y` has the same classes"):
        ours.fit(X[y < 2], y[y < 2])
    cold = sg.MLPClassifier(**dict(settings, warm_start=False)).fit(X, y)
    cold.fit(X, y)
    assert len(cold.loss_curve_) == 4  # without warm_start, fit starts over


@pytest.mark.parametrize("classes", [2, 3])  # scikit-learn stratifies the split for two classes
def test_early_stopping_as_sklearn(classes):
    X, y = classification(n=200, classes=classes)
    settings = dict(SGD_SETTINGS, hidden_layer_sizes=(8,), early_stopping=True, validation_fraction=0.2,
                    n_iter_no_change=3, tol=1e-3, max_iter=200, learning_rate_init=0.02)
    ours = sg.MLPClassifier(**settings).fit(X, y)
    theirs = neural_network.MLPClassifier(**settings).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ < 200
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    assert ours.best_validation_score_ == max(ours.validation_scores_) == theirs.best_validation_score_
    assert ours.best_loss_ is None
    assert max_difference(ours, theirs) < 1e-12  # the best epoch's weights, restored

    Xr, yr = make_regression(200, 5, noise=10, random_state=0)
    settings = dict(settings, learning_rate_init=0.001)
    ours = sg.MLPRegressor(**settings).fit(Xr, yr / 100)
    theirs = neural_network.MLPRegressor(**settings).fit(Xr, yr / 100)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-10)
    assert max_difference(ours, theirs) < 1e-12
    with pytest.raises(ValueError, match="early_stopping: partial_fit does not support early_stopping=True"):
        sg.MLPRegressor(early_stopping=True).partial_fit(Xr, yr)


def test_stops_when_training_loss_stalls_as_sklearn():
    X, y = classification()
    settings = dict(SGD_SETTINGS, hidden_layer_sizes=(6,), alpha=0.0, tol=1e-3, n_iter_no_change=3, max_iter=500,
                    learning_rate_init=0.2)
    ours = sg.MLPClassifier(**settings).fit(X, y)
    theirs = neural_network.MLPClassifier(**settings).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ < 500
    assert ours.best_loss_ == min(ours.loss_curve_) and ours.validation_scores_ is None
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(5\) reached"):
        with warnings.catch_warnings():
            warnings.simplefilter("always", ConvergenceWarning)
            sg.MLPClassifier(**dict(settings, max_iter=5)).fit(X, y)


def test_verbose_prints_the_losses(capsys):
    X, y = classification()
    sg.MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, verbose=True, early_stopping=True, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out and "Iteration 2, loss = " in out and "Validation score: " in out


# ---- views, dtypes -------------------------------------------------------------------------------------

def test_coefs_are_views_of_the_network():
    X, y = classification()
    clf = sg.MLPClassifier(hidden_layer_sizes=(7, 4), activation="tanh", max_iter=20, random_state=0).fit(X, y)
    assert [w.shape for w in clf.coefs_] == [(6, 7), (7, 4), (4, 3)]
    assert [b.shape for b in clf.intercepts_] == [(7,), (4,), (3,)]
    for array in clf.coefs_ + clf.intercepts_:
        assert np.shares_memory(array, clf.network_.parameters) and array.dtype == np.float64

    def numpy_forward(X):
        return reference.forward(clf.coefs_, clf.intercepts_, X, "tanh", "softmax")[1][-1]

    np.testing.assert_allclose(clf.predict_proba(X), numpy_forward(X), rtol=1e-12)
    clf.coefs_[-1][...] = 0.0  # writing through the views changes the model
    clf.intercepts_[-1][...] = [0.0, 5.0, 0.0]
    np.testing.assert_array_equal(clf.predict(X), np.ones(len(X)))
    np.testing.assert_allclose(clf.predict_proba(X), numpy_forward(X), rtol=1e-12)
    with pytest.raises(AttributeError):
        sg.MLPClassifier().coefs_


def test_float32_data_trains_a_float32_network():
    X, y = classification()
    X32 = X.astype(np.float32)
    clf = sg.MLPClassifier(hidden_layer_sizes=(6,), max_iter=30, random_state=0).fit(X32, y)
    assert clf.network_.dtype == np.float32 and clf.coefs_[0].dtype == np.float32
    assert clf.predict_proba(X32).dtype == np.float32
    float64_model = sg.MLPClassifier(hidden_layer_sizes=(6,), max_iter=30, random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), float64_model.predict_proba(X), atol=1e-4)


def test_hidden_layer_sizes_as_int_and_empty():
    X, y = classification()
    assert sg.MLPClassifier(hidden_layer_sizes=7, max_iter=2).fit(X, y).coefs_[0].shape == (6, 7)
    assert [w.shape for w in sg.MLPClassifier(hidden_layer_sizes=(), max_iter=2).fit(X, y).coefs_] == [(6, 3)]


# ---- pickle, clone, pipelines -------------------------------------------------------------------------

@pytest.mark.parametrize("estimator, data", [
    (sg.MLPClassifier(hidden_layer_sizes=(6,), max_iter=10, random_state=0), "classification"),
    (sg.MLPRegressor(hidden_layer_sizes=(6,), solver="sgd", max_iter=10, random_state=0), "regression")])
def test_pickle_round_trip(estimator, data, tmp_path):
    if data == "classification":
        X, y = classification()
        y = np.array(["x", "y", "z"])[y]
    else:
        X, y = make_regression(100, 6, random_state=0)
        y /= 100
    fitted = estimator.fit(X, y)
    for restored in (pickle.loads(pickle.dumps(fitted)), copy.deepcopy(fitted)):
        assert restored.network_ is not fitted.network_
        np.testing.assert_array_equal(restored.network_.parameters, fitted.network_.parameters)
        np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
        assert all(np.shares_memory(w, restored.network_.parameters) for w in restored.coefs_)
        assert restored.loss_curve_ == fitted.loss_curve_ and restored.n_iter_ == fitted.n_iter_
    import joblib

    joblib.dump(fitted, tmp_path / "model.joblib")
    restored = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    # the optimizer's state (Adam's moments, SGD's momentum) travels too: continuing gives the same model
    restored.partial_fit(X, y)
    fitted.partial_fit(X, y)
    np.testing.assert_array_equal(restored.network_.parameters, fitted.network_.parameters)
    unfitted = pickle.loads(pickle.dumps(clone(estimator)))
    assert not hasattr(unfitted, "network_") and unfitted.get_params() == estimator.get_params()


def test_clone_keeps_parameters_not_the_fit():
    X, y = classification()
    clf = sg.MLPClassifier(hidden_layer_sizes=(5, 3), alpha=0.01, solver="sgd", momentum=0.5, max_iter=5,
                           random_state=2).fit(X, y)
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    assert not hasattr(twin, "network_") and not hasattr(twin, "classes_")
    with pytest.raises(NotFittedError):
        twin.predict(X)
    twin.fit(X, y)
    np.testing.assert_array_equal(twin.network_.parameters, clf.network_.parameters)  # random_state reproduces it


def test_pipeline_grid_search_cross_validation():
    X, y = classification(n=150)
    X = X * 10 + 3
    pipeline = make_pipeline(StandardScaler(), sg.MLPClassifier(learning_rate_init=0.01, max_iter=60,
                                                                     random_state=0))
    search = GridSearchCV(pipeline, {"mlpclassifier__alpha": [1e-4, 1.0],
                                     "mlpclassifier__hidden_layer_sizes": [(4,), (16,)]}, cv=3).fit(X, y)
    assert set(search.best_params_) == {"mlpclassifier__alpha", "mlpclassifier__hidden_layer_sizes"}
    assert search.best_score_ > 0.8 and search.score(X, y) > 0.8
    assert search.best_estimator_[-1].coefs_[0].shape[1] == search.best_params_["mlpclassifier__hidden_layer_sizes"][0]
    scores = cross_val_score(pipeline, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8
    # in worker processes: the estimators are pickled there and back, fitted
    results = cross_validate(pipeline, X, y, cv=3, n_jobs=2, return_estimator=True)
    np.testing.assert_allclose(results["test_score"], scores)
    assert all(isinstance(model[-1].network_, sg.Network) for model in results["estimator"])

    Xr, yr = make_regression(120, 4, noise=5, random_state=0)
    regression = make_pipeline(StandardScaler(), sg.MLPRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01,
                                                                  max_iter=200, random_state=0))
    assert cross_val_score(regression, Xr, yr / 100, cv=3).mean() > 0.8


# ---- errors --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("parameters, error, message", [
    (dict(alpha=-1.0), ValueError, r"alpha: expected a float in \[0, inf\), got -1.0"),
    (dict(alpha="big"), TypeError, r"alpha: expected a float, got str 'big'"),
    (dict(alpha=2**1100), ValueError, r"alpha: expected a finite float, got inf"),  # an int beyond float range
    (dict(solver="newton"), ValueError, r"solver: expected one of \['lbfgs', 'sgd', 'adam'\], got 'newton'"),
    (dict(activation="softmax"), ValueError, r"activation: expected one of \['identity', 'logistic', 'tanh', "
                                             r"'relu'\], got 'softmax'"),
    (dict(hidden_layer_sizes=(10, 0)), ValueError, r"hidden_layer_sizes\[1\]: expected an int >= 1, got 0"),
    (dict(hidden_layer_sizes="10"), TypeError, r"hidden_layer_sizes: expected an int or a sequence of ints"),
    (dict(batch_size="big"), ValueError, r"batch_size: expected 'auto' or an int >= 1, got 'big'"),
    (dict(batch_size=0), ValueError, r"batch_size: expected an int >= 1, got 0"),
    (dict(max_iter=1.5), TypeError, r"max_iter: expected an int, got float 1.5"),
    (dict(max_iter=2**63), ValueError, r"max_iter: expected an int from 1 to 1000000, got 9223372036854775808"),
    (dict(learning_rate_init=0.0), ValueError, r"learning_rate_init: expected a float in \(0, inf\), got 0.0"),
    (dict(momentum=1.5), ValueError, r"momentum: expected a float in \[0, 1\], got 1.5"),
    (dict(beta_2=1.0), ValueError, r"beta_2: expected a float in \[0, 1\), got 1.0"),
    (dict(shuffle="yes"), TypeError, r"shuffle: expected True or False, got str 'yes'"),
    (dict(learning_rate="cyclic"), ValueError, r"learning_rate: expected one of \['constant', 'invscaling', "
                                               r"'adaptive'\], got 'cyclic'"),
    (dict(random_state="seed"), TypeError, r"random_state: expected None, an int or a numpy.random.RandomState, got "
                                           r"str 'seed'"),
    (dict(n_iter_no_change=0), ValueError, r"n_iter_no_change: expected an int >= 1, got 0"),
    (dict(early_stopping=True, validation_fraction=0.0), ValueError, r"validation_fraction: expected a float in "
                                                                     r"\(0, 1\) with early_stopping=True, got 0.0"),
])
def test_bad_parameters_name_the_argument(parameters, error, message):
    X, y = classification()
    for estimator in (sg.MLPClassifier(**parameters), sg.MLPRegressor(**parameters)):  # __init__ never raises
        with pytest.raises(error, match=message):
            estimator.fit(X, y)


def test_bad_data_errors():
    X, y = classification()
    clf = sg.MLPClassifier(max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features, but MLPClassifier is expecting 6 features"):
        clf.predict(X[:, :5])
    with pytest.raises(ValueError, match="Unknown label type"):
        sg.MLPClassifier().fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(NotFittedError):
        sg.MLPRegressor().predict(X)
    with pytest.raises(ValueError, match=r"y: expected 1 target column\(s\) as fitted, got 2"):
        sg.MLPRegressor(max_iter=1).fit(X, y).partial_fit(X, np.c_[y, y])
    with pytest.warns(UserWarning, match="batch_size: got 500, larger than the 120 training rows; using 120"):
        sg.MLPRegressor(batch_size=500, max_iter=1).fit(X, y)


def test_labels_of_mixed_kinds_are_a_value_error_naming_y_in_fit_partial_fit_and_score():
    # scikit-learn sorts the labels, which raises a bare TypeError for a mix of str and bool
    X, _ = classification()
    mixed = np.array(["a", True, False] * (len(X) // 3), dtype=object)
    message = r"y: expected labels of one kind \(all str or all numbers\), got a mix of \['bool', 'str'\]"
    with pytest.raises(ValueError, match=message):
        sg.MLPClassifier(max_iter=1).fit(X, mixed)
    clf = sg.MLPClassifier(max_iter=1).fit(X, np.array(["a", "b", "c"] * (len(X) // 3)))
    before = [w.copy() for w in clf.coefs_]
    for call in (lambda: clf.partial_fit(X, mixed), lambda: clf.score(X, list(mixed))):
        with pytest.raises(ValueError, match=message):
            call()
    assert all(np.array_equal(a, b) for a, b in zip(before, clf.coefs_))  # the refused calls changed nothing


# ---- scikit-learn stays optional -----------------------------------------------------------------------

def run_python(code):
    """Runs `code` in a fresh interpreter that imports the same sgdswift as these tests."""
    path = os.path.dirname(os.path.dirname(os.path.abspath(sg.__file__))) + os.pathsep + os.environ.get("PYTHONPATH", "")
    environment = dict(os.environ, PYTHONPATH=path)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=120)


def test_import_does_not_load_sklearn():
    result = run_python("import sys, sgdswift as sg; assert 'sklearn' not in sys.modules; sg.MLPClassifier; "
                        "assert 'sklearn' in sys.modules; print(sg.MLPRegressor.__module__)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "sgdswift.estimators"


def test_without_sklearn_the_estimators_say_how_to_get_it():
    code = """
import sys
sys.modules["sklearn"] = None  # makes `import sklearn` raise ImportError, as when it is not installed
import numpy as np
import sgdswift as sg
net = sg.Network([2, 3, 2], seed=0)  # the rest of sgdswift works
from sgdswift import MLPClassifier, MLPRegressor
for cls in (MLPClassifier, MLPRegressor):
    try:
        cls()
    except ImportError as error:
        print(error)
    else:
        raise SystemExit("no ImportError")
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("sgdswift.MLPClassifier needs scikit-learn")
    assert all(line.endswith("pip install scikit-learn") for line in lines)
