"""L-BFGS: sg.LBFGS in Network.fit and solver="lbfgs" in the estimators, against independent references —
scikit-learn's MLPClassifier/MLPRegressor with solver="lbfgs" from the same initial weights (the same
random_state gives bit-for-bit the same draws), scikit-learn's LogisticRegression and a NumPy objective
on a convex problem — and the fit's behaviour: History, callbacks, Ctrl-C, divergence, SciPy missing.

Comparing iterates: both sides hand SciPy the same objective, but their sums round differently
(~1e-16), and on a non-convex problem such differences grow with every L-BFGS iteration (about tenfold
per ten iterations); so the problems below converge within ~100 iterations, where final losses agree
to ~1e-9 (the bar is 1e-6)."""
import os
import signal
import sys
import threading
import time
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
pytest.importorskip("scipy")

from sklearn import neural_network  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

import sgdswift as sg  # noqa: E402


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    return X, np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2]


def fit_both(name, X, y, **parameters):
    """scikit-learn's estimator and ours fitted with the same parameters; (theirs, ours, their warning
    texts, our warning texts)."""
    fitted, messages = [], []
    for module in (neural_network, sg):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fitted.append(getattr(module, name)(solver="lbfgs", **parameters).fit(X, y))
        messages.append([str(warning.message) for warning in caught if warning.category is ConvergenceWarning])
    return (*fitted, *messages)


# ---- the estimators against scikit-learn --------------------------------------------------------------

def test_classifier_reaches_scikit_learns_loss_with_the_same_iterations(iris):
    X, y = iris
    theirs, ours, their_warnings, our_warnings = fit_both("MLPClassifier", X, y, hidden_layer_sizes=(10,),
                                                          random_state=0, max_iter=200)
    assert theirs.n_iter_ < 200 and their_warnings == our_warnings == []  # converged by tol
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    for W_ours, W_theirs in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(W_ours, W_theirs, atol=1e-4)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    assert len(ours.loss_curve_) == ours.n_iter_ and ours.loss_curve_[-1] == pytest.approx(ours.loss_, rel=1e-12)
    assert ours.t_ == theirs.t_ == 0  # lbfgs counts no samples


def test_regressor_reaches_scikit_learns_loss_with_the_same_iterations(regression):
    X, y = regression
    theirs, ours, their_warnings, our_warnings = fit_both("MLPRegressor", X, y, hidden_layer_sizes=(6,),
                                                          activation="tanh", alpha=1.0, random_state=1, max_iter=500)
    assert theirs.n_iter_ < 500 and their_warnings == our_warnings == []
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), atol=1e-5)
    # scikit-learn's MLPRegressor (not its classifier) offers partial_fit with lbfgs: a further run from the weights
    theirs.partial_fit(X, y)
    ours.partial_fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ and ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)


@pytest.mark.parametrize("iterations", [1, 3, 10])
def test_loss_curve_holds_scikit_learns_loss_after_each_iteration(iris, iterations):
    """scikit-learn keeps no loss_curve_ for lbfgs; its loss_ after max_iter=k iterations is entry k of ours."""
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = sg.MLPClassifier(solver="lbfgs", hidden_layer_sizes=(10,), activation="logistic", alpha=0.01,
                                random_state=3, max_iter=50).fit(X, y)
        theirs = neural_network.MLPClassifier(solver="lbfgs", hidden_layer_sizes=(10,), activation="logistic",
                                              alpha=0.01, random_state=3, max_iter=iterations).fit(X, y)
    assert not hasattr(theirs, "loss_curve_")
    assert ours.loss_curve_[iterations - 1] == pytest.approx(theirs.loss_, rel=1e-9)


