"""The Network class: argument handling and NumPy conventions around the Swift core (sgdswift._core)."""
from __future__ import annotations

import itertools
import math
import secrets
import time
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _core
from ._checks import (DTYPES, INT64_MAX, MAX_EPOCHS, SparseRows, dropout_rates, file_path, flag, float_dtype,
                      hidden_activations, integer, is_sparse, numeric_array, one_of, pair, rate_schedule, real,
                      sample_weights, sparse_rows)
from ._checks import name as check_name
from ._files import PathLike, read_npz, write_atomically, write_npz
from ._history import RECORD_FIELDS, History, epoch_logs
from .callbacks import CallbackList, Callbacks, EpochPrinter, ProgressBar
from .optim import LBFGS, SGD, Optimizer
from .schedules import ScheduleLike, epoch_rate

_FILE_FORMAT = "sgdswift.Network"
_FILE_VERSION = 1
_FILE_FIELDS = ("format", "version", "sizes", "hidden", "output", "loss", "init", "dtype", "seed", "fits",
                "parameters")
_OPTIMIZER_FIELDS = ("optimizer", "optimizer_count", "optimizer_steps", "optimizer_state")
# Fields added since version 1, each absent from older files (read as no dropout and no steps).
_ADDED_FIELDS = ("dropout", "steps")
# `step`'s dropout masks use streams from 2⁶³ on, which fit's (its count of fits) never reach.
_STEP_STREAMS = 2**63
_network_identities = itertools.count()


_Inputs = Union[np.ndarray, SparseRows]


def _core_inputs(X: Optional[_Inputs]) -> Any:
    """X as sgdswift._core takes it: the array, or sparse rows' (data, indices, indptr, columns)."""
    return X.core if isinstance(X, SparseRows) else X


class DivergenceError(FloatingPointError, ValueError):
    """Training produced a NaN or infinite loss or gradient. The network holds the weights from before
    the step that caused it; its optimizer's state was reset.

    A FloatingPointError (an ArithmeticError) and a ValueError: the latter is what scikit-learn raises
    for a fit whose parameters become non-finite, so code written for it catches this too."""


