"""Callbacks: Python code that the Swift training loop calls at epoch and mini-batch ends.

`fit(..., callbacks=[...])` takes callables `f(epoch, logs)` (called after every epoch) and objects
with any of the methods of `Callback`. The GIL is taken only for these calls. Returning False from
`on_epoch_end` or `on_batch_end` (or from a callable) stops training.
"""
from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, Optional, TextIO

import numpy as np

if TYPE_CHECKING:
    from ._network import Network


class Callback:
    """Hooks of the training loop; override the ones you need. Epochs and batches count from 0."""

    def on_train_begin(self, network: "Network") -> None:
        """Called once by `fit` before the first epoch."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> Optional[bool]:
        """`logs` holds the epoch's history entries: floats "loss", "accuracy", "val_loss",
        "val_accuracy", "lr", "time" (those the fit has) and "grad_norm", a list of one float per layer.
        Return False to stop training."""

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> Optional[bool]:
        """`logs` holds the mini-batch's "loss" (float: its mean loss before the step) and "epoch" (int).
        Defining this makes the core report every mini-batch, which costs a Python call each. Return
        False to stop training."""

    def on_train_end(self, network: "Network") -> None:
        """Called once by `fit` after the last epoch (also after an early stop)."""


class EarlyStopping(Callback):
    """Stops when `monitor` has not improved by more than `min_delta` for `patience` epochs (losses
    improve downwards, accuracies upwards). With `restore_best_weights`, the network ends with the
    parameters of its best epoch."""

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 restore_best_weights: bool = False):
        if not isinstance(monitor, str):
            raise TypeError(f"monitor: expected a history key such as 'val_loss', got {monitor!r}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience: expected an int ≥ 0, got {patience!r}")
        if not (isinstance(min_delta, (int, float)) and np.isfinite(min_delta) and min_delta >= 0):
            raise ValueError(f"min_delta: expected a finite number ≥ 0, got {min_delta!r}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = float(min_delta)
        self.restore_best_weights = bool(restore_best_weights)
        self.best_epoch: Optional[int] = None
        self.stopped_epoch: Optional[int] = None

    def on_train_begin(self, network: "Network") -> None:
        self._network = network
        self._best: Optional[float] = None
        self._best_parameters: Optional[np.ndarray] = None
        self.best_epoch = self.stopped_epoch = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> Optional[bool]:
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping: monitor {self.monitor!r} is not among this fit's logs {sorted(logs)}")
        value = logs[self.monitor] * (-1 if "acc" in self.monitor else 1)
        if self._best is None or value < self._best - self.min_delta:
            self._best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self._best_parameters = self._network.parameters.copy()
            return None
        if self.best_epoch is not None and epoch - self.best_epoch >= self.patience:
            self.stopped_epoch = epoch
            return False
        return None

    def on_train_end(self, network: "Network") -> None:
        if self._best_parameters is not None:
            network.parameters[...] = self._best_parameters


class ProgressBar(Callback):
    """verbose=1: a live bar per epoch (tqdm when installed, else one rewritten line), then the
    epoch's figures."""

    def __init__(self, epochs: int, rows: int, file: Optional[TextIO] = None):
        self.epochs, self.rows = epochs, rows
        self.file = file or sys.stdout
        self._tqdm_class: Any = None
        try:
            from tqdm.auto import tqdm

            self._tqdm_class = tqdm
        except ImportError:
            pass
        self._bar: Any = None  # the epoch's tqdm bar, when tqdm is installed
        self._last_draw = 0.0
        self._drawn = 0

    def update(self, epoch: int, rows_done: int) -> None:
        if self._tqdm_class is not None:
            if self._bar is None:
                self._bar = self._tqdm_class(total=self.rows, desc=f"Epoch {epoch + 1}/{self.epochs}", unit="row",
                                             file=self.file, leave=True)
            self._bar.update(rows_done - self._bar.n)
            return
        now = time.monotonic()
        if now - self._last_draw < 0.1:
            return
        self._last_draw = now
        width = 30
        filled = width * rows_done // self.rows
        self._draw(f"Epoch {epoch + 1}/{self.epochs} [{'=' * filled}{'.' * (width - filled)}] {rows_done}/{self.rows}")

    def _draw(self, line: str, end: str = "") -> None:
        """Rewrites the current line (padding over what was there: no terminal escapes needed)."""
        self.file.write("\r" + line.ljust(self._drawn) + end)
        self.file.flush()
        self._drawn = 0 if end else len(line)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        summary = format_logs(logs)
        if self._bar is not None:
            self._bar.update(self.rows - self._bar.n)
            self._bar.set_postfix_str(summary, refresh=True)
            self._bar.close()
            self._bar = None
        else:
            self._draw(f"Epoch {epoch + 1}/{self.epochs}: {summary}", end="\n")

    def on_train_end(self, network: "Network") -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class EpochPrinter(Callback):
    """verbose=2: one line per epoch."""

    def __init__(self, epochs: int, file: Optional[TextIO] = None):
        self.epochs = epochs
        self.file = file or sys.stdout

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        print(f"Epoch {epoch + 1}/{self.epochs}: {format_logs(logs)}", file=self.file, flush=True)


def format_logs(logs: dict[str, Any]) -> str:
    parts = [f"{key} {logs[key]:.4f}" for key in ("loss", "accuracy", "val_loss", "val_accuracy") if key in logs]
    return ", ".join(parts + [f"lr {logs['lr']:.3g}", f"{logs['time']:.2f} s"])