@pytest.mark.parametrize("limit", [dict(max_iter=15), dict(max_fun=12)])
def test_convergence_warning_at_max_iter_and_max_fun_says_what_scikit_learns_says(iris, limit):
    X, y = iris
    theirs, ours, their_warnings, our_warnings = fit_both("MLPClassifier", X, y, hidden_layer_sizes=(5,),
                                                          random_state=0, **limit)
    assert len(our_warnings) == 1 and our_warnings == their_warnings
    assert ("ITERATIONS REACHED LIMIT" if "max_iter" in limit else "EVALUATIONS EXCEEDS LIMIT") in our_warnings[0]
    assert ours.n_iter_ == theirs.n_iter_ and ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)


def test_warm_start_continues_from_the_fitted_weights_as_scikit_learn(iris):
    X, y = iris
    models = []
    for module in (neural_network, sg):
        model = module.MLPClassifier(solver="lbfgs", hidden_layer_sizes=(5,), random_state=0, max_iter=20,
                                     warm_start=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y).fit(X, y)
        models.append(model)
    theirs, ours = models
    assert ours.n_iter_ == theirs.n_iter_ and ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)


def test_float32_input_trains_a_float32_network(iris):
    X, y = iris
    model = sg.MLPClassifier(solver="lbfgs", hidden_layer_sizes=(10,), random_state=0).fit(X.astype(np.float32), y)
    assert model.network_.dtype == np.float32 and model.score(X, y) > 0.95


def test_classifier_has_no_partial_fit_with_lbfgs_as_in_scikit_learn():
    refusals = []
    for module in (neural_network, sg):
        model = module.MLPClassifier(solver="lbfgs")
        assert not hasattr(model, "partial_fit")
        with pytest.raises(AttributeError) as refusal:
            model.partial_fit
        refusals.append((str(refusal.value), str(refusal.value.__cause__)))
    assert refusals[0] == refusals[1]
    assert refusals[1][1] == "partial_fit is only available for stochastic optimizers. lbfgs is not stochastic."
    assert hasattr(sg.MLPClassifier(solver="sgd"), "partial_fit")


def test_verbose_prints_the_loss_of_each_iteration(iris, capsys):
    X, y = iris
    model = sg.MLPClassifier(solver="lbfgs", hidden_layer_sizes=(4,), random_state=0, max_iter=5, verbose=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"Iteration {k + 1}, loss = {loss:.8f}" for k, loss in enumerate(model.loss_curve_)]
    assert len(lines) == 5


# ---- item 5: every hyper-parameter of scikit-learn's constructors -------------------------------------

@pytest.mark.parametrize("name", ["MLPClassifier", "MLPRegressor"])
def test_constructors_take_every_scikit_learn_hyper_parameter_with_its_default(name):
    theirs = getattr(neural_network, name)().get_params()
    ours = getattr(sg, name)().get_params()
    assert theirs == ours
    assert getattr(sg, name)(**theirs).get_params() == ours


# ---- Network.fit with sg.LBFGS ---------------------------------------------------------------------------

def softmax_regression_objective(X, y, W, b, l2):
    """mean cross-entropy of softmax(XW + b) + l2/(2n)‖W‖², in NumPy (float64)."""
    Z = X @ W.astype(np.float64) + b.astype(np.float64)
    Z -= Z.max(axis=1, keepdims=True)
    log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y].mean() + l2 / (2 * len(y)) * np.sum(W.astype(np.float64) ** 2)


@pytest.mark.parametrize("dtype, tol, close", [("float64", 1e-10, 1e-6), ("float32", 1e-5, 1e-3)])
def test_network_reaches_the_minimum_of_a_convex_problem(iris, dtype, tol, close):
    """Softmax regression with L2 λ: mean CE + λ/(2n)‖W‖² has the minimiser of scikit-learn's
    LogisticRegression(C=1/λ) (Σ CE + ½‖W‖²/C, intercept not penalised)."""
    X, y = iris
    l2 = 0.5
    reference = LogisticRegression(C=1 / l2, tol=1e-12, max_iter=10_000).fit(X, y)
    net = sg.Network([4, 3], output="softmax", loss="cross_entropy", dtype=dtype, seed=0)
    lbfgs = sg.LBFGS(max_iter=1000, tol=tol, ftol=0.0)
    history = net.fit(X, y, optimizer=lbfgs, l2=l2, verbose=0)
    ours = softmax_regression_objective(X, y, net.weights[0], net.biases[0], l2)
    best = softmax_regression_objective(X, y, reference.coef_.T, reference.intercept_, l2)
    assert ours <= best * (1 + (1e-12 if dtype == "float64" else 1e-6))
    np.testing.assert_allclose(net.predict(X), reference.predict_proba(X), atol=close)
    assert len(history.epoch) == lbfgs.result.nit and net.optimizer is None  # L-BFGS is not kept
    assert history.history["loss"][-1] == pytest.approx(net.loss(X, y), rel=1e-6)


