"""Every argument check of the package, and the one map from NumPy dtypes to the core's codes.

Errors name the argument, what was expected and what was given: TypeError for a value of the wrong
kind, ValueError for one of the right kind out of range. The core checks again what its maths needs
(shapes, finiteness, label ranges) because it is also called from Swift; the checks here come first so
that a refused call changes nothing and the message speaks the Python API's names.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Optional

import numpy as np

from . import _core

# The dtypes the core computes in, and their codes in the C API.
DTYPES = {np.dtype(np.float32): _core.FLOAT32, np.dtype(np.float64): _core.FLOAT64}
# Sizes handed to the core: far beyond any real use, and safe from overflow in C and Swift.
COUNTER_LIMIT = 2**62
INT64_MAX = 2**63 - 1
# One fit call records every epoch (48 bytes plus 8 per layer each), allocated up front: call fit
# again to train longer.
MAX_EPOCHS = 10**6


def as_float(value: Any) -> Optional[float]:
    """A real number (not a bool) as a float, an int beyond float's range as ±inf (float() would raise
    OverflowError); None for anything else."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def real(value: Any, name: str, low: float = 0.0, high: float = float("inf"), *, include_low: bool = True,
         include_high: bool = False) -> float:
    """A finite real number in the interval from low to high (closed or open at each end), as a float."""
    converted = as_float(value)
    if converted is None or not math.isfinite(converted):
        raise TypeError(f"{name}: expected a finite number, got {value!r}")
    value = converted
    if value < low or (value == low and not include_low) or value > high or (value == high and not include_high):
        interval = f"{'[' if include_low else '('}{low:g}, {high:g}{']' if include_high else ')'}"
        raise ValueError(f"{name}: expected a number in {interval}, got {value!r}")
    return value


def flag(value: Any, name: str) -> bool:
    """True or False (Python's or NumPy's bool; not 0 or 1)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {value!r}")
    return bool(value)


def integer(value: Any, name: str, minimum: int, maximum: int = COUNTER_LIMIT) -> int:
    """An int (any Integral but bool) from minimum to maximum."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__} {value!r}")
    value = int(value)
    if not minimum <= value <= maximum:
        raise ValueError(f"{name}: expected an int between {minimum} and {maximum}, got {value}")
    return value


def name(value: Any, argument: str) -> str:
    """A name for the core (an activation, a loss, ...): a str without NUL characters. Whether the name
    exists is the core's to say, with the list of those that do."""
    if not isinstance(value, str):
        raise TypeError(f"{argument}: expected a name (str), got {type(value).__name__} {value!r}")
    if "\0" in value:
        raise ValueError(f"{argument}: expected a name, got {value!r} (it contains a NUL character)")
    return value


