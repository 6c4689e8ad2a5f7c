"""Learning-rate schedules: η for each epoch, set once at the start of the epoch.

`fit(..., schedule=s)` accepts one of these (computed from the optimizer's own rate η₀ at the start
of fit, which the schedule leaves unchanged) or any callable `epoch -> lr` (absolute rates). Epochs
count from 0 in every `fit` call.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Optional, Union

from ._checks import count, history_key, learning_rate, real
from .callbacks import Plateau


class Schedule:
    """η_e = schedule(e, η₀) for epoch e. Subclasses implement `__call__`; one that also defines
    `on_epoch_end(epoch, logs)` is called as a callback after every epoch (see `ReduceOnPlateau`)."""

    def __call__(self, epoch: int, initial_lr: float) -> float:
        """The learning rate (a float ≥ 0) of epoch `epoch` (from 0), given the optimizer's rate η₀."""
        raise NotImplementedError

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in vars(self).items() if not key.startswith("_"))
        return f"{type(self).__name__}({arguments})"


class Constant(Schedule):
    """η_e = η₀."""

    def __call__(self, epoch: int, initial_lr: float) -> float:
        return initial_lr


class StepDecay(Schedule):
    """η_e = η₀ · γ^⌊e / step_size⌋: multiply by γ every `step_size` epochs."""

    def __init__(self, step_size: int, gamma: float = 0.1):
        self.step_size = count(step_size, "step_size", 1)
        self.gamma = real(gamma, "gamma", include_low=False)

    def __call__(self, epoch: int, initial_lr: float) -> float:
        return initial_lr * self.gamma ** (epoch // self.step_size)


class ExponentialDecay(Schedule):
    """η_e = η₀ · γ^e."""

    def __init__(self, gamma: float):
        self.gamma = real(gamma, "gamma", include_low=False)

    def __call__(self, epoch: int, initial_lr: float) -> float:
        return initial_lr * self.gamma ** epoch


class InverseScaling(Schedule):
    """η_e = η₀ / (e + 1)^power (scikit-learn's 'invscaling', counted in epochs)."""

    def __init__(self, power: float = 0.5):
        self.power = real(power, "power")

    def __call__(self, epoch: int, initial_lr: float) -> float:
        return initial_lr / (epoch + 1) ** self.power


class CosineAnnealing(Schedule):
    """η_e = η_min + (η₀ − η_min)(1 + cos(π e / T)) / 2 for e < T, then η_min (T = `epochs`)."""

    def __init__(self, epochs: int, min_lr: float = 0.0):
        self.epochs = count(epochs, "epochs", 1)
        self.min_lr = real(min_lr, "min_lr")

    def __call__(self, epoch: int, initial_lr: float) -> float:
        if epoch >= self.epochs:
            return self.min_lr
        weight = (1 + math.cos(math.pi * epoch / self.epochs)) / 2  # from 1 down to 0
        return weight * initial_lr + (1 - weight) * self.min_lr  # never beyond either end: no overflow


class ReduceOnPlateau(Schedule):
    """η is multiplied by `factor` (not below `min_lr`) when `monitor` has not improved by more than
    `min_delta` for `patience` epochs; improvement means lower for losses, higher for accuracies."""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, min_delta: float = 1e-4,
                 min_lr: float = 0.0):
        self.monitor = history_key(monitor, "monitor")
        self.factor = real(factor, "factor", 0, 1, include_low=False)
        self.patience = count(patience, "patience", 0)
        self.min_delta = real(min_delta, "min_delta")
        self.min_lr = real(min_lr, "min_lr")
        self._lr: Optional[float] = None
        self._plateau: Plateau  # set by __call__ at epoch 0, before any on_epoch_end

    def __call__(self, epoch: int, initial_lr: float) -> float:
        if epoch == 0 or self._lr is None:
            self._lr = initial_lr
            self._plateau = Plateau.of(self.monitor, self.min_delta)
        return self._lr

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        """Counts the epochs without improvement of `logs[monitor]` and lowers the rate after `patience`."""
        if self.monitor not in logs:
            raise ValueError(f"monitor: ReduceOnPlateau watches {self.monitor!r}, which is not among this fit's logs "
                             f"{sorted(logs)} (val_* needs validation_data or validation_split)")
        if not self._plateau.update(logs[self.monitor]) and self._plateau.waited > self.patience:
            assert self._lr is not None  # set by __call__ with the plateau
            self._lr = max(self._lr * self.factor, self.min_lr)
            self._plateau.waited = 0


# What `fit(schedule=...)` takes besides None.
ScheduleLike = Union[Schedule, Callable[[int], float]]


def epoch_rate(schedule: ScheduleLike, epoch: int, initial_lr: float) -> float:
    """The learning rate `schedule` gives epoch `epoch`: a Schedule's from the optimizer's rate
    `initial_lr`, a callable's by itself; anything but a finite rate ≥ 0 is a ValueError."""
    return learning_rate(schedule(epoch, initial_lr) if isinstance(schedule, Schedule) else schedule(epoch),
                         "schedule", epoch)