def test_history_has_one_entry_per_iteration_with_validation_figures(iris, capsys):
    X, y = iris
    net = sg.Network([4, 6, 3], hidden="tanh", output="softmax", loss="cross_entropy", dtype="float64", seed=1)
    lbfgs = sg.LBFGS(max_iter=8)
    history = net.fit(X, y, optimizer=lbfgs, validation_data=(X[:50], y[:50]), verbose=2)
    assert lbfgs.result.nit == 8 and lbfgs.result.status == 1  # the iteration limit
    assert set(history.history) == {"loss", "val_loss", "val_accuracy", "time", "grad_norm"}
    assert len(history.epoch) == 8 and np.all(np.diff(history.history["loss"]) < 0)  # no L2: C itself falls
    assert history.history["val_loss"][-1] == pytest.approx(net.loss(X[:50], y[:50]), rel=1e-12)
    assert history.history["val_accuracy"][-1] == net.evaluate(X[:50], y[:50])["accuracy"]
    dW, db = net.gradient(X, y)
    assert history.history["grad_norm"][-1] == pytest.approx(
        [np.sqrt(np.sum(w ** 2) + np.sum(b ** 2)) for w, b in zip(dW, db)], rel=1e-12)
    assert capsys.readouterr().out.count("\n") == 8  # verbose: one line per iteration


class CountingCore:
    """Stands in for a network's core (sgdswift._core.Network), counting the calls of each method."""

    def __init__(self, core):
        self.core, self.calls = core, {}

    def __getattr__(self, name):
        method = getattr(self.core, name)

        def counted(*args, **kwargs):
            self.calls[name] = self.calls.get(name, 0) + 1
            return method(*args, **kwargs)
        return counted


def test_one_core_call_per_function_evaluation(iris):
    X, y = iris
    net = sg.Network([4, 6, 3], hidden="tanh", output="softmax", loss="cross_entropy", dtype="float64", seed=1)
    net._core = counting = CountingCore(net._core)
    lbfgs = sg.LBFGS(max_iter=20)
    net.fit(X, y, optimizer=lbfgs, l2=0.1, validation_data=(X[:30], y[:30]), verbose=0)
    # the gradient over all rows once per evaluation; the validation score once per iteration
    assert counting.calls == {"gradient": lbfgs.result.nfev, "evaluate": lbfgs.result.nit}


def test_l2_is_the_fits_own_term(iris):
    """At L-BFGS's stop by tol, the gradient of mean loss + λ/(2n)Σ‖W‖² is at most tol everywhere."""
    X, y = iris
    net = sg.Network([4, 5, 3], hidden="tanh", output="softmax", loss="cross_entropy", dtype="float64", seed=2)
    lbfgs = sg.LBFGS(max_iter=1000, tol=1e-6, ftol=0.0)
    net.fit(X, y, optimizer=lbfgs, l2=2.0, verbose=0)
    assert lbfgs.result.status == 0
    dW, db = net.gradient(X, y)
    full = np.concatenate([np.ravel(w + 2.0 / len(y) * W) for w, W in zip(dW, net.weights)] + list(db))
    assert np.abs(full).max() <= 1e-6


