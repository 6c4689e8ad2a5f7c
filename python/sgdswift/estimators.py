"""scikit-learn estimators over `sgdswift.Network`: `MLPClassifier` and `MLPRegressor`.

They follow scikit-learn's conventions (hyper-parameters only in the constructor; `fit`, `partial_fit`,
`predict`, `predict_proba`, `score`; fitted attributes ending in "_") and the semantics of
`sklearn.neural_network.MLPClassifier`/`MLPRegressor` with the stochastic solvers "sgd" and "adam" and
with "lbfgs" (SciPy's L-BFGS-B, through `sgdswift.LBFGS`; SciPy is needed for that solver only):
the same initialisation (Glorot uniform, drawn from `random_state` in scikit-learn's order), losses,
stopping rule, early stopping, warm start and attributes. The training loop runs in the Swift core.

scikit-learn is optional for sgdswift: this module imports without it, and the estimators raise an
ImportError naming `pip install scikit-learn` when they are created without it. Written for and tested
with scikit-learn 1.9 (its tags API, from 1.6 on).

Fitted estimators keep the network in `network_` (an `sgdswift.Network`); `coefs_` and `intercepts_`
are views of its parameters (writing into them changes the model; assigning a list of arrays copies
them in). Pickling stores the network
through `Network.save`, optimizer state included.
"""
from __future__ import annotations

import os
import tempfile
import warnings
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, TypeVar, Union

import numpy as np

from ._checks import (MAX_EPOCHS, Boolean, Infinity, InstanceOf, Interval, Options, array_of_shape, check_parameters,
                      check_value, is_sparse, sample_weights)
from ._network import DivergenceError, Network, load
from .callbacks import Plateau
from .optim import LBFGS, SGD, Optimizer, _ScikitLearnAdam

try:
    from sklearn.exceptions import ConvergenceWarning, NotFittedError
    from sklearn.metrics import r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.utils import check_random_state, column_or_1d
    from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
    from sklearn.utils.validation import check_is_fitted
    try:
        from sklearn.utils.validation import validate_data as _validate_data
    except ImportError:  # scikit-learn < 1.6
        def _validate_data(estimator: Any, *args: Any, **kwargs: Any) -> Any:
            return estimator._validate_data(*args, **kwargs)
    _SKLEARN_IMPORT_ERROR: Optional[ImportError] = None
except ImportError as _error:  # scikit-learn is not installed: the classes exist but cannot be used
    _SKLEARN_IMPORT_ERROR = _error

    class ConvergenceWarning(UserWarning):  # type: ignore[no-redef]
        pass

    class NotFittedError(ValueError, AttributeError):  # type: ignore[no-redef]
        pass

ArrayLike = Any  # anything np.asarray reads as a 2-D table of numbers (lists, ndarrays, DataFrames, memmaps)

if TYPE_CHECKING:
    # scikit-learn has no type information: its classes are Any to a type checker, and so would be every
    # attribute of the estimators derived from them (a misspelt method would pass unnoticed). Type
    # checkers see these declarations of what the estimators get from scikit-learn instead;
    # Tests/python/test_ecosystem.py type-checks and runs a script that uses each of them.
    _Estimator = TypeVar("_Estimator")
    _Request = Union[bool, str, None]  # metadata routing: whether a method takes the metadata, or its alias

    class BaseEstimator:
        n_features_in_: int  # set by fit, as feature_names_in_ is when X has string column names
        feature_names_in_: np.ndarray

        def get_params(self, deep: bool = True) -> dict[str, Any]: ...
        def set_params(self: _Estimator, **params: Any) -> _Estimator: ...
        def get_metadata_routing(self) -> Any: ...
        # made by scikit-learn for the estimators, from score's sample_weight
        def set_score_request(self: _Estimator, *, sample_weight: _Request = ...) -> _Estimator: ...
        def __sklearn_tags__(self) -> Any: ...
        def __getstate__(self) -> dict[str, Any]: ...
        def __setstate__(self, state: dict[str, Any]) -> None: ...

    class ClassifierMixin:
        def score(self, X: ArrayLike, y: ArrayLike, sample_weight: Optional[ArrayLike] = None) -> float: ...
        # made by scikit-learn for MLPClassifier, from partial_fit's classes
        def set_partial_fit_request(self: _Estimator, *, classes: _Request = ...) -> _Estimator: ...
        def __sklearn_tags__(self) -> Any: ...

    class RegressorMixin:
        def score(self, X: ArrayLike, y: ArrayLike, sample_weight: Optional[ArrayLike] = None) -> float: ...
        def __sklearn_tags__(self) -> Any: ...

    _Method = TypeVar("_Method")

    def available_if(check: Any) -> Callable[[_Method], _Method]: ...
elif _SKLEARN_IMPORT_ERROR is None:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils.metaestimators import available_if
else:  # without scikit-learn the estimators exist, and creating one raises ImportError (_require_sklearn)
    def available_if(check: Any) -> Any:
        return lambda method: method

    class BaseEstimator:
        pass

    class ClassifierMixin:
        pass

    class RegressorMixin:
        pass

__all__ = ["MLPClassifier", "MLPRegressor"]

_ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
_LAYER_SIZE = Interval(Integral, 1, 2**31 - 1)  # as sgdswift.Network's sizes
# scikit-learn's message for a fit whose parameters became non-finite (code written for it matches on it)
_NON_FINITE_WEIGHTS = ("Solver produced non-finite parameter weights. The input data may contain large values and "
                       "need to be preprocessed.")


def _require_sklearn(name: str) -> None:
    if _SKLEARN_IMPORT_ERROR is not None:
        raise ImportError(f"sgdswift.{name} needs scikit-learn, which is not installed "
                          f"({_SKLEARN_IMPORT_ERROR}): pip install scikit-learn") from _SKLEARN_IMPORT_ERROR


# ---- argument checks (run in fit, as scikit-learn's conventions ask: __init__ only stores) -----------

def _contiguous(X: Any, dtype: np.dtype) -> Any:
    """X as the network reads it in place: a C-contiguous array of `dtype`, or a scipy.sparse CSR matrix
    with data of `dtype` (the network converts its indices and indptr to int32 and int64 if need be)."""
    return X.astype(dtype, copy=False) if is_sparse(X) else np.ascontiguousarray(X, dtype=dtype)


def _require_targets(y: Any) -> None:
    """scikit-learn's own messages for a missing y do not all name it; this one also says what its checks expect."""
    if y is None:
        raise ValueError("y: this estimator requires y to be passed, but the target y is None")