class Network:
    """A multilayer perceptron trained by gradient descent in the Swift core.

    Layer l computes z = a_prev @ W + b and a = act(z), with W of shape (fan_in, fan_out) and b of
    shape (fan_out,). `hidden` is the activation of every hidden layer, or a list of one per hidden
    layer (its length the number of hidden layers), each act(z) with its derivative act'(z):

        sigmoid     s(z) = 1/(1 + e^(−z))               s(z)(1 − s(z))
        relu        max(z, 0)                           1 if z > 0 else 0
        tanh        tanh z                              1 − tanh² z
        identity    z                                   1
        leaky_relu  z if z > 0 else 0.01 z              1 if z > 0 else 0.01
        elu         z if z > 0 else e^z − 1             1 if z > 0 else e^z
        gelu        z Φ(z), Φ(z) = ½(1 + erf(z/√2))     Φ(z) + z e^(−z²/2)/√(2π)
        softplus    log(1 + e^z)                        s(z)
        silu        z s(z)                              s(z)(1 + z(1 − s(z)))

    (the last five: hidden layers only; all computed without overflow for any finite z). `output` is
    the last layer's: "sigmoid", "relu", "tanh", "identity", "softmax" or "exp" (a = e^z); `loss` is one of
    "quadratic" (1/2n Σ‖y−a‖²), "mse", "mae", "binary_cross_entropy" (sigmoid output), "cross_entropy"
    (softmax output) or "poisson" (exp output, targets y ≥ 0: half the Poisson deviance
    Σ_j e^(z_j) − y_j z_j + y_j log y_j − y_j per row, gradient e^z − y). `init` is "normal" (N(0,1) weights and biases, as Nielsen's network.py), "xavier", "he"
    or "auto" (he when every hidden activation named is relu, leaky_relu, elu, gelu or silu, xavier
    otherwise). `seed` makes initialisation, shuffling and dropout reproducible; None draws one (kept in
    `net.seed`).

    `dropout` is inverted dropout on the hidden activations while training (`fit` and `step`): a rate
    p in [0, 1) for every hidden layer, or a sequence with one per hidden layer. Each hidden unit of each
    row is kept with probability 1 − p and then scaled by 1/(1 − p), ã = m ⊙ σ(z)/(1 − p) with
    m ~ Bernoulli(1 − p), and backpropagation goes through the same mask, δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ σ'(z_l)
    ⊙ m/(1 − p); `predict`, `loss`, `evaluate` and `gradient` use the full network. The masks are drawn
    from the seed, the call (fit or step) and the row's place in its mini-batch: the same seed and the
    same calls train bit for bit alike, on any number of threads.

    `weights` and `biases` are NumPy views of the core's parameters: writing into them changes the model.

    `fit`, `step`, `loss`, `evaluate` and `gradient` take `sample_weight`: one weight wᵢ ≥ 0 per row
    (converted to the network's dtype; not all 0). The cost of a set of rows is then the weighted mean
    Σ wᵢℓᵢ / Σ wᵢ (None: every wᵢ = 1, exactly the unweighted results), so integer weights act as
    repeated rows.
    """

    def __init__(self, sizes: Sequence[int], hidden: Union[str, Sequence[str]] = "sigmoid", output: str = "sigmoid",
                 loss: str = "quadratic", init: str = "auto", dtype: Any = "float32",
                 seed: Optional[int] = None, dropout: Any = 0.0):
        if (isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray))
                or (isinstance(sizes, np.ndarray) and sizes.ndim != 1)):
            raise TypeError(f"sizes: expected a sequence of layer sizes such as [784, 30, 10], got {type(sizes).__name__}")
        sizes = [integer(size, f"sizes[{i}]", 1, 2**31 - 1) for i, size in enumerate(sizes)]
        if len(sizes) < 2:
            raise ValueError(f"sizes: expected at least 2 layer sizes (inputs and outputs), got {sizes}")
        names: dict[str, Any] = {key: check_name(value, key) for key, value in
                                 (("output", output), ("loss", loss), ("init", init))}
        names["hidden"] = hidden_activations(hidden, len(sizes) - 2)
        self._dtype = float_dtype(dtype, "dtype", list(DTYPES))
        self._dropout = dropout_rates(dropout, "dropout", len(sizes) - 2)
        self._seed = secrets.randbits(63) if seed is None else integer(seed, "seed", 0, 2**64 - 1)
        self._core = _core.Network(dtype=DTYPES[self._dtype], sizes=sizes, seed=self._seed, **names)
        self._sizes = sizes
        self._names = names
        # Shares the core's memory. (NumPy's stubs accept any buffer only from Python 3.12 on.)
        self._parameters = np.frombuffer(self._core, dtype=self._dtype)  # type: ignore[call-overload]
        self._weights, self._biases = self._split(self._parameters)
        self._fits = 0
        self._steps = 0  # calls of `step`: the stream of each one's dropout masks
        self._identity = next(_network_identities)
        self.history: Optional[History] = None
        self.optimizer: Optional[Optimizer] = None  # the last one used; fit and step reuse it by default
        # c > 0: fit reports the cross-entropies from probabilities clipped to [c, 1 − c], as scikit-learn
        # reports its loss (the gradient is unchanged); set by sgdswift's scikit-learn estimators.
        self._reported_loss_clip = 0.0

    # ---- structure -------------------------------------------------------------------------------

    def _split(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Views of a flat vector laid out as the parameters [W1, b1, W2, b2, ...]."""
        weights, biases, offset = [], [], 0
        for fan_in, fan_out in zip(self._sizes[:-1], self._sizes[1:]):
            weights.append(flat[offset:offset + fan_in * fan_out].reshape(fan_in, fan_out))
            offset += fan_in * fan_out
            biases.append(flat[offset:offset + fan_out])
            offset += fan_out
        return weights, biases

    @property
    def sizes(self) -> list[int]:
        """The layer sizes [inputs, hidden..., outputs] (a copy)."""
        return list(self._sizes)

    def _squared_weights(self) -> float:
        """Σ‖W_l‖² over the weights (not the biases): the sum in L2 terms."""
        return sum(float(np.dot(w.ravel(), w.ravel())) for w in self._weights)

    @property
    def weights(self) -> list[np.ndarray]:
        """W_l of shape (fan_in, fan_out) and the network's dtype, one per layer: views of the core's
        memory (C-contiguous; writing into them changes the model)."""
        return list(self._weights)

    @property
    def biases(self) -> list[np.ndarray]:
        """b_l of shape (fan_out,) and the network's dtype, one per layer: views of the core's memory."""
        return list(self._biases)

    @property
    def parameters(self) -> np.ndarray:
        """All parameters as one flat view [W1, b1, W2, b2, ...] of the core's memory: shape
        (Σ_l fan_in·fan_out + fan_out,), the network's dtype; each W_l flattened in C order."""
        return self._parameters

    @property
    def dtype(self) -> np.dtype:
        """np.float32 or np.float64: the dtype of the parameters, of the computation and of `predict`'s output."""
        return self._dtype

    @property
    def hidden(self) -> Union[str, list[str]]:
        """The hidden activation as given: one name for every hidden layer, or a list of one per hidden
        layer (a copy); `hidden_activations` always has the list."""
        hidden = self._names["hidden"]
        return hidden if isinstance(hidden, str) else list(hidden)

    @property
    def hidden_activations(self) -> list[str]:
        """The activation of each hidden layer, in order (empty without hidden layers)."""
        hidden = self._names["hidden"]
        return [hidden] * (len(self._sizes) - 2) if isinstance(hidden, str) else list(hidden)

    @property
    def output(self) -> str:
        """The output layer's activation: a hidden one, "softmax" or "exp"."""
        return self._names["output"]

    @property
    def loss_name(self) -> str:
        """The cost: "quadratic", "mse", "mae", "binary_cross_entropy", "cross_entropy" or "poisson"."""
        return self._names["loss"]

    @property
    def init(self) -> str:
        """The initialisation asked for: "normal", "xavier", "he" or "auto"."""
        return self._names["init"]

    @property
    def dropout(self) -> list[float]:
        """The dropout rate p of each hidden layer while training (0: none), a copy."""
        return list(self._dropout)

    def _core_dropout(self) -> Optional[np.ndarray]:
        """The rates as the core takes them: float64, or None without dropout."""
        return np.array(self._dropout, dtype=np.float64) if any(self._dropout) else None

    @property
    def seed(self) -> int:
        """The seed of initialisation and shuffling (drawn at construction when None was given)."""
        return self._seed

    def __repr__(self) -> str:
        return (f"Network({self._sizes}, hidden={self._names['hidden']!r}, output={self.output!r}, loss={self.loss_name!r}, "
                f"dtype={str(self._dtype)!r}{f', dropout={self._dropout}' if any(self._dropout) else ''}, "
                f"parameters={self._parameters.size})")

    def _layer_activations(self) -> list[str]:
        """One activation name per layer: the hidden layers' (one name for all, or one each), then the output's."""
        return self.hidden_activations + [self.output]

    def _layer_dropout(self) -> list[str]:
        """Each layer's dropout rate as the summary shows it: "—" without dropout and for the output layer."""
        return [f"{rate:g}" if rate else "—" for rate in self._dropout] + ["—"]

    def summary(self) -> str:
        """Prints and returns a table of the layers: for layer l, its input → output size, activation,
        dropout rate (— when none) and parameter count fan_in·fan_out + fan_out (W_l and b_l); then the
        total Σ_l (fan_in·fan_out + fan_out), the dtype and the parameters' memory."""
        header = ("Layer", "Input → output", "Activation", "Dropout", "Parameters")
        rows = [(str(layer), f"{fan_in} → {fan_out}", activation, dropout, f"{fan_in * fan_out + fan_out:,}")
                for layer, (fan_in, fan_out, activation, dropout) in enumerate(
                    zip(self._sizes, self._sizes[1:], self._layer_activations(), self._layer_dropout()), start=1)]
        widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]

        def line(cells: Sequence[str]) -> str:
            return "  ".join(cell.rjust(width) if column in (0, 4) else cell.ljust(width)
                             for column, (cell, width) in enumerate(zip(cells, widths))).rstrip()

        rule = "─" * len(line(header))
        table = "\n".join([line(header), rule, *map(line, rows), rule,
                           f"Total parameters: {self._parameters.size:,} ({self._dtype}, "
                           f"{_memory(self._parameters.nbytes)})"])
        print(table)
        return table

    # ---- inputs ----------------------------------------------------------------------------------

    def _inputs(self, X: Any, name: str = "X") -> Union[np.ndarray, SparseRows]:
        """X as a C-contiguous (n, inputs) array of the network's dtype: the caller's own array when it
        already is one, else a converted copy; a scipy.sparse X as SparseRows (see `sparse_rows`)."""
        if is_sparse(X):
            return sparse_rows(X, name, self._dtype, self._sizes[0])
        array = numeric_array(X, name)
        if array.ndim != 2 or array.shape[1] != self._sizes[0]:
            hint = " (for one sample use x.reshape(1, -1))" if array.ndim == 1 else ""
            raise ValueError(f"{name}: expected shape (n, {self._sizes[0]}), got {array.shape}{hint}")
        return np.ascontiguousarray(array, dtype=self._dtype)

    def _targets(self, Y: Any, rows: int, name: str = "Y") -> np.ndarray:
        """Y as int64 class labels (n,) or as (n, outputs) values of the network's dtype."""
        array = numeric_array(Y, name)
        outputs = self._sizes[-1]
        if array.shape[:1] != (rows,):
            raise ValueError(f"{name}: expected {rows} rows (one per row of X), got shape {array.shape}")
        if array.ndim == 2:
            if array.shape[1] != outputs:
                raise ValueError(f"{name}: expected shape ({rows}, {outputs}), got {array.shape}")
            return np.ascontiguousarray(array, dtype=self._dtype)
        if array.ndim != 1:
            raise ValueError(f"{name}: expected class labels ({rows},) or targets ({rows}, {outputs}), got {array.shape}")
        if outputs == 1:
            return np.ascontiguousarray(array.reshape(rows, 1), dtype=self._dtype)
        if array.dtype.kind == "f":
            if not (np.isfinite(array).all() and (array == np.round(array)).all()):
                raise ValueError(f"{name}: 1-D targets are class labels and must be whole numbers; "
                                 f"for per-output targets pass shape ({rows}, {outputs})")
        if rows and (array.min() < 0 or array.max() >= outputs):
            raise ValueError(f"{name}: class labels must lie in 0..{outputs - 1} (the network has {outputs} outputs), "
                             f"got values from {array.min()} to {array.max()}")
        return np.ascontiguousarray(array, dtype=np.int64)

    def _data(self, X: Any, Y: Any, name: str = "X", target_name: str = "Y"
              ) -> tuple[Union[np.ndarray, SparseRows], np.ndarray]:
        X = self._inputs(X, name)
        if X.shape[0] == 0:
            raise ValueError(f"{name}: needs at least one row, got shape {X.shape}")
        return X, self._targets(Y, X.shape[0], target_name)

    # ---- evaluation ------------------------------------------------------------------------------

    def predict(self, X: Any) -> np.ndarray:
        """Output activations a_L for the rows of X (array-like (n, inputs) of real numbers; used in place
        when it already is a C-contiguous array of the network's dtype, else converted; or scipy.sparse,
        as in `fit`): a new array of shape (n, outputs) and the network's dtype."""
        X = self._inputs(X)
        out = np.empty((X.shape[0], self._sizes[-1]), dtype=self._dtype)
        self._core.predict(X=_core_inputs(X), out=out)
        return out

    def loss(self, X: Any, Y: Any, sample_weight: Any = None) -> float:
        """Mean loss C over the rows of X (n, inputs) against Y: int class labels (n,) in 0..outputs-1, or
        real targets (n, outputs) (for one output also (n,)); with `sample_weight` (n,), the weighted
        mean Σ wᵢℓᵢ / Σ wᵢ. Returns a Python float."""
        X, Y = self._data(X, Y)
        return self._core.evaluate(X=_core_inputs(X), Y=Y,
                                   sample_weight=sample_weights(sample_weight, X.shape[0], self._dtype))[0]

    def evaluate(self, X: Any, y: Any, sample_weight: Any = None) -> dict[str, float]:
        """{"loss": mean loss, "accuracy": fraction classified right} over the rows of X (n, inputs)
        against y, labels (n,) or targets (n, outputs) as in `loss` (accuracy only for classifiers:
        argmax of several outputs, or one sigmoid output ≥ 0.5, against the label or target's class).
        With `sample_weight` (n,): the weighted mean loss and the weight of the rows classified right
        over the total weight."""
        X, y = self._data(X, y)
        weights = sample_weights(sample_weight, X.shape[0], self._dtype)
        loss, correct = self._core.evaluate(X=_core_inputs(X), Y=y, sample_weight=weights)
        result = {"loss": loss}
        if correct is not None:
            result["accuracy"] = correct / (X.shape[0] if weights is None else float(weights.sum(dtype=np.float64)))
        return result

    def gradient(self, X: Any, Y: Any, sample_weight: Any = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(dW, db): the gradient of the mean loss (with `sample_weight` (n,), the weighted mean, as in
        `loss`) over the rows of X (n, inputs) against Y (as in `loss`), by backpropagation: lists of new
        arrays shaped like `weights` ((fan_in, fan_out)) and `biases` ((fan_out,)), of the network's dtype."""
        X, Y = self._data(X, Y)
        flat = np.empty_like(self._parameters)
        self._core.gradient(X=_core_inputs(X), Y=Y, out=flat,
                            sample_weight=sample_weights(sample_weight, X.shape[0], self._dtype))
        return self._split(flat)

    # ---- training --------------------------------------------------------------------------------

    def _choose_optimizer(self, lr: Optional[float], optimizer: Union[Optimizer, LBFGS, None]) -> Union[Optimizer, LBFGS]:
        if lr is not None and optimizer is not None:
            raise ValueError("lr: give the learning rate to the optimizer (e.g. sg.Adam(lr=...)) or as lr= for plain "
                             "SGD, not both")
        if optimizer is not None:
            if not isinstance(optimizer, (Optimizer, LBFGS)):
                raise TypeError(f"optimizer: expected an sgdswift optimizer such as sg.SGD(...), sg.Adam(...) or "
                                f"sg.LBFGS(...), got {type(optimizer).__name__}")
            return optimizer
        if lr is not None:
            return SGD(lr=lr)
        return self.optimizer if self.optimizer is not None else SGD()

    def _hold_out(self, X: _Inputs, Y: np.ndarray, validation_data: Optional[tuple[Any, ...]],
                  validation_split: float) -> tuple[_Inputs, np.ndarray, Optional[_Inputs], Optional[np.ndarray]]:
        """(X, Y, validation X, validation Y) from fit's validation arguments."""
        split = real(validation_split, "validation_split", 0, 1)
        if validation_data is not None:
            if split:
                raise ValueError("validation_split: give validation_data or validation_split, not both")
            weighted = isinstance(validation_data, (tuple, list)) and len(validation_data) == 3
            data = pair(validation_data[:2] if weighted else validation_data, "validation_data",
                        "(X, y) or a triple (X, y, sample_weight)")
            return (X, Y, *self._data(*data, name="validation_data X", target_name="validation_data y"))
        if not split:
            return X, Y, None, None
        held_out = int(round(X.shape[0] * split))
        if not 0 < held_out < X.shape[0]:
            raise ValueError(f"validation_split: {split} of {X.shape[0]} rows leaves no training or no validation rows")
        kept = X.shape[0] - held_out
        if isinstance(X, SparseRows):
            return X.rows(0, kept), Y[:kept], X.rows(kept, X.shape[0]), Y[kept:]
        return X[:kept], Y[:kept], X[kept:], Y[kept:]  # row slices of C-ordered arrays: views

    def _held_out_weights(self, weights: Optional[np.ndarray], training_rows: int,
                          validation_data: Optional[tuple[Any, ...]],
                          validation_rows: int) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        """(training weights, validation weights): validation_split splits sample_weight as it splits the
        rows; a triple (X, y, sample_weight) as validation_data weights the validation rows."""
        if validation_data is not None:
            given = validation_data[2] if len(validation_data) == 3 else None
            return weights, sample_weights(given, validation_rows, self._dtype, "validation_data sample_weight")
        if weights is None or not validation_rows:
            return weights, None
        return weights[:training_rows], weights[training_rows:]

    def _class_row_weights(self, class_weight: Any, Y: np.ndarray) -> np.ndarray:
        """Each row's class weight (float64 (n,)) for fit's class_weight, given the checked targets Y."""
        outputs = self._sizes[-1]
        if Y.dtype == np.int64:
            labels = Y
        elif outputs == 1 and self.output == "sigmoid" and np.isin(Y, (0, 1)).all():
            labels = Y[:, 0].astype(np.int64)
        else:
            raise ValueError("class_weight: applies to class labels (int labels (n,) of a network with several "
                             "outputs, or 0/1 targets of one sigmoid output), got targets of shape "
                             f"{Y.shape} for {outputs} output(s) with output {self.output!r}")
        classes = max(outputs, 2)
        counts = np.bincount(labels, minlength=classes)
        if isinstance(class_weight, str):
            if class_weight != "balanced":
                raise ValueError(f"class_weight: expected a dict {{label: weight}} or 'balanced', got {class_weight!r}")
            present = counts > 0
            per_class = np.ones(classes)
            per_class[present] = labels.size / (present.sum() * counts[present])
        elif isinstance(class_weight, dict):
            per_class = np.ones(classes)
            for label, weight in class_weight.items():
                if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)) \
                        or not 0 <= label < classes:
                    raise ValueError(f"class_weight: expected labels in 0..{classes - 1} as keys, got {label!r}")
                per_class[label] = real(weight, f"class_weight[{label}]")
        else:
            raise TypeError(f"class_weight: expected a dict {{label: weight}} or 'balanced', got "
                            f"{type(class_weight).__name__}")
        return per_class[labels]

    def fit(self, X: Any, Y: Any, epochs: int = 30, batch_size: Optional[int] = 10, lr: Optional[float] = None,
            optimizer: Union[Optimizer, LBFGS, None] = None, schedule: Optional[ScheduleLike] = None,
            shuffle: bool = True, validation_data: Optional[tuple[Any, ...]] = None, validation_split: float = 0.0,
            l2: float = 0.0, clip_norm: Optional[float] = None, normalize_gradient: bool = False,
            callbacks: Callbacks = None, verbose: Union[bool, int] = 1, sample_weight: Any = None,
            l1: float = 0.0, class_weight: Union[dict[int, float], str, None] = None) -> History:
        """Trains by mini-batch gradient descent: each epoch visits the rows in a new seeded random order
        (if `shuffle`) in batches of `batch_size` (1: stochastic GD; None: the whole set, batch GD; a
        last partial batch is used), and per batch of m rows takes one optimizer step with the gradient
        g = (1/m) Σ_x ∇θ C_x (with `sample_weight`, g = Σ_x w_x ∇θ C_x / Σ_x w_x).

        The loop runs in the Swift core with the GIL released. Ctrl-C raises KeyboardInterrupt at the
        current mini-batch; the model keeps every finished step and `net.history` the finished epochs.
        A NaN/infinite loss raises `sg.DivergenceError` with the weights from before that step restored.

        Parameters
        ----------
        X
            Inputs (n, inputs): real numbers of any dtype; a C-contiguous array of the network's dtype
            is used in place, others are converted once. A scipy.sparse X (any format) trains the first
            layer from its nonzeros, z₁ = X·W₁ + b₁ and ∂C/∂W₁ = X_batchᵀ·δ₁, without densifying: CSR
            with data of the network's dtype and int32 indices is read in place, other formats are
            converted to CSR once; shuffled mini-batches gather their rows' entries (see the guide's
            "Sparse inputs").
        Y
            Int class labels (n,) in 0..outputs-1 or real targets (n, outputs): real numbers of any
            dtype; C-contiguous int64 labels or targets of the network's dtype are used in place,
            others are converted once.
        optimizer
            An `sg.SGD`, `sg.AdaGrad`, `sg.RMSProp`, `sg.Adam` or `sg.AdamW`; its state carries
            over to later fits (warm start). `lr=η` alone means `sg.SGD(lr=η)`. Neither: the network's
            last optimizer, else `sg.SGD(lr=0.1)`.

            Or `sg.LBFGS(...)`: full-batch L-BFGS through SciPy, for at most its `max_iter`
            iterations, each one History entry and one `on_epoch_end` call (with the network at the
            iterate just accepted); `epochs`, `batch_size` and `shuffle` do not apply, and there is
            no `on_batch_end`, "accuracy" or "lr" (val_ keys with validation data). Ctrl-C, a
            callback's exception or a divergence leave the network at the last accepted iterate.
            The network's `optimizer` stays the last gradient-descent one.
        schedule
            An `sg.schedules` schedule (relative to the optimizer's rate) or a callable
            epoch -> lr, applied at the start of each epoch.
        validation_data
            (X, y), or (X, y, sample_weight) for a weighted validation loss and accuracy, scored after
            every epoch.
        validation_split
            The last fraction f of the rows (before shuffling), held out (with their sample_weight)
            and scored after every epoch; give this or validation_data, not both.
        l2
            Nielsen's λ: the cost gains λ/(2n) Σ w² over the weights (n training rows), distinct from
            an optimizer's weight_decay. With `sample_weight`, each mini-batch's term is scaled by its
            rows over its weight, m/Σw (as scikit-learn divides its penalty by the batch's weight).
        l1
            λ₁ of L1 regularisation in the same form: the cost gains (λ₁/n) Σ |w| over the weights, so
            each weight's gradient gains (λ₁/n)·sign(w), the subgradient 0 at w = 0; scaled by m/Σw
            with `sample_weight` as `l2` is, and combinable with it. Not with sg.LBFGS.
        clip_norm
            Rescale g to this global norm when it is longer.
        normalize_gradient
            Use g/‖g‖, so that plain SGD steps exactly ‖Δθ‖ = η (the subject's η = ε/‖∇C‖).
        callbacks
            Callables f(epoch, logs) and `sg.Callback`-like objects (e.g. `sg.EarlyStopping`).
        verbose
            0 silent, 1 a live progress bar per epoch, 2 one line per epoch.
        sample_weight
            One weight ≥ 0 per row of X (n,), not all 0, shuffled with its row: each mini-batch
            descends the weighted mean Σ wᵢℓᵢ / Σ wᵢ of its rows; a mini-batch whose weights are all 0
            is skipped (no step). The history's loss is the batches' weighted means averaged over the
            rows as trained (scikit-learn's loss_), its accuracy the weight of the rows classified
            right over the total weight.
        class_weight
            For class labels only (int labels (n,) of several outputs, or 0/1 targets of one sigmoid
            output): a dict {label: weight ≥ 0} (labels left out weigh 1) or "balanced", the weight
            n / (k · n_c) for the n_c rows of class c among the k classes present in y (scikit-learn's
            definition, counted over all n rows given, before any validation_split). Row i then
            weighs class_weight[yᵢ] · sample_weight[i], as in scikit-learn.

        Returns
        -------
        History
            The History, also kept in `net.history`.
        """
        X, Y = self._data(X, Y)
        if class_weight is None:
            weights = sample_weights(sample_weight, X.shape[0], self._dtype)
        else:
            weights = self._class_row_weights(class_weight, Y)
            if sample_weight is not None:
                weights *= sample_weights(sample_weight, X.shape[0], np.dtype(np.float64))
            weights = sample_weights(weights, X.shape[0], self._dtype, "class_weight")
        epochs = integer(epochs, "epochs", 0, MAX_EPOCHS)
        optimizer = self._choose_optimizer(lr, optimizer)
        shuffle = flag(shuffle, "shuffle")
        l2 = real(l2, "l2")
        l1 = real(l1, "l1")
        clip_norm = 0.0 if clip_norm is None else real(clip_norm, "clip_norm", include_low=False)
        normalize_gradient = flag(normalize_gradient, "normalize_gradient")
        verbose = one_of(int(verbose) if isinstance(verbose, bool) else verbose, "verbose", (0, 1, 2))
        X, Y, validation_X, validation_Y = self._hold_out(X, Y, validation_data, validation_split)
        weights, validation_weights = self._held_out_weights(
            weights, X.shape[0], validation_data, 0 if validation_X is None else validation_X.shape[0])
        if isinstance(optimizer, LBFGS):
            for name, given in (("schedule", schedule is not None), ("clip_norm", bool(clip_norm)),
                                ("normalize_gradient", normalize_gradient), ("l1", bool(l1)),
                                ("dropout", any(self._dropout))):
                if given:
                    raise ValueError(f"{name}: does not apply to sg.LBFGS, which chooses its own steps; leave it unset")
            return self._fit_lbfgs(optimizer, X, Y, validation_X, validation_Y, l2, callbacks, verbose, weights,
                                   validation_weights)
        rows = X.shape[0]
        batch_size = rows if batch_size is None else integer(batch_size, "batch_size", 1)
        schedule = rate_schedule(schedule, "schedule", validation_X is not None)
        progress_bar = ProgressBar(epochs, rows) if verbose == 1 else None
        display = [progress_bar or EpochPrinter(epochs)] if verbose else []
        events = CallbackList(callbacks, first=display + ([schedule] if hasattr(schedule, "on_epoch_end") else []))
        own_rate = optimizer.lr
        # Epoch 0's rate before anything changes: a schedule that gives a bad one refuses the call.
        first_rate = epoch_rate(schedule, 0, own_rate) if schedule is not None and epochs else None
        core_optimizer = optimizer._bind(("network", self._identity), self._dtype)
        records = np.full((epochs, len(RECORD_FIELDS)), np.nan)
        gradient_norms = np.full((epochs, len(self._sizes) - 1), np.nan)

        def on_event(kind: int, epoch: int, index: int, loss: float) -> Optional[bool]:
            """False stops the fit. A callback's `optimizer.lr = η` reaches the core at once (paused
            here) and applies from the next mini-batch; a schedule sets each epoch's rate so too."""
            if kind == _core.EVENT_EPOCH_END:
                go_on = events.on_epoch_end(epoch, epoch_logs(records[epoch], gradient_norms[epoch]))
                if schedule is not None and go_on is not False and epoch + 1 < epochs:
                    optimizer.lr = epoch_rate(schedule, epoch + 1, own_rate)
                return go_on
            if progress_bar is not None:  # a tick's index counts rows, a batch end's batches
                progress_bar.update(epoch, index if kind == _core.EVENT_TICK else min((index + 1) * batch_size, rows))
            return events.on_batch_end(index, {"loss": loss, "epoch": epoch}) if kind == _core.EVENT_BATCH_END else None

        stream = self._fits
        self._fits = min(self._fits + 1, INT64_MAX)  # saturates: the count is saved as int64
        self.optimizer = optimizer
        events.on_train_begin(self)
        if first_rate is not None:
            optimizer.lr = first_rate
        try:
            _, divergence = self._core.fit(
                optimizer=core_optimizer, X=_core_inputs(X), Y=Y, validation_X=_core_inputs(validation_X),
                validation_Y=validation_Y,
                epochs=epochs, batch_size=batch_size, shuffle=shuffle, seed=self._seed, stream=stream, l2=l2,
                clip_norm=clip_norm, normalize_gradient=normalize_gradient, report_batches=events.reports_batches,
                history=records, gradient_norms=gradient_norms, callback=on_event, sample_weight=weights,
                validation_sample_weight=validation_weights, reported_loss_clip=self._reported_loss_clip, l1=l1,
                dropout=self._core_dropout())
        finally:
            self.history = History(records, gradient_norms)
            if schedule is not None:
                optimizer.lr = own_rate  # a schedule sets each epoch's rate, not the optimizer's own
            if progress_bar is not None:
                progress_bar.on_train_end(self)
        events.on_train_end(self)
        if divergence is not None:
            raise DivergenceError(divergence)
        return self.history

    def _fit_lbfgs(self, lbfgs: LBFGS, X: _Inputs, Y: np.ndarray, validation_X: Optional[_Inputs],
                   validation_Y: Optional[np.ndarray], l2: float, callbacks: Callbacks, verbose: int,
                   weights: Optional[np.ndarray], validation_weights: Optional[np.ndarray]) -> History:
        """fit with sg.LBFGS: SciPy's L-BFGS-B over C(θ) = mean loss + λ/(2n) Σ‖W‖² (with row weights:
        the weighted mean and λ/(2Σw), as the mini-batch fit and scikit-learn weight them), each evaluation
        one core call over all the rows; the History gets one entry per iteration."""
        minimize = lbfgs._minimizer()  # before anything changes: SciPy may be missing
        events = CallbackList(callbacks, first=[EpochPrinter(lbfgs.max_iter)] if verbose else [])
        records = np.full((lbfgs.max_iter, len(RECORD_FIELDS)), np.nan)
        gradient_norms = np.full((lbfgs.max_iter, len(self._sizes) - 1), np.nan)
        column = {key: RECORD_FIELDS.index(key) for key in ("loss", "val_loss", "val_accuracy", "time")}
        total_weight = X.shape[0] if weights is None else float(np.sum(weights, dtype=np.float64))
        decay = l2 / total_weight  # ∂/∂W of λ/(2n) Σ‖W‖² is (λ/n) W
        validation_weight = (None if validation_X is None else validation_X.shape[0] if validation_weights is None
                             else float(np.sum(validation_weights, dtype=np.float64)))
        gradient = np.empty_like(self._parameters)  # each evaluation's ∇C, laid out as the parameters
        weight_gradients, _ = self._split(gradient)
        layer_ends = np.cumsum([fan_in * fan_out + fan_out for fan_in, fan_out in zip(self._sizes, self._sizes[1:])])
        layer_gradients = np.split(gradient, layer_ends[:-1])  # views: (∂C/∂W_l, ∂C/∂b_l) of each layer
        evaluated = {"loss": math.nan, "norms": [math.nan] * len(layer_gradients)}  # of the last evaluation
        accepted = self._parameters.astype(np.float64)  # the last accepted iterate (θ₀ to begin with)
        iteration, clock = 0, time.perf_counter()

        def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
            self._parameters[...] = x  # SciPy's float64 vector into the core's parameters: the one copy
            loss = self._core.gradient(X=_core_inputs(X), Y=Y, out=gradient, sample_weight=weights)
            if not (math.isfinite(loss) and np.isfinite(gradient).all()):
                raise DivergenceError(
                    f"L-BFGS diverged in iteration {iteration + 1}: the loss or its gradient is not finite (loss "
                    f"{loss}). The network holds the last accepted iterate; try scaling the inputs or a larger l2")
            evaluated["loss"] = loss
            evaluated["norms"] = [float(np.linalg.norm(part)) for part in layer_gradients]  # before the L2 term
            penalty = 0.0
            if decay:
                for layer_weights, weight_gradient in zip(self._weights, weight_gradients):
                    weight_gradient += decay * layer_weights
                penalty = 0.5 * decay * self._squared_weights()
            return loss + penalty, gradient if gradient.dtype == np.float64 else gradient.astype(np.float64)

        def on_iteration(intermediate_result: Any) -> None:
            """L-BFGS-B accepts the point it evaluated last: the network holds it and `evaluated` its figures."""
            nonlocal iteration, clock
            accepted[...] = intermediate_result.x
            record = records[iteration]
            record[column["loss"]] = evaluated["loss"]
            if validation_X is not None and validation_Y is not None:  # (both or neither)
                loss, correct = self._core.evaluate(X=_core_inputs(validation_X), Y=validation_Y,
                                                    sample_weight=validation_weights)
                record[column["val_loss"]] = loss
                if correct is not None and validation_weight:
                    record[column["val_accuracy"]] = correct / validation_weight
            now = time.perf_counter()
            record[column["time"]], clock = now - clock, now
            gradient_norms[iteration] = evaluated["norms"]
            iteration += 1
            if events.on_epoch_end(iteration - 1, epoch_logs(record, gradient_norms[iteration - 1])) is False:
                raise StopIteration  # SciPy's way for a callback to end the run

        events.on_train_begin(self)
        divergence = None
        try:
            result = minimize(objective, accepted, on_iteration)
            self._parameters[...] = result.x  # the last iterate (after a failed line search, the one before)
        except DivergenceError as error:
            divergence = error
            self._parameters[...] = accepted
        except BaseException:  # Ctrl-C or a callback's exception, perhaps in the middle of a line search
            self._parameters[...] = accepted
            raise
        finally:
            self.history = History(records, gradient_norms)
        events.on_train_end(self)
        if divergence is not None:
            raise divergence
        return self.history

    def step(self, X: Any, Y: Any, optimizer: Optional[Optimizer] = None, sample_weight: Any = None) -> float:
        """One optimizer step on the mini-batch (X, Y) — X (m, inputs), Y labels (m,) or targets
        (m, outputs) as in `fit` — for custom training loops: θ moves by the gradient of the mean loss
        over these rows (with `sample_weight` (m,), of the weighted mean, as in `loss`). Returns that
        loss (before the step) as a float. `optimizer` defaults to the network's last one. With
        `dropout`, each call draws new masks (keyed by the network's count of steps)."""
        X, Y = self._data(X, Y)
        weights = sample_weights(sample_weight, X.shape[0], self._dtype)
        chosen = self._choose_optimizer(None, optimizer)
        if isinstance(chosen, LBFGS):
            raise TypeError("optimizer: sg.LBFGS trains by whole fits (net.fit(X, y, optimizer=sg.LBFGS())), not by "
                            "single steps")
        core_optimizer = chosen._bind(("network", self._identity), self._dtype)
        record = np.full((1, len(RECORD_FIELDS)), np.nan)
        self.optimizer = chosen
        stream = _STEP_STREAMS + self._steps
        self._steps = (self._steps + 1) % _STEP_STREAMS
        _, divergence = self._core.fit(
            optimizer=core_optimizer, X=_core_inputs(X), Y=Y, validation_X=None, validation_Y=None, epochs=1,
            batch_size=X.shape[0],
            shuffle=False, seed=self._seed, stream=stream, l2=0.0, clip_norm=0.0, normalize_gradient=False,
            report_batches=False, history=record, gradient_norms=np.empty((1, len(self._sizes) - 1)), callback=None,
            sample_weight=weights, dropout=self._core_dropout())
        if divergence is not None:
            raise DivergenceError(divergence)
        return float(record[0, RECORD_FIELDS.index("loss")])

    # ---- files -----------------------------------------------------------------------------------

    def save(self, path: PathLike) -> None:
        """Writes the model to `path` (an .npz archive without pickles), atomically: a temporary file in
        the same directory, flushed to disk, then renamed over `path`. `hidden` is stored as given: a
        name (as every version wrote it) or a list of names, one per hidden layer."""
        write_npz(file_path(path), dict(
            format=np.array(_FILE_FORMAT), version=np.array(_FILE_VERSION), sizes=np.array(self._sizes, dtype=np.int64),
            hidden=np.array(self._names["hidden"], dtype=str), output=np.array(self.output), loss=np.array(self.loss_name),
            init=np.array(self.init), dtype=np.array(str(self._dtype)), seed=np.array(self._seed, dtype=np.uint64),
            fits=np.array(self._fits, dtype=np.int64), parameters=self._parameters,
            dropout=np.array(self._dropout, dtype=np.float64), steps=np.array(self._steps, dtype=np.int64),
            **(self.optimizer._export() if self.optimizer is not None else {})))

    def export(self, path: PathLike, format: Optional[str] = None) -> None:
        """Writes the inference graph — what `predict` computes — to `path` as an ONNX model (opset 20),
        atomically as `save` writes: input "X" of shape (batch, inputs), output "Y" (batch, outputs),
        both of the network's dtype; per layer a Gemm a_prev·W_l + b_l and the layer's activation with
        ONNX's own op (Sigmoid, Relu, Tanh, Identity, Softmax over each row, Exp) or built from ONNX ops
        that ONNX Runtime runs in both dtypes: leaky_relu max(z, 0.01z), elu where(z > 0, z, e^z − 1),
        softplus max(z, 0) + log(1 + e^−|z|), silu z·Sigmoid(z), gelu (z/2)(1 + Erf(z/√2)) (ONNX Runtime has
        Erf for float32 only: a float64 gelu network's model is valid ONNX it cannot run). `format` is "onnx",
        or None to infer it from the file name's ".onnx". Needs the `onnx` package
        (`pip install onnx`, or `pip install sgdswift[onnx]`); the graph is checked with
        `onnx.checker` before it is written. Run it with e.g. onnxruntime:
        `onnxruntime.InferenceSession(path).run(None, {"X": X})[0]`."""
        file_path(path)
        if format is None:
            if not str(path).lower().endswith(".onnx"):
                raise ValueError(f"format: cannot tell the format from the file name {str(path)!r}; name it "
                                 f"'….onnx' or pass format='onnx'")
            format = "onnx"
        if not isinstance(format, str):
            raise TypeError(f"format: expected 'onnx' or None, got {type(format).__name__}")
        one_of(format, "format", ("onnx",))
        try:
            from . import _onnx
        except ImportError as error:
            raise ImportError("Network.export needs the onnx package, which is not installed: pip install onnx "
                              "(or pip install sgdswift[onnx])") from error
        model = _onnx.model(self._weights, self._biases, self._layer_activations(), repr(self))
        write_atomically(path, lambda file: _onnx.write(model, file))