def test_a_callback_stops_at_an_accepted_iterate(iris):
    X, y = iris
    net = sg.Network([4, 6, 3], hidden="tanh", output="softmax", loss="cross_entropy", dtype="float64", seed=1)
    seen = []

    def stop_at_third(iteration, logs):
        seen.append(net.parameters.copy())
        return iteration < 2

    lbfgs = sg.LBFGS(max_iter=100)
    history = net.fit(X, y, optimizer=lbfgs, callbacks=[stop_at_third], verbose=0)
    assert len(history.epoch) == len(seen) == 3 and lbfgs.result.status == 99  # SciPy's code for a callback's stop
    np.testing.assert_array_equal(net.parameters, seen[-1])
    assert net.loss(X, y) == pytest.approx(history.history["loss"][-1], rel=1e-12)


def test_early_stopping_callback_works_per_iteration(iris):
    X, y = iris
    net = sg.Network([4, 6, 3], hidden="tanh", output="softmax", loss="cross_entropy", dtype="float64", seed=1)
    stopper = sg.EarlyStopping(monitor="loss", patience=2, min_delta=10.0)  # nothing improves by 10
    history = net.fit(X, y, optimizer=sg.LBFGS(max_iter=100), callbacks=[stopper], verbose=0)
    assert len(history.epoch) == 3 and stopper.stopped_epoch == 2


def interrupt_in(seconds):
    def send():
        time.sleep(seconds)
        os.kill(os.getpid(), signal.SIGINT)
    thread = threading.Thread(target=send)
    thread.start()
    return thread


def test_ctrl_c_leaves_the_last_accepted_iterate_and_a_usable_model(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 20))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    net = sg.Network([20, 64, 2], hidden="tanh", output="softmax", loss="cross_entropy", dtype="float64", seed=0)
    before = net.parameters.copy()
    thread = interrupt_in(0.3)
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        net.fit(X, y, optimizer=sg.LBFGS(max_iter=1000, tol=0.0, ftol=0.0), verbose=0)
    assert time.perf_counter() - started < 5
    thread.join()
    # Interrupted perhaps in a line search: the network is back at the iterate L-BFGS accepted last.
    losses = net.history.history.get("loss", [])
    if losses:
        assert net.loss(X, y) == pytest.approx(losses[-1], rel=1e-12)
    else:
        np.testing.assert_array_equal(net.parameters, before)
    net.save(tmp_path / "interrupted.npz")
    assert sg.load(tmp_path / "interrupted.npz").parameters.tobytes() == net.parameters.tobytes()
    net.fit(X[:200], y[:200], optimizer=sg.LBFGS(max_iter=2), verbose=0)  # training can continue


def test_ctrl_c_in_a_callback_keeps_the_finished_iterations(iris):
    X, y = iris
    net = sg.Network([4, 6, 3], hidden="tanh", output="softmax", loss="cross_entropy", dtype="float64", seed=1)
    seen = []

    def interrupt_at_second(iteration, logs):
        seen.append(net.parameters.copy())
        if iteration == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        net.fit(X, y, optimizer=sg.LBFGS(), callbacks=interrupt_at_second, verbose=0)
    assert len(net.history.epoch) == 2
    np.testing.assert_array_equal(net.parameters, seen[-1])


def test_divergence_raises_with_the_last_accepted_iterate_restored():
    X = np.full((4, 2), 1e300)
    net = sg.Network([2, 1], hidden="identity", output="identity", loss="quadratic", dtype="float64", seed=0)
    before = net.parameters.copy()
    with pytest.raises(sg.DivergenceError, match="L-BFGS diverged in iteration 1"):
        net.fit(X, np.zeros(4), optimizer=sg.LBFGS(), verbose=0)
    np.testing.assert_array_equal(net.parameters, before)
    assert net.history.epoch == []


def test_without_scipy_a_clear_import_error_and_nothing_changes(iris, monkeypatch):
    X, y = iris
    net = sg.Network([4, 3], output="softmax", loss="cross_entropy", dtype="float64", seed=0)
    before = net.parameters.copy()
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)  # `from scipy.optimize import ...` fails
    with pytest.raises(ImportError, match=r"sg.LBFGS \(solver='lbfgs'\) needs SciPy"):
        net.fit(X, y, optimizer=sg.LBFGS(), verbose=0)
    np.testing.assert_array_equal(net.parameters, before)
    assert net.history is None
    with pytest.raises(ImportError, match="needs SciPy"):
        sg.MLPClassifier(solver="lbfgs").fit(X, y)