def _require_one_label_kind(y: Any) -> None:
    """scikit-learn sorts the labels: a mix such as ['a', True] is a TypeError there that does not name y."""
    labels = y if isinstance(y, np.ndarray) else np.asarray(y, dtype=object)
    if labels.dtype != object:
        return
    values = labels.ravel().tolist()
    try:
        distinct = set(values)
    except TypeError:  # unhashable labels (nested lists): scikit-learn's own checks refuse them, naming y
        return
    try:
        sorted(distinct)
    except TypeError:
        kinds = sorted({type(label).__name__ for label in values})
        raise ValueError(f"y: expected labels of one kind (all str or all numbers), got a mix of {kinds}") from None


def _stochastic_solver(estimator: Any) -> bool:
    """Whether partial_fit exists: for the stochastic solvers only, as in scikit-learn (its message)."""
    if estimator.solver == "lbfgs":
        raise AttributeError("partial_fit is only available for stochastic optimizers. lbfgs is not stochastic.")
    return True


def _network_to_bytes(network: Network) -> bytes:
    with tempfile.TemporaryDirectory(prefix="sgdswift-") as directory:
        path = os.path.join(directory, "network.npz")
        network.save(path)
        with open(path, "rb") as file:
            return file.read()


def _network_from_bytes(data: bytes) -> Network:
    with tempfile.TemporaryDirectory(prefix="sgdswift-") as directory:
        path = os.path.join(directory, "network.npz")
        with open(path, "wb") as file:
            file.write(data)
        return load(path)


def _squared_weights(network: Network) -> float:
    """Σ‖W_l‖² over the weights (not the biases)."""
    return network._squared_weights()


class _EpochMonitor:
    """The per-epoch bookkeeping of scikit-learn's stochastic solvers, run by the Swift loop after each
    epoch (an sgdswift callback): loss_curve_, validation scores, best weights, the no-improvement count
    and the stop/adapt decision. Returning False stops training."""

    def __init__(self, estimator: "_BaseMLP", rows: int, batches: float, validation: Optional[tuple],
                 incremental: bool):
        self.estimator = estimator
        self.rows, self.batches = rows, batches
        self.validation = validation
        self.incremental = incremental
        self.stopped = False
        # η_old/η_new of the rate changes since the momentum buffer was last rescaled (see _change_rate)
        self.momentum_scale = 1.0
        self.penalty = _squared_weights(estimator.network_)
        # scikit-learn's rule: patience counts from the last improvement by at least tol, while the best value
        # follows every improvement. Its state lives in the estimator's attributes (kept across partial_fit).
        validating = validation is not None
        self.plateau = Plateau(estimator.tol, higher_is_better=validating, inclusive=True,
                               track_every_improvement=True)
        self.plateau.best = estimator.best_validation_score_ if validating else estimator.best_loss_
        self.plateau.waited = estimator._no_improvement_count

    def on_epoch_end(self, epoch: int, logs: dict) -> Optional[bool]:
        est = self.estimator
        network = est.network_
        # scikit-learn's loss_: the batch losses (each with its L2 term 0.5·alpha·‖W‖²/m, or /Σw with sample
        # weights) averaged over the rows. The data part is exact (the core's row-weighted mean); the L2 part
        # takes the mean of Σ‖W‖² at the epoch's start and end for that of every batch (exact to second order
        # in the epoch's change); `batches` is Σ_batches m/Σw (the batch count without weights).
        start, self.penalty = self.penalty, _squared_weights(network)
        loss = logs["loss"] / est._loss_scale + 0.25 * est.alpha * self.batches * (start + self.penalty) / self.rows
        est.n_iter_ += 1
        est.t_ += self.rows
        est.loss_ = loss
        est.loss_curve_.append(loss)
        if est.verbose:
            print("Iteration %d, loss = %.8f" % (est.n_iter_, loss))
        if self.validation is not None:
            score = est._validation_score(*self.validation)
            assert est.validation_scores_ is not None and est.best_validation_score_ is not None
            est.validation_scores_.append(score)
            if est.verbose:
                print("Validation score: %f" % score)
            self.plateau.update(score)
            if self.plateau.best != est.best_validation_score_:
                est.best_validation_score_ = self.plateau.best
                est._best_parameters = network.parameters.copy()
        else:
            self.plateau.update(loss)
            est.best_loss_ = self.plateau.best
        est._no_improvement_count = self.plateau.waited
        if est.solver == "sgd" and est.learning_rate == "invscaling":
            self._change_rate(est.learning_rate_init / (est.t_ + 1) ** est.power_t)
        if est._no_improvement_count > est.n_iter_no_change:
            what = "Validation score" if self.validation is not None else "Training loss"
            message = (f"{what} did not improve more than tol={est.tol:f} for {est.n_iter_no_change} consecutive "
                       f"epochs.")
            if est.solver == "sgd" and est.learning_rate == "adaptive" and est._current_lr > 1e-6:
                self._change_rate(est._current_lr / 5.0)
                est._no_improvement_count = self.plateau.waited = 0
                if est.verbose:
                    print(message + " Setting learning rate to %f" % est._current_lr)
            else:
                if est.verbose:
                    print(message + (" Learning rate too small. Stopping." if est.solver == "sgd" and
                                     est.learning_rate == "adaptive" else " Stopping."))
                if not self.incremental:
                    self.stopped = True
                    return False
        # Pauses the fit for the momentum buffer to be rescaled: the core's state cannot be written during one.
        return False if self.momentum_scale != 1.0 else None

    def _change_rate(self, rate: float) -> None:
        """The next epochs' η. SGD's momentum here is torch's form, b ← μb + g, θ ← θ − ηb; scikit-learn's is
        v ← μv − ηg, θ ← θ + v, the same while η is constant, with v = −ηb. When η changes, scikit-learn's v
        carries the old rate: b ← (η_old/η_new)·b keeps v, so the weights stay scikit-learn's."""
        est = self.estimator
        if est.momentum > 0:
            self.momentum_scale *= est._current_lr / rate
        est._current_lr = rate

    def diverged(self, epochs: int) -> None:
        """The remaining `epochs` after the weights became non-finite, as scikit-learn runs them with early
        stopping: NaN losses and validation scores (a NaN score is not below best + tol, so the no-improvement
        count restarts and training goes on to max_iter); the best weights are restored after."""
        est = self.estimator
        assert est.validation_scores_ is not None
        for _ in range(epochs):
            est.n_iter_ += 1
            est.t_ += self.rows
            est.loss_ = float("nan")
            est.loss_curve_.append(est.loss_)
            est.validation_scores_.append(float("nan"))
            if est.verbose:
                print("Iteration %d, loss = %.8f" % (est.n_iter_, est.loss_))
                print("Validation score: %f" % est.validation_scores_[-1])
        est._no_improvement_count = self.plateau.waited = 0


_MLP = TypeVar("_MLP", bound="_BaseMLP")  # fit returns the estimator itself, of its own class


