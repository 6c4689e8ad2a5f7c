"""The Network class: argument handling and NumPy conventions around the Swift core (sgdswift._core)."""
from __future__ import annotations

import numbers
import os
import secrets
import sys
import tempfile
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from . import _core

_DTYPES = {np.dtype(np.float32): _core.FLOAT32, np.dtype(np.float64): _core.FLOAT64}
_FILE_FORMAT = "sgdswift.Network"
_FILE_VERSION = 1
_HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "time")

PathLike = Union[str, "os.PathLike[str]"]


class History:
    """Per-epoch training record of one `fit` call.

    `history` maps "loss" and "accuracy" (averaged over the epoch's mini-batches as they were trained),
    "val_loss" and "val_accuracy" (measured at the end of the epoch, with `validation_data`) and "time"
    (seconds of the epoch) to lists with one entry per finished epoch. Accuracy keys appear only when
    the network classifies (several outputs, or one sigmoid output).
    """

    def __init__(self, records: np.ndarray):
        finished = records[~np.isnan(records[:, 4])]
        self.epoch = list(range(len(finished)))
        self.history = {key: finished[:, i].tolist() for i, key in enumerate(_HISTORY_KEYS)
                        if len(finished) and not np.isnan(finished[:, i]).all()}

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


def _check_int(value: Any, name: str, minimum: int, maximum: Optional[int] = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__} {value!r}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ValueError(f"{name}: expected an int {bound}, got {value}")
    return value


def _check_name(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a name (str), got {type(value).__name__} {value!r}")
    return value


def _as_array(value: Any, name: str) -> np.ndarray:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name}: expected an array of numbers, got {type(value).__name__} ({error})") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected real numbers (float, int or bool), got dtype {array.dtype}")
    return array