@pytest.mark.parametrize("arguments, error, message", [
    (dict(max_iter=0), ValueError, "max_iter: expected an int between 1 and"),
    (dict(max_fun=1.5), TypeError, "max_fun: expected an int, got float 1.5"),
    (dict(tol=-1.0), ValueError, r"tol: expected a number in \[0, inf\), got -1.0"),
    (dict(ftol=float("nan")), TypeError, "ftol: expected a finite number, got nan"),
    (dict(history_size=0), ValueError, "history_size: expected an int between 1 and"),
])
def test_lbfgs_checks_its_arguments(arguments, error, message):
    with pytest.raises(error, match=message):
        sg.LBFGS(**arguments)


def test_lbfgs_config_round_trips():
    lbfgs = sg.LBFGS(max_iter=7, max_fun=30, tol=1e-6, ftol=0.0, history_size=5)
    assert repr(lbfgs) == "LBFGS(max_iter=7, max_fun=30, tol=1e-06, ftol=0.0, history_size=5)"
    assert sg.LBFGS(**lbfgs.get_config()).get_config() == lbfgs.get_config()


@pytest.mark.parametrize("option", [dict(schedule=sg.StepDecay(2)), dict(clip_norm=1.0),
                                    dict(normalize_gradient=True)])
def test_gradient_descent_options_are_refused_with_lbfgs(iris, option):
    X, y = iris
    net = sg.Network([4, 3], output="softmax", loss="cross_entropy", seed=0)
    with pytest.raises(ValueError, match=f"{next(iter(option))}: does not apply to sg.LBFGS"):
        net.fit(X, y, optimizer=sg.LBFGS(), verbose=0, **option)


def test_step_refuses_lbfgs(iris):
    X, y = iris
    net = sg.Network([4, 3], output="softmax", loss="cross_entropy", seed=0)
    with pytest.raises(TypeError, match="optimizer: sg.LBFGS trains by whole fits"):
        net.step(X, y, optimizer=sg.LBFGS())


# ---- sample_weight --------------------------------------------------------------------------------------

def test_integer_weights_reach_the_minimum_of_the_repeated_rows(iris):
    """Full batch, the weighted objective with integer weights is the objective of the rows repeated
    (including λ/(2Σw)): L-BFGS on a convex problem reaches the same minimiser both ways."""
    X, y = iris
    weights = np.arange(len(y)) % 4  # 0, 1, 2, 3: some rows dropped, some counted thrice
    repeated = np.repeat(np.arange(len(y)), weights)
    minimisers = []
    for arguments in ({"X": X, "Y": y, "sample_weight": weights.astype(np.float64)}, {"X": X[repeated], "Y": y[repeated]}):
        net = sg.Network([4, 3], output="softmax", loss="cross_entropy", dtype="float64", seed=0)
        net.fit(arguments.pop("X"), arguments.pop("Y"), optimizer=sg.LBFGS(max_iter=1000, tol=1e-10, ftol=0.0),
                l2=0.5, verbose=0, **arguments)
        minimisers.append(net.parameters.copy())
    np.testing.assert_allclose(minimisers[0], minimisers[1], rtol=1e-6, atol=1e-8)


def test_estimator_with_sample_weight_reaches_scikit_learns_loss(iris):
    X, y = iris
    weights = 0.5 + np.arange(len(y)) % 3
    fitted = []
    for module in (neural_network, sg):
        model = getattr(module, "MLPClassifier")(solver="lbfgs", hidden_layer_sizes=(10,), random_state=0,
                                                 max_iter=200, alpha=1e-3)
        fitted.append(model.fit(X, y, sample_weight=weights))
    theirs, ours = fitted
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