class _BaseMLP(BaseEstimator):
    """Hyper-parameters and the training loop shared by MLPClassifier and MLPRegressor."""

    # fitted attributes (set by fit / partial_fit, absent before)
    network_: Network
    n_iter_: int
    t_: int
    loss_: float
    loss_curve_: list[float]
    best_loss_: Optional[float]
    validation_scores_: Optional[list[float]]
    best_validation_score_: Optional[float]
    n_outputs_: int
    n_layers_: int
    out_activation_: str
    _best_parameters: np.ndarray
    _no_improvement_count: int
    _current_lr: float
    _loss_scale: int

    if TYPE_CHECKING:  # what MLPClassifier and MLPRegressor each define
        @property
        def _n_network_outputs(self) -> int: ...
        @property
        def _n_outputs_value(self) -> int: ...
        @property
        def _output_activation(self) -> str: ...
        @property
        def _network_loss(self) -> str: ...
        def _stratify_by(self, Y: np.ndarray) -> Optional[np.ndarray]: ...
        def _validate_input(self, X: ArrayLike, y: ArrayLike, incremental: bool, reset: bool,
                            classes: Optional[np.ndarray] = None) -> tuple: ...
        def _validation_score(self, X_val: np.ndarray, Y_val: np.ndarray,
                              sample_weight: Optional[np.ndarray] = None) -> float: ...

    def __init__(self, hidden_layer_sizes: Union[int, Sequence[int]] = (100,), activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: Union[int, str] = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001, power_t: float = 0.5,
                 max_iter: int = 200, shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: Union[bool, int] = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False, validation_fraction: float = 0.1,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8, n_iter_no_change: int = 10,
                 max_fun: int = 15000):
        _require_sklearn(type(self).__name__)
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    # ---- fitted views ----------------------------------------------------------------------------

    @property
    def coefs_(self) -> list[np.ndarray]:
        """W_l of shape (fan_in, fan_out), dtype of the network (float64, or float32 when fitted on
        float32 X): views of the network's parameters, so writing into them changes the model.
        Assigning a list of arrays of these shapes copies them into the network."""
        return self.network_.weights

    @coefs_.setter
    def coefs_(self, values: Sequence[ArrayLike]) -> None:
        self._assign_parameters("coefs_", values, "weights")

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """b_l of shape (fan_out,): views of the network's parameters. Assigning a list of arrays of
        these shapes copies them into the network."""
        return self.network_.biases

    @intercepts_.setter
    def intercepts_(self, values: Sequence[ArrayLike]) -> None:
        self._assign_parameters("intercepts_", values, "biases")

    def _assign_parameters(self, name: str, values: Any, part: str) -> None:
        """Copies `values` (one array per layer) into the network's weights or biases (`part`), as
        scikit-learn code loads a model by assigning coefs_ and intercepts_. Every array is checked before
        any is written, so a refused assignment changes nothing."""
        if not hasattr(self, "network_"):
            raise NotFittedError(f"{name}: can be assigned once the estimator is fitted (fit or partial_fit creates "
                                 f"the network that holds it)")
        targets = getattr(self.network_, part)
        if isinstance(values, (np.ndarray, str, bytes)) or not isinstance(values, Sequence):
            raise ValueError(f"{name}: expected a list of {len(targets)} arrays (one per layer), got "
                             f"{type(values).__name__}")
        if len(values) != len(targets):
            raise ValueError(f"{name}: expected a list of {len(targets)} arrays (one per layer), got {len(values)}")
        dtype = self.network_.dtype
        arrays = []
        for i, (value, target) in enumerate(zip(values, targets)):
            array = array_of_shape(value, f"{name}[{i}]", target.shape)
            if array.dtype.kind not in "iuf":
                raise ValueError(f"{name}[{i}]: expected real numbers (the network is {dtype}), got dtype {array.dtype}")
            if array.shape != target.shape:
                raise ValueError(f"{name}[{i}]: expected shape {target.shape} (the network's), got {array.shape}")
            with np.errstate(over="ignore"):
                array = array.astype(dtype)
            if not np.isfinite(array).all():
                raise ValueError(f"{name}[{i}]: expected finite values within the range of {dtype} (the network's "
                                 f"dtype), got {np.asarray(value).ravel()[~np.isfinite(array.ravel())][0]!r}")
            arrays.append(array)
        for target, array in zip(targets, arrays):
            target[...] = array

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # scipy.sparse X: CSR read in place, other formats converted to it once
        return tags

    # ---- argument checks -------------------------------------------------------------------------

    # What each parameter accepts, as documented (see MLPClassifier), in the constructor's order: the kinds
    # of value, each with its range. The name and layout are scikit-learn's, the vocabulary is sgdswift's
    # own (_checks), so scikit-learn's BaseEstimator._validate_params does not apply. hidden_layer_sizes
    # (an int or a sequence of ints) is checked and converted by _hidden_sizes.
    _parameter_constraints: dict[str, list] = {
        "activation": [Options(*_ACTIVATIONS)],
        "solver": [Options("lbfgs", "sgd", "adam")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Options("auto"), Interval(Integral, 1, None)],
        "learning_rate": [Options("constant", "invscaling", "adaptive")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, MAX_EPOCHS)],  # one Network.fit call trains them all
        "shuffle": [Boolean()],
        "random_state": [None, Interval(Integral, 0, 2**32 - 1),
                         InstanceOf(np.random.RandomState, "a numpy.random.RandomState")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": [Boolean(), Interval(Integral, 0, None)],
        "warm_start": [Boolean()],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": [Boolean()],
        "early_stopping": [Boolean()],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None), Infinity()],
        "max_fun": [Interval(Integral, 1, None)],
    }

    def _hidden_sizes(self) -> list[int]:
        sizes: Any = self.hidden_layer_sizes
        if _LAYER_SIZE.admits(sizes):  # one int: one hidden layer
            sizes = [sizes]
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
            raise TypeError(f"hidden_layer_sizes: expected an int or a sequence of ints such as (100,), got "
                            f"{type(sizes).__name__} {sizes!r}")
        sizes = list(sizes)
        for i, size in enumerate(sizes):
            check_value(size, f"hidden_layer_sizes[{i}]", [_LAYER_SIZE])
        return [int(size) for size in sizes]

    def _check_params(self) -> None:
        check_parameters(self, self._parameter_constraints)
        # The table checks each parameter alone; what depends on two:
        if self.early_stopping and self.validation_fraction == 0 and self.solver != "lbfgs":  # nothing to score
            raise ValueError("validation_fraction: expected a float in (0, 1) with early_stopping=True, got 0.0")

    # ---- the training loop -----------------------------------------------------------------------

    def _new_optimizer(self) -> Optimizer:
        if self.solver == "sgd":
            momentum = float(self.momentum)
            return SGD(lr=float(self.learning_rate_init), momentum=momentum,
                       nesterov=bool(self.nesterovs_momentum) and momentum > 0)
        return _ScikitLearnAdam(lr=float(self.learning_rate_init), betas=(float(self.beta_1), float(self.beta_2)),
                                eps=float(self.epsilon))

    def _initial_parameters(self, sizes: list[int], dtype: np.dtype, random_state: np.random.RandomState) -> list:
        """scikit-learn's initialisation (Glorot & Bengio): W and b ~ U(−r, r), r = √(f/(fan_in + fan_out)),
        f = 2 for logistic units, else 6; drawn in scikit-learn's order, so that the same random_state
        gives the same initial weights as sklearn.neural_network."""
        factor = 2.0 if self.activation == "logistic" else 6.0
        parameters = []
        try:
            for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
                bound = np.sqrt(factor / (fan_in + fan_out))
                weights = random_state.uniform(-bound, bound, (fan_in, fan_out))
                biases = random_state.uniform(-bound, bound, fan_out)
                parameters.append((weights.astype(dtype, copy=False), biases.astype(dtype, copy=False)))
        except MemoryError:
            count = sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))
            raise ValueError(f"hidden_layer_sizes: {sizes[1:-1]} needs {count:,} parameters "
                             f"({count * 8 / 2**30:.1f} GiB to draw them), more memory than is available") from None
        return parameters

    def _fit(self: _MLP, X: ArrayLike, y: ArrayLike, incremental: bool, classes: Optional[np.ndarray] = None,
             sample_weight: Optional[ArrayLike] = None) -> _MLP:
        """Runs a fit or partial_fit; when it raises (bad input, sgdswift.DivergenceError, ...), the estimator's
        attributes are put back as they were (a warm-started network keeps the weights the error left)."""
        _require_targets(y)
        saved = {key: list(value) if isinstance(value, list) else value for key, value in self.__dict__.items()}
        try:
            return self._fit_unguarded(X, y, incremental, classes, sample_weight)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    def _fit_unguarded(self: _MLP, X: ArrayLike, y: ArrayLike, incremental: bool,
                       classes: Optional[np.ndarray], sample_weight: Optional[ArrayLike] = None) -> _MLP:
        self._check_params()
        hidden = self._hidden_sizes()
        first_pass = not hasattr(self, "network_") or (not self.warm_start and not incremental)
        if self.early_stopping and incremental:
            raise ValueError("early_stopping: partial_fit does not support early_stopping=True (set it to False)")
        X, Y = self._validate_input(X, y, incremental, reset=first_pass, classes=classes)
        random_state = check_random_state(self.random_state)
        if first_pass:
            dtype = X.dtype
            sizes = [X.shape[1]] + hidden + [self._n_network_outputs]
            initial = self._initial_parameters(sizes, dtype, random_state)
        else:
            network = self.network_
            if network.sizes[1:-1] != hidden:
                raise ValueError(f"hidden_layer_sizes: the fitted network has hidden layers {network.sizes[1:-1]}, "
                                 f"got {hidden}; fit with warm_start=False to start a new network")
            if network.loss_name != self._network_loss:
                raise ValueError(f"loss: the fitted network was trained with the core's {network.loss_name!r} loss, "
                                 f"this estimator's is {self._network_loss!r}; fit with warm_start=False to start a "
                                 f"new network")
        X = _contiguous(X, dtype=X.dtype if first_pass else self.network_.dtype)
        Y = np.ascontiguousarray(Y, dtype=np.int64 if Y.dtype.kind in "iu" else X.dtype)
        row_weights = sample_weights(sample_weight, X.shape[0], X.dtype)

        validation = None
        if self.early_stopping and self.solver != "lbfgs":  # as scikit-learn, lbfgs holds nothing out
            stratify = self._stratify_by(Y)
            # scikit-learn splits the weights with the rows, which leaves the split itself unchanged
            split = train_test_split(X, Y, *([] if row_weights is None else [row_weights]),
                                     random_state=random_state,
                                     test_size=self.validation_fraction, stratify=stratify)
            X, X_val, Y, Y_val = split[:4]
            row_weights, weights_val = (None, None) if row_weights is None else (split[4], split[5])
            if X_val.shape[0] < 2:
                raise ValueError("The validation set is too small. Increase 'validation_fraction' or the size of your "
                                 "dataset.")
            X, Y = _contiguous(X, X.dtype), np.ascontiguousarray(Y)
            validation = (_contiguous(X_val, X_val.dtype), Y_val, weights_val)

        if first_pass:
            network = Network(sizes, hidden=_ACTIVATIONS[self.activation], output=self._output_activation,
                              loss=self._network_loss, init="xavier", dtype=X.dtype,
                              seed=int(random_state.randint(np.iinfo(np.int32).max)))
            for (weights, biases), W, b in zip(initial, network.weights, network.biases):
                W[...] = weights
                b[...] = biases
            self.network_ = network
            self.n_outputs_ = self._n_outputs_value
            self.n_layers_ = len(sizes)
            self.out_activation_ = "logistic" if self._output_activation == "sigmoid" else self._output_activation
            self.t_ = 0
            self.loss_curve_ = []
            self._no_improvement_count = 0
            self.best_loss_ = np.inf
            self.validation_scores_ = self.best_validation_score_ = None
        network = self.network_
        self._loss_scale = self.n_outputs_ if self._network_loss == "quadratic" else 1
        # scikit-learn reports its log-losses from probabilities clipped to [eps, 1 − eps] (no effect on others)
        network._reported_loss_clip = float(np.finfo(network.dtype).eps)
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, row_weights)
            return self

        if not incremental or network.optimizer is None:
            # scikit-learn: a new optimizer for each fit (also under warm_start), kept across partial_fit
            optimizer = self._new_optimizer()
            self._current_lr = float(self.learning_rate_init)
        else:
            optimizer = network.optimizer
        if self.early_stopping and (first_pass or self.validation_scores_ is None):
            # (also when an earlier fit ran without early stopping and this warm start turns it on)
            self.validation_scores_, self.best_validation_score_, self.best_loss_ = [], -np.inf, None
            self._best_parameters = network.parameters.copy()
        elif not self.early_stopping and self.best_loss_ is None:
            self.best_loss_ = np.inf

        rows = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, rows)
        else:
            if self.batch_size > rows:
                warnings.warn(f"batch_size: got {self.batch_size}, larger than the {rows} training rows; using "
                              f"{rows}", UserWarning)
            batch_size = int(np.clip(self.batch_size, 1, rows))
        batches: float = -(-rows // batch_size)
        if row_weights is not None:  # Σ m/Σw over the (unshuffled) batches of non-zero weight: see _EpochMonitor
            starts = np.arange(0, rows, batch_size)
            batch_weights = np.add.reduceat(row_weights.astype(np.float64), starts)
            batch_rows = np.diff(np.append(starts, rows))
            batches = float(np.sum(batch_rows[batch_weights > 0] / batch_weights[batch_weights > 0]))
        epochs = 1 if incremental else int(self.max_iter)
        monitor = _EpochMonitor(self, rows, batches, validation, incremental)
        schedule = None
        if self.solver == "sgd" and self.learning_rate != "constant":
            schedule = lambda epoch: self._current_lr  # noqa: E731 - read at each epoch's start
        l2 = float(self.alpha) * (rows / batch_size)
        if not np.isfinite(l2):
            raise ValueError(f"alpha: {self.alpha!r} is too large: the network's L2 weight alpha·n/batch_size "
                             f"overflows")
        self.n_iter_ = 0
        try:
            while True:  # one Network.fit, paused where the momentum buffer is rescaled (_EpochMonitor._change_rate)
                try:
                    network.fit(X, Y, epochs=epochs - self.n_iter_, batch_size=batch_size, optimizer=optimizer,
                                schedule=schedule, shuffle=bool(self.shuffle), l2=l2, callbacks=[monitor], verbose=0,
                                sample_weight=row_weights)
                except DivergenceError as error:
                    if not self.early_stopping:
                        raise DivergenceError(f"{_NON_FINITE_WEIGHTS} ({error})") from None
                    monitor.diverged(epochs - self.n_iter_)
                    break
                if isinstance(optimizer, SGD) and monitor.momentum_scale != 1.0:
                    optimizer._scale_momentum(monitor.momentum_scale)
                    monitor.momentum_scale = 1.0
                if monitor.stopped or self.n_iter_ == epochs:
                    break
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
        if self.early_stopping:
            network.parameters[...] = self._best_parameters  # scikit-learn restores the best validation weights
        if not incremental and not monitor.stopped and self.n_iter_ == self.max_iter:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the optimization "
                          f"hasn't converged yet.", ConvergenceWarning)
        return self

    def _fit_lbfgs(self, X: Any, Y: np.ndarray, row_weights: Optional[np.ndarray]) -> None:
        """scikit-learn's lbfgs: one run of SciPy's L-BFGS-B over the whole set (also for partial_fit, which
        scikit-learn's MLPRegressor allows), minimising the mean loss + alpha/(2n)·Σ‖W‖² — the network's l2
        is alpha itself (with sample_weight: the weighted mean + alpha/(2Σw)·Σ‖W‖², scikit-learn's). loss_curve_
        gets one entry per iteration (scikit-learn's lbfgs keeps none)."""
        network = self.network_
        rows = X.shape[0] if row_weights is None else float(np.sum(row_weights, dtype=np.float64))
        lbfgs = LBFGS(max_iter=int(self.max_iter), max_fun=int(self.max_fun), tol=float(self.tol))

        def scikit_learn_loss(data_loss: float) -> float:
            """scikit-learn's loss at the network's weights: its squared error also divides by the outputs."""
            return data_loss / self._loss_scale + 0.5 * self.alpha * _squared_weights(network) / rows

        def record(iteration: int, logs: dict) -> None:
            self.loss_ = scikit_learn_loss(logs["loss"])
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print("Iteration %d, loss = %.8f" % (len(self.loss_curve_), self.loss_))

        network.fit(X, Y, optimizer=lbfgs, l2=float(self.alpha), callbacks=[record], verbose=0,
                    sample_weight=row_weights)
        result = lbfgs.result
        self.n_iter_ = min(int(result.nit), int(self.max_iter))
        # The objective at the final weights, as scikit-learn's loss_ = result.fun (the same for one output)
        self.loss_ = scikit_learn_loss(result.fun - 0.5 * self.alpha * _squared_weights(network) / rows)
        if self.best_loss_ is not None and self.loss_curve_:
            self.best_loss_ = min(self.best_loss_, *self.loss_curve_)
        if result.status != 0:  # scikit-learn's wording (sklearn.utils.optimize._check_optimize_result)
            message = (f"lbfgs failed to converge after {self.n_iter_} iteration(s) (status={result.status}):\n"
                       f"{result.message}\n")
            if self.n_iter_ == self.max_iter:
                message += (f"\nIncrease the number of iterations to improve the convergence "
                            f"(max_iter={self.max_iter}).")
            message += ("\nYou might also want to scale the data as shown in:\n"
                        "    https://scikit-learn.org/stable/modules/preprocessing.html")
            warnings.warn(message, ConvergenceWarning)

    def _forward(self, X: ArrayLike) -> np.ndarray:
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False, dtype=(np.float64, np.float32), accept_sparse="csr")
        return self.network_.predict(X)

    def export(self, path: Union[str, "os.PathLike[str]"], format: Optional[str] = None) -> None:
        """Writes the fitted network to `path` as an ONNX model: `network_.export(path, format)`. Its
        output "Y" is the network's (for a classifier the class probabilities; with two classes the
        probability of classes_[1] alone), not the labels `predict` maps them to."""
        check_is_fitted(self)
        self.network_.export(path, format)

    # ---- pickling: the network through Network.save (its core is not picklable) ---------------------

    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())
        network = state.pop("network_", None)
        if network is not None:
            state["_network_npz"] = _network_to_bytes(network)
        return state

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        data = state.pop("_network_npz", None)
        super().__setstate__(state)
        if data is not None:
            self.network_ = _network_from_bytes(data)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multilayer perceptron classifier trained by the sgdswift core, with scikit-learn's API and the
    semantics of `sklearn.neural_network.MLPClassifier` for solver "sgd", "adam" or "lbfgs".

    Output layer and loss, by the targets: two classes → one logistic unit with binary cross-entropy;
    more classes → softmax with cross-entropy; a multilabel indicator matrix (n_samples, n_labels) →
    one logistic unit per label with binary cross-entropy. Labels may be any that scikit-learn accepts
    (ints, strings, ...); `classes_` holds them sorted.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int ≥ 1, default (100,)
        Units per hidden layer; () trains a network without hidden layers.
    activation : {"relu", "identity", "logistic", "tanh"}, default "relu"
        Activation of the hidden layers.
    solver : {"adam", "sgd", "lbfgs"}, default "adam"
        "sgd": `sgdswift.SGD(lr=learning_rate_init, momentum, nesterov=nesterovs_momentum)`;
        "adam": `sgdswift.Adam(lr=learning_rate_init, betas=(beta_1, beta_2), eps=epsilon)`;
        "lbfgs": `sgdswift.LBFGS(max_iter, max_fun, tol)`, full-batch L-BFGS by SciPy's L-BFGS-B (needs
        SciPy) minimising the mean loss + alpha/(2n)·Σ‖W‖² over all n rows, as scikit-learn; batch_size,
        the learning-rate and momentum parameters, shuffle, early_stopping and n_iter_no_change do
        not apply to it, and MLPClassifier.partial_fit refuses it (AttributeError, as scikit-learn).
        For several regression targets scikit-learn hands SciPy a loss divided by the number of
        outputs with a gradient that is not; lbfgs here minimises the squared error with its own
        gradient, so only single-target fits follow scikit-learn's iterates. SGD momentum is torch's form, b ← μb + g, θ ← θ − ηb (Nesterov:
        θ ← θ − η(g + μb)); scikit-learn's v ← μv − ηg, θ ← θ + v is the same sequence of weights
        while η is constant, and where learning_rate changes η the buffer is rescaled,
        b ← (η_old/η_new)·b, so that v = −ηb carries the old rate as scikit-learn's does. Adam
        takes scikit-learn's steps, ε added to √v before the bias correction:
        θ ← θ − η·√(1 − β₂ᵗ)/(1 − β₁ᵗ)·m/(√v + ε) (`sgdswift.Adam`, as torch, adds it after).
    alpha : float ≥ 0, default 1e-4
        L2 penalty. scikit-learn adds 0.5·alpha·Σ‖W‖²/m to each mini-batch's loss (m its rows, the
        biases not penalised), so each step's gradient gains (alpha/m)·W. The network's `l2=λ` is
        Nielsen's λ/(2n)·Σ‖W‖² with n the training rows, gradient (λ/n)·W; this estimator passes
        λ = alpha·n/batch_size, which is exactly scikit-learn's rule for every full mini-batch (all of
        them when batch_size divides n; a last partial batch of m' rows gets alpha/batch_size in
        place of alpha/m').
    batch_size : int ≥ 1 or "auto", default "auto"
        Mini-batch rows; "auto" is min(200, n_samples). Larger than n_samples: clipped, with a warning.
    learning_rate : {"constant", "invscaling", "adaptive"}, default "constant"
        Schedule for solver "sgd", as scikit-learn: invscaling sets η = learning_rate_init/(t + 1)^power_t
        after each epoch (t = samples seen); adaptive divides η by 5 instead of stopping.
    learning_rate_init : float > 0, default 1e-3
    power_t : float ≥ 0, default 0.5
    max_iter : int ≥ 1, default 200
        (lbfgs: L-BFGS iterations at most.)
        Epochs of `fit` (a ConvergenceWarning when they run out before the stopping rule fires).
    shuffle : bool, default True
        Visit the rows in a new seeded order each epoch.
    random_state : None, int or numpy.random.RandomState
        Seeds the initial weights (the same as scikit-learn's for the same int), the early-stopping
        split and the network's shuffling seed.
    tol : float ≥ 0, default 1e-4
        (lbfgs: stop when every gradient component is at most tol, SciPy's gtol.)
    max_fun : int ≥ 1, default 15000
        lbfgs only: loss evaluations at most (checked at the end of each iteration, as SciPy does).
    n_iter_no_change : int ≥ 1, default 10
        Stopping rule: without early stopping, training stops when the training loss (loss_curve_) has
        not fallen below best_loss_ − tol for more than n_iter_no_change consecutive epochs; with
        early stopping, when the validation accuracy has not risen above best_validation_score_ + tol
        for more than n_iter_no_change consecutive epochs, and the best validation weights are restored.
    verbose : bool or int, default False
        Prints the loss of each epoch (and the validation score).
    warm_start : bool, default False
        `fit` continues from the fitted network (same classes required), with a fresh optimizer.
    momentum : float in [0, 1], default 0.9
    nesterovs_momentum : bool, default True
    early_stopping : bool, default False
        Holds out validation_fraction of the rows, drawn from random_state as scikit-learn draws them
        (stratified for two classes).
    validation_fraction : float in (0, 1), default 0.1
    beta_1 : float in [0, 1), default 0.9
    beta_2 : float in [0, 1), default 0.999
    epsilon : float > 0, default 1e-8

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted (for multilabel targets: arange(n_labels)).
    network_ : sgdswift.Network
        The trained network, of dtype float32 when fitted on float32 X, else float64.
    coefs_ : list of ndarray, shape (fan_in, fan_out)
        Views of the network's weights: writing into them changes predictions. Assigning a list of
        arrays of these shapes (real numbers, finite in the network's dtype) copies them into the
        network, as scikit-learn code loads a model; a refused assignment changes nothing.
    intercepts_ : list of ndarray, shape (fan_out,)
        Views of the network's biases; assignable as coefs_.
    loss_, loss_curve_ : float, list of float
        lbfgs: loss_ is the objective at the final weights (scikit-learn's result.fun), loss_curve_
        the objective at each iteration's accepted weights (scikit-learn keeps no loss_curve_ for
        lbfgs). The stochastic solvers:
        scikit-learn's training loss per epoch: the data loss (exact, averaged over rows as trained;
        the log-loss −Σ y log p from the probabilities clipped to [eps, 1 − eps], eps that of the
        network's dtype, as scikit-learn reports it: at most −log eps per output and row)
        plus the L2 term 0.5·alpha·(batches/n)·Σ‖W‖², with Σ‖W‖² the mean of its values at the epoch's
        start and end (scikit-learn takes each batch's; the two agree to second order in the change).
    best_loss_ : float or None
        Lowest loss_curve_ entry (None with early stopping).
    validation_scores_, best_validation_score_ : list of float, float, or None
        Accuracy on the held-out rows after every epoch and its best (None without early stopping).
    n_iter_ : int
        Epochs run by the last fit (1 after partial_fit); lbfgs: iterations, min(SciPy's nit, max_iter).
    t_ : int
        Training samples seen over all fits.
    n_features_in_, feature_names_in_, n_outputs_, n_layers_, out_activation_
        As in scikit-learn.

    A NaN or infinite loss stops training with `sgdswift.DivergenceError`, a ValueError (and a
    FloatingPointError) whose message starts with scikit-learn's ("Solver produced non-finite parameter
    weights. ..."); with early stopping the fit goes on as scikit-learn's does: the remaining epochs
    record NaN losses and validation scores, up to max_iter, and the best validation weights are restored.
    A y with one class trains one logistic unit towards 0, as scikit-learn: predict gives that class and
    predict_proba two columns (1 − p, p).
    """

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: Optional[ArrayLike] = None) -> "MLPClassifier":
        """Trains for up to max_iter epochs (a new network unless warm_start).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numbers (float32 kept, anything else as float64).
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels, or 0/1 indicators.
        sample_weight : array-like of shape (n_samples,), default None
            Weights wᵢ ≥ 0 (not all 0), in X's dtype: each mini-batch's loss is the weighted mean
            Σ wᵢℓᵢ / Σ wᵢ and its L2 term 0.5·alpha·Σ‖W‖²/Σ wᵢ, as scikit-learn ≥ 1.7 (a batch whose
            weights are all 0 is skipped); with early_stopping the weights are split with the rows
            and the validation accuracy is weighted. None: every weight 1.

        Returns
        -------
        MLPClassifier
            self.
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    @available_if(_stochastic_solver)
    def partial_fit(self, X: ArrayLike, y: ArrayLike, sample_weight: Optional[ArrayLike] = None,
                    classes: Optional[ArrayLike] = None) -> "MLPClassifier":
        """One epoch over (X, y), continuing the fitted network and its optimizer.

        Parameters
        ----------
        sample_weight : array-like of shape (n_samples,), default None
            As in `fit`.
        classes : array-like of shape (n_classes,)
            Required on the first call: every label that any call will see (y may hold a subset).
            Not needed for multilabel indicator targets.

        Returns
        -------
        MLPClassifier
            self.
        """
        _require_targets(y)
        fitted = hasattr(self, "network_")
        if not fitted and classes is None and not type_of_target(y).startswith("multilabel"):
            raise ValueError("classes: must be passed on the first call to partial_fit (all labels, e.g. "
                             "np.unique(y_all)), got None")
        if classes is not None:
            classes = unique_labels(classes)
            if fitted and not np.array_equal(self.classes_, classes):
                raise ValueError(f"classes: expected the same classes as on the last call to partial_fit, "
                                 f"{self.classes_.tolist()}, got {classes.tolist()}")
        return self._fit(X, y, incremental=True, classes=classes, sample_weight=sample_weight)

    def _validate_input(self, X: ArrayLike, y: ArrayLike, incremental: bool, reset: bool,
                        classes: Optional[np.ndarray] = None) -> tuple:
        _require_one_label_kind(y)
        X, y = _validate_data(self, X, y, multi_output=True, dtype=(np.float64, np.float32), reset=reset,
                              accept_sparse="csr")
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        target_type = type_of_target(y)
        if target_type not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(f"y: expected class labels (binary or multiclass) or a multilabel indicator matrix, "
                             f"got target type {target_type!r}")
        if reset:
            if target_type == "multilabel-indicator":
                classes = np.arange(y.shape[1])
            elif classes is None:
                classes = unique_labels(y)
            self.classes_ = classes
            # One class trains as scikit-learn's: a logistic unit with target 0, and predict gives that class.
            self._target_type = "multilabel-indicator" if target_type == "multilabel-indicator" else (
                "binary" if len(classes) <= 2 else "multiclass")
        else:
            fitted_multilabel = self._target_type == "multilabel-indicator"
            if fitted_multilabel != (target_type == "multilabel-indicator"):
                raise ValueError(f"y: the classifier was fitted on {self._target_type} targets, got {target_type}")
            if fitted_multilabel:
                if y.shape[1] != len(self.classes_):
                    raise ValueError(f"y: expected {len(self.classes_)} label columns as fitted, got {y.shape[1]}")
            else:
                labels = unique_labels(y)
                if self.warm_start and not incremental and set(labels) != set(self.classes_):
                    raise ValueError(f"warm_start can only be used where `y` has the same classes as in the previous "
                                     f"call to fit. Previously got {self.classes_}, `y` has {labels}")
        if self._target_type != "multilabel-indicator":
            unknown = np.setdiff1d(unique_labels(y), self.classes_)
            if len(unknown):
                raise ValueError(f"y: has classes {unknown.tolist()} not among classes_ {self.classes_.tolist()}")
        if self._target_type == "multilabel-indicator":
            Y = np.asarray(y, dtype=X.dtype)
            if not np.isin(Y, (0, 1)).all():
                raise ValueError(f"y: a multilabel indicator matrix holds 0 and 1 only, got "
                                 f"{Y[~np.isin(Y, (0, 1))][0].item()!r}")
            return X, Y
        y = np.asarray(y)
        indices = np.searchsorted(self.classes_, y)
        if self._target_type == "binary":
            return X, indices.astype(X.dtype).reshape(-1, 1)
        return X, indices.astype(np.int64)

    @property
    def _n_network_outputs(self) -> int:
        return 1 if self._target_type == "binary" else len(self.classes_)

    @property
    def _n_outputs_value(self) -> int:
        return self._n_network_outputs

    @property
    def _output_activation(self) -> str:
        return "softmax" if self._target_type == "multiclass" else "sigmoid"

    @property
    def _network_loss(self) -> str:
        return "cross_entropy" if self._target_type == "multiclass" else "binary_cross_entropy"

    def _stratify_by(self, Y: np.ndarray) -> Optional[np.ndarray]:
        """As scikit-learn (which stratifies when its binarised targets have one column): the early-stopping
        split is stratified for two classes only, by the (n, 1) 0/1 targets, which gives its very split."""
        return Y > 0.5 if self._target_type == "binary" else None

    def _binary_indices(self, outputs: np.ndarray) -> np.ndarray:
        """Index in classes_ of each row's class from the logistic unit (always 0 with one class, as scikit-learn)."""
        return (outputs[:, 0] > 0.5).astype(np.intp) * (len(self.classes_) - 1)

    def _labels(self, outputs: np.ndarray) -> np.ndarray:
        if self._target_type == "binary":
            return self.classes_[self._binary_indices(outputs)]
        if self._target_type == "multilabel-indicator":
            return (outputs > 0.5).astype(np.int64)
        return self.classes_[np.argmax(outputs, axis=1)]

    def _validation_score(self, X_val: np.ndarray, Y_val: np.ndarray,
                          sample_weight: Optional[np.ndarray] = None) -> float:
        """Accuracy on the held-out rows (subset accuracy for multilabel; weighted by sample_weight),
        NaN for non-finite outputs."""
        outputs = self.network_.predict(X_val)
        if not np.isfinite(outputs).all():
            return float("nan")
        if self._target_type == "binary":
            correct = self._binary_indices(outputs) == Y_val[:, 0]
        elif self._target_type == "multilabel-indicator":
            correct = np.all((outputs > 0.5) == (Y_val > 0.5), axis=1)
        else:
            correct = np.argmax(outputs, axis=1) == Y_val
        return float(np.average(correct, weights=sample_weight))

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: Optional[ArrayLike] = None) -> float:
        """Mean accuracy of predict(X) against the true labels y (scikit-learn's ClassifierMixin.score)."""
        _require_targets(y)
        _require_one_label_kind(y)
        return super().score(X, y, sample_weight=sample_weight)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted labels: shape (n_samples,) of classes_' dtype, or (n_samples, n_labels) 0/1 int64 for
        multilabel targets. X : array-like or sparse (n_samples, n_features)."""
        return self._labels(self._forward(X))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes) in the order of classes_ (rows sum to 1;
        multilabel: each label's probability), dtype of the network. X : (n_samples, n_features)."""
        outputs = self._forward(X)
        if self._target_type == "binary":
            return np.hstack([1 - outputs, outputs])
        return outputs

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """log(predict_proba(X)), shape (n_samples, n_classes)."""
        probabilities = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(probabilities, out=probabilities)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multilayer perceptron regressor trained by the sgdswift core, with scikit-learn's API and the
    semantics of `sklearn.neural_network.MLPRegressor` (loss "squared_error" or "poisson") for solver "sgd",
    "adam" or "lbfgs".

    The parameters are those of `MLPClassifier` (see there: solver, alpha's mapping onto the network's
    l2, the stopping rule, sample_weight), and `loss`; early stopping scores R² (`r2_score`, averaged
    over the outputs, weighted by the held-out sample_weight).

    Parameters
    ----------
    loss : {"squared_error", "poisson"}, default "squared_error"
        "squared_error": identity output units, one per target, and the quadratic cost
        C = 1/(2n) Σ‖y − a‖² (scikit-learn's gradient; its reported loss_ divides by the number of
        outputs as well, and so does this loss_curve_). "poisson": exponential output units
        a = e^z (a log link) and half the Poisson deviance, ℓ = Σ_j e^(z_j) − y_j z_j + y_j log y_j − y_j
        per row (0 where a = y; computed from z), with δ = a − y; y must be ≥ 0. As scikit-learn ≥ 1.7
        (first positional parameter there too).

    Attributes
    ----------
    network_ : sgdswift.Network
        float32 when fitted on float32 X, else float64.
    coefs_ : list of ndarray, shape (fan_in, fan_out)
        Views of the network's parameters: writing into them changes predictions; assigning a
        list of arrays copies them in (see `MLPClassifier`).
    intercepts_ : list of ndarray, shape (fan_out,)
        Views of the network's parameters: writing into them changes predictions; assignable.
    loss_, loss_curve_, best_loss_, validation_scores_, best_validation_score_, n_iter_, t_,
    n_features_in_, feature_names_in_, n_outputs_, n_layers_, out_activation_ ("identity" or "exp")
        As in `MLPClassifier` and scikit-learn.
    """

    _parameter_constraints: dict[str, list] = {**_BaseMLP._parameter_constraints,
                                                "loss": [Options("squared_error", "poisson")]}
    _n_network_outputs = property(lambda self: self._n_targets)
    _n_outputs_value = property(lambda self: self._n_targets)
    _output_activation = property(lambda self: "exp" if self.loss == "poisson" else "identity")
    _network_loss = property(lambda self: "poisson" if self.loss == "poisson" else "quadratic")

    def __init__(self, loss: str = "squared_error", hidden_layer_sizes: Union[int, Sequence[int]] = (100,),
                 activation: str = "relu", *, solver: str = "adam", alpha: float = 0.0001,
                 batch_size: Union[int, str] = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: Any = None, tol: float = 1e-4, verbose: Union[bool, int] = False,
                 warm_start: bool = False, momentum: float = 0.9, nesterovs_momentum: bool = True,
                 early_stopping: bool = False, validation_fraction: float = 0.1, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8, n_iter_no_change: int = 10, max_fun: int = 15000):
        super().__init__(hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
                         learning_rate=learning_rate, learning_rate_init=learning_rate_init, power_t=power_t,
                         max_iter=max_iter, shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
                         warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
                         early_stopping=early_stopping, validation_fraction=validation_fraction, beta_1=beta_1,
                         beta_2=beta_2, epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun)
        self.loss = loss

    def _stratify_by(self, Y: np.ndarray) -> None:
        return None

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: Optional[ArrayLike] = None) -> "MLPRegressor":
        """Trains for up to max_iter epochs (a new network unless warm_start).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numbers (float32 kept, anything else as float64).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Numbers (≥ 0 for loss="poisson").
        sample_weight : array-like of shape (n_samples,), default None
            As in `MLPClassifier.fit`.

        Returns
        -------
        MLPRegressor
            self.
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    def partial_fit(self, X: ArrayLike, y: ArrayLike, sample_weight: Optional[ArrayLike] = None) -> "MLPRegressor":
        """One epoch over (X, y), weighted by sample_weight as in `fit`, continuing the fitted network and
        its optimizer. Returns self."""
        return self._fit(X, y, incremental=True, sample_weight=sample_weight)

    def _validate_input(self, X: ArrayLike, y: ArrayLike, incremental: bool, reset: bool,
                        classes: Optional[np.ndarray] = None) -> tuple:  # classes: for classifiers only
        X, y = _validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=(np.float64, np.float32),
                              accept_sparse="csr",
                              reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        targets = 1 if y.ndim == 1 else y.shape[1]
        if reset:
            self._n_targets = targets
        elif targets != self._n_targets:
            raise ValueError(f"y: expected {self._n_targets} target column(s) as fitted, got {targets}")
        Y = np.asarray(y, dtype=X.dtype).reshape(len(y), targets)
        if not np.isfinite(Y).all():  # finite in y's dtype, beyond the network's (float32)
            raise ValueError(f"y: values beyond the range of {X.dtype} (the network's dtype, from X), e.g. "
                             f"{np.asarray(y).ravel()[~np.isfinite(Y.ravel())][0]!r}")
        if self.loss == "poisson" and (Y < 0).any():  # the wording of scikit-learn's other Poisson regressors
            raise ValueError("Some value(s) of y are negative which is not allowed for Poisson regression.")
        return X, Y

    def _validation_score(self, X_val: np.ndarray, Y_val: np.ndarray,
                          sample_weight: Optional[np.ndarray] = None) -> float:
        """R² on the held-out rows (uniform average over outputs; weighted by sample_weight), NaN for
        non-finite outputs."""
        outputs = self.network_.predict(X_val)
        if not np.isfinite(outputs).all():
            return float("nan")
        return float(r2_score(Y_val, outputs, sample_weight=sample_weight))

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: Optional[ArrayLike] = None) -> float:
        """R² of predict(X) against the true values y (scikit-learn's RegressorMixin.score)."""
        _require_targets(y)
        return super().score(X, y, sample_weight=sample_weight)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted targets, shape (n_samples,) for one target, else (n_samples, n_targets); dtype of
        the network. X : array-like or sparse (n_samples, n_features)."""
        outputs = self._forward(X)
        return outputs.ravel() if outputs.shape[1] == 1 else outputs

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