def _memory(size: int) -> str:
    """A byte count in B, KiB, MiB or GiB."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KiB", "MiB"):
        value /= 1024
        if value < 1024:
            return f"{value:.4g} {unit}"
    return f"{value / 1024:.4g} GiB"


def load(path: PathLike) -> Network:
    """Reads a model written by `Network.save`: the same architecture, dropout, dtype, parameters (bit
    for bit) and shuffling and dropout state. Never unpickles anything."""
    fields = read_npz(path, _FILE_FIELDS, _OPTIMIZER_FIELDS, _ADDED_FIELDS)
    path = fields.path
    if fields.text("format") != _FILE_FORMAT:
        raise ValueError(f"{path}: not a sgdswift model file (format {fields.text('format')!r})")
    if fields.integer("version", 0, 2**31) != _FILE_VERSION:
        raise ValueError(f"{path}: file format version {fields.integer('version')}, this sgdswift reads {_FILE_VERSION}")
    sizes = fields.array("sizes", kinds="iu", ndim=1, description="a list of integers")
    dropout = fields.array("dropout", kinds="f", ndim=1, description="a list of rates") if "dropout" in fields else 0.0
    hidden = fields.array("hidden", kinds="U", description="an activation name or a list of them")
    if hidden.ndim > 1:
        raise ValueError(f"{path}: field 'hidden' is not an activation name or a list of them")
    network = Network([int(size) for size in sizes], hidden=str(hidden[()]) if hidden.ndim == 0 else hidden.tolist(),
                      output=fields.text("output"),
                      loss=fields.text("loss"), init=fields.text("init"), dtype=fields.text("dtype"),
                      seed=fields.integer("seed", 0, 2**64 - 1), dropout=dropout)
    parameters = fields.array("parameters")
    if parameters.dtype != network.dtype or parameters.shape != network.parameters.shape:
        raise ValueError(f"{path}: parameters have dtype {parameters.dtype} and shape {parameters.shape}, "
                         f"the architecture needs {network.dtype} and {network.parameters.shape}")
    network.parameters[...] = parameters
    network._fits = fields.integer("fits")
    network._steps = fields.integer("steps", 0, _STEP_STREAMS - 1) if "steps" in fields else 0
    if _OPTIMIZER_FIELDS[0] in fields:
        count, steps = fields.integer("optimizer_count"), fields.integer("optimizer_steps")
        state = fields.array("optimizer_state")
        if steps and (count != network.parameters.size or state.dtype != network.dtype or state.ndim != 1):
            raise ValueError(f"{path}: the optimizer's state ({count} parameters, {state.dtype}) does not fit the "
                             f"network ({network.parameters.size} parameters, {network.dtype})")
        try:
            network.optimizer = Optimizer._import(fields.text("optimizer"), count, steps, state,
                                                  ("network", network._identity), network.dtype)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{path}: bad optimizer record ({error})") from None
    return network