def numeric_array(value: Any, name: str) -> np.ndarray:
    """value as an array of real numbers (float, int or bool), without copying an array that is one."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name}: expected an array of numbers, got {type(value).__name__} ({error})") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected real numbers (float, int or bool), got dtype {array.dtype}")
    return array


# ---- declarative constraints (estimators) ----
# A parameter's constraints are a list of the kinds of value it accepts, each with its range: a value must
# be of one of the kinds (else TypeError, naming every kind) and within that kind's range (else ValueError).
# `None` in a list stands for the value None.

def _either(descriptions: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return descriptions[0] if len(descriptions) == 1 else f"{', '.join(descriptions[:-1])} or {descriptions[-1]}"


class Constraint:
    """A kind of value a parameter accepts; by default every value of the kind."""

    kind = ""  # what the kind is called in a TypeError: "an int", "a float", ...

    def admits(self, value: Any) -> bool:
        """Whether value is of this kind."""
        raise NotImplementedError

    def refusal(self, value: Any, constraints: list["Constraint"]) -> Optional[str]:
        """For a value of this kind, None when it is in range, else what the ValueError says after the
        parameter's name ("expected …, got …"); `constraints` are all of the parameter's."""
        return None

    def __str__(self) -> str:  # the kind with its range
        return self.kind


class Interval(Constraint):
    """Numbers of a type (numbers.Integral: ints, not bools; numbers.Real: any real number, not a bool) from
    low to high (high None: unbounded). closed says which ends belong to a Real interval ("both", "left",
    "right", "neither"); Integral intervals here are closed."""

    def __init__(self, number_type: type, low: float, high: Optional[float], closed: str = "both"):
        self.integral = number_type is numbers.Integral
        self.low, self.high = low, high
        self.include_low, self.include_high = closed in ("both", "left"), closed in ("both", "right")
        self.kind = "an int" if self.integral else "a float"

    def admits(self, value: Any) -> bool:
        if self.integral:
            return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
        return as_float(value) is not None

    def refusal(self, value: Any, constraints: list[Constraint]) -> Optional[str]:
        if self.integral:
            # Below the minimum, just the minimum: the maximum of an int parameter here is a cap far
            # beyond use, noise to someone who passed 0.
            if value < self.low:
                return f"an int >= {self.low}, got {value!r}"
            if self.high is not None and value > self.high:
                return f"{self}, got {value!r}"
            return None
        number = as_float(value)
        if not math.isfinite(number):
            return f"a finite float, got {number!r}"
        high = math.inf if self.high is None else self.high
        if (number < self.low or (number == self.low and not self.include_low) or number > high
                or (number == high and not self.include_high)):
            return f"{self}, got {number!r}"
        return None

    def __str__(self) -> str:
        if self.integral:
            return f"an int >= {self.low}" if self.high is None else f"an int from {self.low} to {self.high}"
        high = math.inf if self.high is None else self.high
        closing = "]" if self.include_high and math.isfinite(high) else ")"
        return f"a float in {'[' if self.include_low else '('}{self.low:g}, {high:g}{closing}"


class Options(Constraint):
    """Names (str). hints: a note for a name that is refused on purpose, e.g. one scikit-learn offers."""

    def __init__(self, *names: str, hints: Optional[dict[str, str]] = None):
        self.names = names
        self.hints = hints or {}
        self.kind = repr(names[0]) if len(names) == 1 else f"one of {list(names)}"

    def admits(self, value: Any) -> bool:
        return isinstance(value, str)

    def refusal(self, value: Any, constraints: list[Constraint]) -> Optional[str]:
        if value in self.names:
            return None
        # An unknown name hears every accepted value (say 'auto' or an int), as the user may not know them.
        hint = f" ({self.hints[value]})" if value in self.hints else ""
        return f"{_either([str(constraint) for constraint in constraints])}, got {value!r}{hint}"


class Boolean(Constraint):
    """True or False (Python's or NumPy's bool; not 0 or 1)."""

    kind = "True or False"

    def admits(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_))


class Infinity(Constraint):
    """The float inf (math.inf, np.inf), e.g. for "never"."""

    kind = "inf"

    def admits(self, value: Any) -> bool:
        return isinstance(value, float) and value == math.inf


class InstanceOf(Constraint):
    """Any instance of a class, called by `kind` in messages."""

    def __init__(self, cls: type, kind: str):
        self.cls, self.kind = cls, kind

    def admits(self, value: Any) -> bool:
        return isinstance(value, self.cls)


class _NoneConstraint(Constraint):
    """The value None, written `None` in a list of constraints."""

    kind = "None"

    def admits(self, value: Any) -> bool:
        return value is None


_NONE = _NoneConstraint()


def check_value(value: Any, name: str, constraints: list[Optional[Constraint]]) -> None:
    """Checks value against a list of constraints: the first constraint of the value's kind decides."""
    every = [_NONE if constraint is None else constraint for constraint in constraints]
    matching = next((constraint for constraint in every if constraint.admits(value)), None)
    if matching is None:
        raise TypeError(f"{name}: expected {_either([constraint.kind for constraint in every])}, got "
                        f"{type(value).__name__} {value!r}")
    refusal = matching.refusal(value, every)
    if refusal is not None:
        raise ValueError(f"{name}: expected {refusal}")


def check_parameters(estimator: Any, table: dict[str, list[Optional[Constraint]]]) -> None:
    """Checks each parameter (attribute) of the estimator named in table against its constraints, in the
    table's order."""
    for name, constraints in table.items():
        check_value(getattr(estimator, name), name, constraints)