class Network:
    """A multilayer perceptron trained by gradient descent in the Swift core.

    Layer l computes z = a_prev @ W + b and a = act(z), with W of shape (fan_in, fan_out) and b of
    shape (fan_out,). `hidden` is the activation of every hidden layer ("sigmoid", "relu", "tanh",
    "identity"), `output` that of the last layer (those or "softmax"); `loss` is one of "quadratic"
    (1/2n Σ‖y−a‖²), "mse", "mae", "binary_cross_entropy" (sigmoid output) or "cross_entropy" (softmax
    output). `init` is "normal" (N(0,1) weights and biases, as Nielsen's network.py), "xavier", "he"
    or "auto" (he for ReLU, xavier otherwise). `seed` makes initialisation and shuffling reproducible;
    None draws one (kept in `net.seed`).

    `weights` and `biases` are NumPy views of the core's parameters: writing into them changes the model.
    """

    def __init__(self, sizes: Sequence[int], hidden: str = "sigmoid", output: str = "sigmoid",
                 loss: str = "quadratic", init: str = "auto", dtype: Any = "float32",
                 seed: Optional[int] = None):
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray)):
            raise TypeError(f"sizes: expected a sequence of layer sizes such as [784, 30, 10], got {type(sizes).__name__}")
        sizes = [_check_int(size, f"sizes[{i}]", 1, 2**31 - 1) for i, size in enumerate(sizes)]
        if len(sizes) < 2:
            raise ValueError(f"sizes: expected at least 2 layer sizes (inputs and outputs), got {sizes}")
        names = {key: _check_name(value, key) for key, value in
                 (("hidden", hidden), ("output", output), ("loss", loss), ("init", init))}
        try:
            self._dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"dtype: expected 'float32' or 'float64', got {dtype!r}") from None
        if self._dtype not in _DTYPES:
            raise ValueError(f"dtype: expected 'float32' or 'float64', got {self._dtype}")
        self._seed = secrets.randbits(63) if seed is None else _check_int(seed, "seed", 0, 2**64 - 1)
        self._core = _core.Network(_DTYPES[self._dtype], sizes, names["hidden"], names["output"], names["loss"],
                                   names["init"], self._seed)
        self._sizes = sizes
        self._names = names
        self._parameters = np.frombuffer(self._core, dtype=self._dtype)  # shares the core's memory
        self._weights, self._biases = self._split(self._parameters)
        self._fits = 0
        self.history: Optional[History] = None

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
        return list(self._sizes)

    @property
    def weights(self) -> list[np.ndarray]:
        """W_l of shape (fan_in, fan_out), views of the core's memory."""
        return list(self._weights)

    @property
    def biases(self) -> list[np.ndarray]:
        """b_l of shape (fan_out,), views of the core's memory."""
        return list(self._biases)

    @property
    def parameters(self) -> np.ndarray:
        """All parameters as one flat view [W1, b1, W2, b2, ...]."""
        return self._parameters

    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    @property
    def hidden(self) -> str:
        return self._names["hidden"]

    @property
    def output(self) -> str:
        return self._names["output"]

    @property
    def loss_name(self) -> str:
        return self._names["loss"]

    @property
    def init(self) -> str:
        return self._names["init"]

    @property
    def seed(self) -> int:
        return self._seed

    def __repr__(self) -> str:
        return (f"Network({self._sizes}, hidden={self.hidden!r}, output={self.output!r}, loss={self.loss_name!r}, "
                f"dtype={str(self._dtype)!r})")

    # ---- inputs ----------------------------------------------------------------------------------

    def _inputs(self, X: Any, name: str = "X") -> np.ndarray:
        """X as a C-contiguous (n, inputs) array of the network's dtype: the caller's own array when it
        already is one, else a converted copy."""
        array = _as_array(X, name)
        if array.ndim != 2 or array.shape[1] != self._sizes[0]:
            hint = " (for one sample use x.reshape(1, -1))" if array.ndim == 1 else ""
            raise ValueError(f"{name}: expected shape (n, {self._sizes[0]}), got {array.shape}{hint}")
        return np.ascontiguousarray(array, dtype=self._dtype)

    def _targets(self, Y: Any, rows: int, name: str = "Y") -> np.ndarray:
        """Y as int64 class labels (n,) or as (n, outputs) values of the network's dtype."""
        array = _as_array(Y, name)
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

    def _data(self, X: Any, Y: Any, name: str = "X", target_name: str = "Y") -> tuple[np.ndarray, np.ndarray]:
        X = self._inputs(X, name)
        if X.shape[0] == 0:
            raise ValueError(f"{name}: needs at least one row, got shape {X.shape}")
        return X, self._targets(Y, X.shape[0], target_name)

    # ---- evaluation ------------------------------------------------------------------------------

    def predict(self, X: Any) -> np.ndarray:
        """Output activations a_L for the rows of X: shape (n, outputs), the network's dtype."""
        X = self._inputs(X)
        out = np.empty((X.shape[0], self._sizes[-1]), dtype=self._dtype)
        self._core.predict(X, out)
        return out

    def loss(self, X: Any, Y: Any) -> float:
        """Mean loss C over the rows of X against Y (labels (n,) or targets (n, outputs))."""
        return self._core.evaluate(*self._data(X, Y))[0]

    def evaluate(self, X: Any, y: Any) -> dict[str, float]:
        """{"loss": mean loss, "accuracy": fraction classified right} (accuracy only for classifiers:
        argmax of several outputs, or one sigmoid output ≥ 0.5, against the label or target's class)."""
        X, y = self._data(X, y)
        loss, correct = self._core.evaluate(X, y)
        result = {"loss": loss}
        if correct is not None:
            result["accuracy"] = correct / X.shape[0]
        return result

    def gradient(self, X: Any, Y: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(dW, db): the gradient of the mean loss over the rows, by backpropagation, shaped like
        (weights, biases)."""
        X, Y = self._data(X, Y)
        flat = np.empty_like(self._parameters)
        self._core.gradient(X, Y, flat)
        return self._split(flat)

    # ---- training --------------------------------------------------------------------------------

    def fit(self, X: Any, Y: Any, epochs: int = 30, batch_size: Optional[int] = 10, lr: float = 3.0,
            shuffle: bool = True, validation_data: Optional[tuple[Any, Any]] = None,
            verbose: Union[bool, int] = True, callback: Optional[Callable[[int, dict], Any]] = None) -> History:
        """Mini-batch gradient descent: each epoch visits the rows in a new seeded random order (if
        `shuffle`) in batches of `batch_size` (1: stochastic GD; None: the whole set, batch GD; a last
        partial batch is used), and per batch of m rows updates θ ← θ − lr·(1/m) Σ_x ∇θ C_x.

        The loop runs inside the core with the GIL released; `callback(epoch, logs)` runs after each
        epoch (return False to stop). Ctrl-C stops at the current mini-batch: the model keeps every
        finished step and `net.history` the finished epochs. Returns the History, also kept in
        `net.history`.
        """
        X, Y = self._data(X, Y)
        epochs = _check_int(epochs, "epochs", 0)
        batch_size = X.shape[0] if batch_size is None else _check_int(batch_size, "batch_size", 1)
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"lr: expected a finite number above 0, got {lr!r}")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle: expected True or False, got {shuffle!r}")
        if callback is not None and not callable(callback):
            raise TypeError(f"callback: expected a callable(epoch, logs) or None, got {type(callback).__name__}")
        validation_X = validation_Y = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError("validation_data: expected a pair (X, y)")
            validation_X, validation_Y = self._data(*validation_data, name="validation_data X",
                                                    target_name="validation_data y")
        records = np.full((epochs, len(_HISTORY_KEYS)), np.nan)

        def on_epoch_end(epoch: int) -> bool:
            logs = {key: value for key, value in zip(_HISTORY_KEYS, records[epoch]) if not np.isnan(value)}
            if verbose:
                metrics = ", ".join(f"{key} {value:.4f}" for key, value in logs.items() if key != "time")
                print(f"Epoch {epoch + 1}/{epochs}: {metrics} ({logs['time']:.2f} s)", file=sys.stdout, flush=True)
            return callback is None or callback(epoch, logs) is not False

        stream = self._fits
        self._fits += 1
        try:
            self._core.fit(X, Y, validation_X, validation_Y, epochs, batch_size, float(lr), bool(shuffle),
                           self._seed, stream, records, on_epoch_end)
        finally:
            self.history = History(records)
        return self.history

    # ---- files -----------------------------------------------------------------------------------

    def save(self, path: PathLike) -> None:
        """Writes the model to `path` (an .npz archive without pickles), atomically: a temporary file in
        the same directory, flushed to disk, then renamed over `path`."""
        path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(path))
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".sgdswift-", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                np.savez(file, format=np.array(_FILE_FORMAT), version=np.array(_FILE_VERSION),
                         sizes=np.array(self._sizes, dtype=np.int64), hidden=np.array(self.hidden),
                         output=np.array(self.output), loss=np.array(self.loss_name), init=np.array(self.init),
                         dtype=np.array(str(self._dtype)), seed=np.array(self._seed, dtype=np.uint64),
                         fits=np.array(self._fits, dtype=np.int64), parameters=self._parameters)
                file.flush()
                os.fsync(file.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
        directory_descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_descriptor)
        finally:
            os.close(directory_descriptor)


def load(path: PathLike) -> Network:
    """Reads a model written by `Network.save`: the same architecture, dtype, parameters (bit for bit)
    and shuffling state. Never unpickles anything."""
    path = os.fspath(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except Exception as error:
        raise ValueError(f"{path}: not a sgdswift model file ({type(error).__name__}: {error})") from None
    with archive:
        try:
            fields = {key: archive[key] for key in ("format", "version", "sizes", "hidden", "output", "loss",
                                                    "init", "dtype", "seed", "fits", "parameters")}
        except Exception as error:
            raise ValueError(f"{path}: not a sgdswift model file ({type(error).__name__}: {error})") from None

    def text(key: str) -> str:
        if fields[key].dtype.kind != "U" or fields[key].shape != ():
            raise ValueError(f"{path}: field {key!r} is not a string")
        return str(fields[key][()])

    def integer(key: str) -> int:
        if fields[key].dtype.kind not in "iu" or fields[key].shape != ():
            raise ValueError(f"{path}: field {key!r} is not an integer")
        return int(fields[key][()])

    if text("format") != _FILE_FORMAT:
        raise ValueError(f"{path}: not a sgdswift model file (format {text('format')!r})")
    if integer("version") != _FILE_VERSION:
        raise ValueError(f"{path}: file format version {integer('version')}, this sgdswift reads {_FILE_VERSION}")
    sizes = fields["sizes"]
    if sizes.dtype.kind not in "iu" or sizes.ndim != 1:
        raise ValueError(f"{path}: field 'sizes' is not a list of integers")
    network = Network([int(size) for size in sizes], hidden=text("hidden"), output=text("output"),
                      loss=text("loss"), init=text("init"), dtype=text("dtype"), seed=integer("seed"))
    parameters = fields["parameters"]
    if parameters.dtype != network.dtype or parameters.shape != network.parameters.shape:
        raise ValueError(f"{path}: parameters have dtype {parameters.dtype} and shape {parameters.shape}, "
                         f"the architecture needs {network.dtype} and {network.parameters.shape}")
    network.parameters[...] = parameters
    network._fits = integer("fits")
    return network
