"""Callbacks: Python code that the Swift training loop calls at epoch and mini-batch ends.

`fit(..., callbacks=[...])` takes callables `f(epoch, logs)` (called after every epoch) and objects
with any of the methods of `Callback`. The GIL is taken only for these calls. Returning False from
`on_epoch_end` or `on_batch_end` (or from a callable) stops training.
"""
from __future__ import annotations

import importlib.util
import inspect
import shutil
import sys
import time
from typing import Any, Callable, Optional, Protocol, Sequence, TextIO, Union

import numpy as np

from ._checks import count, function, history_key, tolerance


class Trainable(Protocol):
    """What callbacks are given of the network they watch (an `sg.Network`)."""

    @property
    def parameters(self) -> np.ndarray:
        """All parameters as one flat, writable view."""


class Callback:
    """Hooks of the training loop; override the ones you need. Epochs and batches count from 0."""

    def __repr__(self) -> str:
        """The class and the constructor's arguments as the callback keeps them."""
        arguments = ", ".join(f"{name}={getattr(self, name)!r}" for name in inspect.signature(type(self)).parameters
                              if hasattr(self, name))
        return f"{type(self).__name__}({arguments})"

    def on_train_begin(self, network: Trainable) -> None:
        """Called once by `fit` before the first epoch."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> Optional[bool]:
        """`logs` holds the epoch's history entries: floats "loss", "accuracy", "val_loss",
        "val_accuracy", "lr", "time" (those the fit has) and "grad_norm", a list of one float per layer.
        Return False to stop training."""

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> Optional[bool]:
        """`logs` holds the mini-batch's "loss" (float: its mean loss before the step) and "epoch" (int).
        Defining this makes the core report every mini-batch, which costs a Python call each. Return
        False to stop training."""

    def on_train_end(self, network: Trainable) -> None:
        """Called once by `fit` after the last epoch (also after an early stop)."""


class Plateau:
    """The best value so far of a monitored quantity, and the number of epochs since it last improved
    significantly: what early stopping and plateau schedules decide on.

    A value improves significantly when it beats `best` by more than `min_delta` (by at least
    `min_delta` when `inclusive`); higher values are better when `higher_is_better`. `best` moves to
    each significant improvement, or with `track_every_improvement` to each improvement at all.
    Keras's rule is the default; scikit-learn's (whose patience counts from the last improvement by at
    least `tol`, while its best loss follows every improvement) is `inclusive=True,
    track_every_improvement=True` with `min_delta=tol`.
    """

    def __init__(self, min_delta: float = 0.0, *, higher_is_better: bool = False, inclusive: bool = False,
                 track_every_improvement: bool = False):
        self.min_delta = min_delta
        self.higher_is_better = higher_is_better
        self.inclusive = inclusive
        self.track_every_improvement = track_every_improvement
        self.best: Optional[float] = None  # None until the first value, which always improves
        self.waited = 0  # epochs since the last significant improvement

    @classmethod
    def of(cls, monitor: str, min_delta: float) -> "Plateau":
        """For a history key: losses improve downwards, accuracies upwards."""
        return cls(min_delta, higher_is_better="acc" in monitor)

    def update(self, value: float) -> bool:
        """Records one epoch's value; True when it improved significantly (the count starts again from
        0), else the count grows by one."""
        best = self.best
        if best is None:
            significant = better = True
        elif self.higher_is_better:  # inclusive as scikit-learn writes it, `not a < b`: the same for NaN
            significant = not value < best + self.min_delta if self.inclusive else value > best + self.min_delta
            better = value > best
        else:
            significant = not value > best - self.min_delta if self.inclusive else value < best - self.min_delta
            better = value < best
        if better and (significant or self.track_every_improvement):  # inclusive: an equal value is not better
            self.best = value
        self.waited = 0 if significant else self.waited + 1
        return significant


class EarlyStopping(Callback):
    """Stops when `monitor` has not improved by more than `min_delta` for `patience` epochs (losses
    improve downwards, accuracies upwards). With `restore_best_weights`, the network ends with the
    parameters of its best epoch."""

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 restore_best_weights: bool = False):
        self.monitor = history_key(monitor, "monitor")
        self.patience = count(patience, "patience", 0)
        self.min_delta = tolerance(min_delta, "min_delta", positive=False)
        self.restore_best_weights = bool(restore_best_weights)
        self.best_epoch: Optional[int] = None
        self.stopped_epoch: Optional[int] = None

    def on_train_begin(self, network: Trainable) -> None:
        self._network = network
        self._plateau = Plateau.of(self.monitor, self.min_delta)
        self._best_parameters: Optional[np.ndarray] = None
        self.best_epoch = self.stopped_epoch = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> Optional[bool]:
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping: monitor {self.monitor!r} is not among this fit's logs {sorted(logs)}")
        if self._plateau.update(logs[self.monitor]):
            self.best_epoch = epoch
            if self.restore_best_weights:
                self._best_parameters = self._network.parameters.copy()
            return None
        if self._plateau.waited >= self.patience:
            self.stopped_epoch = epoch
            return False
        return None

    def on_train_end(self, network: Trainable) -> None:
        if self._best_parameters is not None:
            network.parameters[...] = self._best_parameters


class ProgressBar(Callback):
    """verbose=1: a live bar per epoch, replaced at the epoch's end by its figures, in lines no wider
    than the terminal (`shutil.get_terminal_size`: $COLUMNS, else the terminal's width, else 80).

    The bar is tqdm's when it is installed: its widget in a notebook that has ipywidgets, else its text
    bar; without tqdm, one rewritten line."""

    def __init__(self, epochs: int, rows: int, file: Optional[TextIO] = None):
        self.epochs, self.rows = epochs, rows
        self.file = file or sys.stdout
        self.columns = shutil.get_terminal_size().columns
        self._tqdm_class, self._widget = _tqdm_bar_class()
        self._bar: Any = None  # the epoch's tqdm bar, when tqdm is installed
        self._last_draw = 0.0
        self._drawn = 0

    def update(self, epoch: int, rows_done: int) -> None:
        if self._tqdm_class is not None:
            if self._bar is None:
                # A widget's ncols would be its width in pixels; a text bar's is its width in columns.
                self._bar = self._tqdm_class(total=self.rows, desc=f"Epoch {epoch + 1}/{self.epochs}", unit="row",
                                             file=self.file, leave=False, ncols=None if self._widget else self.columns)
            self._bar.update(rows_done - self._bar.n)
            return
        now = time.monotonic()
        if now - self._last_draw < 0.1:
            return
        self._last_draw = now
        head, tail = f"Epoch {epoch + 1}/{self.epochs} [", f"] {rows_done}/{self.rows}"
        bar_width = max(0, min(30, self.columns - len(head) - len(tail)))
        filled = bar_width * rows_done // self.rows
        self._draw(f"{head}{'=' * filled}{'.' * (bar_width - filled)}{tail}")

    def _draw(self, line: str, end: str = "") -> None:
        """Rewrites the current line (padding over what was there: no terminal escapes needed)."""
        self.file.write("\r" + line.ljust(self._drawn) + end)
        self.file.flush()
        self._drawn = 0 if end else len(line)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        first, *rest = fitted_lines(f"Epoch {epoch + 1}/{self.epochs}: ", log_items(logs), self.columns)
        if self._tqdm_class is None:
            self._draw(first, end="\n")
        else:
            self._close_bar()  # the bar (leave=False) goes, the figures take its place
            self.file.write(first + "\n")
        for line in rest:
            self.file.write(line + "\n")
        self.file.flush()

    def on_train_end(self, network: Trainable) -> None:
        self._close_bar()

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _tqdm_bar_class() -> tuple[Any, bool]:
    """tqdm's bar class for this process, and whether it is the notebook widget; (None, False) without tqdm.

    tqdm.auto picks the widget in a notebook front end and the text bar elsewhere, but in a Jupyter
    kernel without ipywidgets it warns (TqdmWarning "IProgress not found") before taking the text bar:
    without ipywidgets the text bar is taken directly."""
    try:
        if importlib.util.find_spec("ipywidgets") is None:
            from tqdm.std import tqdm

            return tqdm, False
        from tqdm.auto import tqdm as auto_tqdm
    except ImportError:
        return None, False
    notebook = sys.modules.get("tqdm.notebook")  # imported by tqdm.auto only when it picks the widget
    return auto_tqdm, notebook is not None and issubclass(auto_tqdm, notebook.tqdm)


class EpochPrinter(Callback):
    """verbose=2: one line per epoch."""

    def __init__(self, epochs: int, file: Optional[TextIO] = None):
        self.epochs = epochs
        self.file = file or sys.stdout

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        print(f"Epoch {epoch + 1}/{self.epochs}: {', '.join(log_items(logs))}", file=self.file, flush=True)


def log_items(logs: dict[str, Any]) -> list[str]:
    """An epoch's figures as "name value" texts: losses and accuracies, the learning rate (absent with
    sg.LBFGS), the time."""
    figures = [f"{key} {logs[key]:.4f}" for key in ("loss", "accuracy", "val_loss", "val_accuracy") if key in logs]
    return figures + ([f"lr {logs['lr']:.3g}"] if "lr" in logs else []) + [f"{logs['time']:.2f} s"]


def fitted_lines(head: str, items: Sequence[str], width: int) -> list[str]:
    """head then the items (at least one), comma-separated, broken between items into lines of at most
    `width` columns, continuation lines indented under the first item. An item is never split: one
    wider than a line still gets a line of its own."""
    pieces = [item + "," for item in items[:-1]] + [items[-1]]
    lines = [head + pieces[0]]
    for piece in pieces[1:]:
        if len(lines[-1]) + 1 + len(piece) <= width:
            lines[-1] += " " + piece
        else:
            lines.append(" " * len(head) + piece)
    return lines


class _TrainBeginHook(Protocol):
    def on_train_begin(self, network: Trainable) -> None: ...


class _EpochEndHook(Protocol):
    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> Optional[bool]: ...


class _BatchEndHook(Protocol):
    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> Optional[bool]: ...


class _TrainEndHook(Protocol):
    def on_train_end(self, network: Trainable) -> None: ...


EpochFunction = Callable[[int, dict[str, Any]], Any]
# What `fit(callbacks=...)` takes: callables f(epoch, logs) and objects with any of Callback's methods,
# one or a list or tuple of them.
CallbackLike = Union[EpochFunction, _TrainBeginHook, _EpochEndHook, _BatchEndHook, _TrainEndHook]
Callbacks = Union[CallbackLike, Sequence[CallbackLike], None]
_HOOKS = ("on_train_begin", "on_epoch_end", "on_batch_end", "on_train_end")


class _FunctionCallback(Callback):
    """A plain callable f(epoch, logs), called after every epoch."""

    def __init__(self, function: EpochFunction):
        self.function = function

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> Optional[bool]:
        return self.function(epoch, logs)


class CallbackList:
    """The callbacks of one fit, called in order: those fit puts `first` (the progress display, a
    schedule that watches the epochs), then those of fit's `callbacks` argument, plain callables
    wrapped as epoch callbacks. Each event is passed to every callback that has its method."""

    def __init__(self, callbacks: Callbacks, first: Sequence[Any] = ()):
        items = [] if callbacks is None else list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
        self.callbacks = list(first) + [self._wrapped(item, f"callbacks[{i}]") for i, item in enumerate(items)]
        self._train_begin = self._hooks("on_train_begin")
        self._epoch_end = self._hooks("on_epoch_end")
        self._train_end = self._hooks("on_train_end")
        # Only callbacks that define on_batch_end themselves make the core report batches (a Python call each).
        self._batch_end = [item.on_batch_end for item in self.callbacks if callable(getattr(item, "on_batch_end", None))
                           and getattr(type(item), "on_batch_end", None) is not Callback.on_batch_end]

    @staticmethod
    def _wrapped(item: Any, name: str) -> Any:
        """A callback object as it is, a plain callable f(epoch, logs) as an epoch callback."""
        if any(callable(getattr(item, hook, None)) for hook in _HOOKS):
            return item
        return _FunctionCallback(function(
            item, name, "a callable(epoch, logs) or an object with on_epoch_end/on_batch_end methods"))

    def _hooks(self, hook: str) -> list[Callable[..., Any]]:
        return [getattr(item, hook) for item in self.callbacks if callable(getattr(item, hook, None))]

    @property
    def reports_batches(self) -> bool:
        """Whether some callback wants every mini-batch's end."""
        return bool(self._batch_end)

    def on_train_begin(self, network: Trainable) -> None:
        for hook in self._train_begin:
            hook(network)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> Optional[bool]:
        """False when some callback returned False (all are called), to stop training; else None."""
        return False if any([hook(epoch, logs) is False for hook in self._epoch_end]) else None

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> Optional[bool]:
        """False when some callback returned False (all are called), to stop training; else None."""
        return False if any([hook(batch, logs) is False for hook in self._batch_end]) else None

    def on_train_end(self, network: Trainable) -> None:
        for hook in self._train_end:
            hook(network)
