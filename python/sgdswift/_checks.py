"""Every argument check of the package, and the one map from NumPy dtypes to the core's codes.

Errors name the argument, what was expected and what was given: TypeError for a value of the wrong
kind, ValueError for one of the right kind out of range. The core checks again what its maths needs
(shapes, finiteness, label ranges) because it is also called from Swift; the checks here come first so
that a refused call changes nothing and the message speaks the Python API's names.
"""
from __future__ import annotations

import math
import numbers
import os
import sys
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _core

# The dtypes the core computes in, and their codes in the C API.
DTYPES: dict[np.dtype, int] = {np.dtype(np.float32): _core.FLOAT32, np.dtype(np.float64): _core.FLOAT64}
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
        return -math.inf if value < 0 else math.inf


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


def dropout_rates(value: Any, name: str, hidden_layers: int) -> list[float]:
    """Dropout rates p in [0, 1), one per hidden layer: a number for all of them, or a sequence with one
    per hidden layer."""
    if isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, (str, bytes)):
        rates = [real(rate, f"{name}[{l}]", 0, 1) for l, rate in enumerate(np.asarray(value, dtype=object).ravel())]
        if np.ndim(value) != 1 or len(rates) != hidden_layers:
            raise ValueError(f"{name}: expected one rate per hidden layer ({hidden_layers}), got {len(rates)}")
        return rates
    return [real(value, name, 0, 1)] * hidden_layers


def flag(value: Any, name: str) -> bool:
    """True or False (Python's or NumPy's bool; not 0 or 1)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {value!r}")
    return bool(value)


def integer(value: Any, name: str, minimum: int, maximum: int = COUNTER_LIMIT, *, unit: Optional[str] = None) -> int:
    """An int (any Integral but bool) from minimum to maximum; unit names what it counts, for the message."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__} {value!r}")
    value = int(value)
    if not minimum <= value <= maximum:
        expected = f"{minimum} to {maximum} {unit}" if unit else f"an int between {minimum} and {maximum}"
        raise ValueError(f"{name}: expected {expected}, got {value}")
    return value


def name(value: Any, argument: str) -> str:
    """A name for the core (an activation, a loss, ...): a str without NUL characters. Whether the name
    exists is the core's to say, with the list of those that do."""
    if not isinstance(value, str):
        raise TypeError(f"{argument}: expected a name (str), got {type(value).__name__} {value!r}")
    if "\0" in value:
        raise ValueError(f"{argument}: expected a name, got {value!r} (it contains a NUL character)")
    return value


def hidden_activations(value: Any, hidden_layers: int) -> Union[str, list[str]]:
    """`hidden` of a network with `hidden_layers` hidden layers: one activation name for all of them, or a
    sequence (list or tuple) of one name per hidden layer, returned as a list."""
    if isinstance(value, str):
        return name(value, "hidden")
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"hidden: expected a name (str) or a list of names, one per hidden layer, got "
                        f"{type(value).__name__} {value!r}")
    if len(value) != hidden_layers:
        raise ValueError(f"hidden: expected one activation per hidden layer ({hidden_layers} names), got {len(value)}: "
                         f"{list(value)!r}")
    return [name(item, f"hidden[{i}]") for i, item in enumerate(value)]


def numeric_array(value: Any, name: str) -> np.ndarray:
    """value as an array of real numbers (float, int or bool), without copying an array that is one."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name}: expected an array of numbers, got {type(value).__name__} ({error})") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected real numbers (float, int or bool), got dtype {array.dtype}")
    return array


def sample_weights(value: Any, rows: int, dtype: np.dtype, name: str = "sample_weight") -> Optional[np.ndarray]:
    """Per-row weights as a C-contiguous 1-D array of `dtype` (the network's), or None for None: `rows`
    finite numbers ≥ 0, not all 0. (The core checks them again; these messages name the argument.)"""
    if value is None:
        return None
    array = numeric_array(value, name)
    if array.ndim != 1 or array.shape[0] != rows:
        raise ValueError(f"{name}: expected shape ({rows},) (one weight per row), got {array.shape}")
    weights = np.ascontiguousarray(array, dtype=dtype)
    if not np.isfinite(weights).all():
        raise ValueError(f"{name}: expected finite weights, got {array[~np.isfinite(weights)][0].item()!r}"
                         + (f" (beyond {dtype}'s range)" if np.isfinite(array).all() else ""))
    if (weights < 0).any():
        raise ValueError(f"{name}: expected weights ≥ 0, got {weights[weights < 0][0].item()!r}")
    if rows and not weights.any():
        raise ValueError(f"{name}: expected at least one non-zero weight, got all {rows} equal to zero")
    return weights


def count(value: Any, name: str, minimum: int, *, or_none: bool = False) -> int:
    """An int (NumPy's too, not a bool) ≥ minimum, without upper bound: a patience, a step size, a number
    of samples. Any other value is a ValueError, as these arguments have always raised."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected an int ≥ {minimum}{' or None' if or_none else ''}, got {value!r}")
    return int(value)


def tolerance(value: Any, name: str, *, positive: bool) -> float:
    """A finite real number ≥ 0 (> 0 when positive): the margins of EarlyStopping and gradient_check.
    Any other value is a ValueError, as these arguments have always raised."""
    converted = as_float(value)
    if converted is None or not math.isfinite(converted) or converted < 0 or (positive and converted == 0):
        raise ValueError(f"{name}: expected a finite number {'above' if positive else '≥'} 0, got {value!r}")
    return converted


def array_of_shape(value: Any, name: str, shape: tuple) -> np.ndarray:
    """value as an array (not copied when it is one), refusing what NumPy cannot make one of (ragged nested
    lists and the like) with a ValueError naming `name` and the `shape` expected; the shape itself is the
    caller's to check."""
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name}: expected an array of shape {shape}, got {type(value).__name__} that is not one "
                         f"({error})") from None


def file_path(value: Any, name: str = "path") -> Any:
    """A file name to write: a str or an os.PathLike of str (what `open` takes, bytes aside)."""
    if not isinstance(value, (str, os.PathLike)) or isinstance(os.fspath(value), bytes):
        raise TypeError(f"{name}: expected a file name (str or os.PathLike), got {_kind(value)}")
    return value


def one_of(value: Any, name: str, options: Sequence[Any]) -> Any:
    """One of a few fixed values (compared with ==)."""
    if value not in options:
        listed = ", ".join(repr(option) for option in options[:-1]) + f" or {options[-1]!r}" if len(options) > 1 \
            else repr(options[0])
        raise ValueError(f"{name}: expected {listed}, got {value!r}")
    return value


def pair(value: Any, name: str, description: str) -> tuple[Any, Any]:
    """A tuple or list of two items."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name}: expected a pair {description}, got {_kind(value)}")
    return value[0], value[1]


def function(value: Any, name: str, description: str) -> Any:
    """A callable; description says which."""
    if not callable(value):
        raise TypeError(f"{name}: expected {description}, got {type(value).__name__}")
    return value


def rate_schedule(value: Any, name: str, validation: bool) -> Any:
    """fit's schedule: None or a callable; a schedule that watches a validation figure needs `validation`."""
    if value is None:
        return None
    function(value, name, "a schedule or a callable epoch -> lr")
    monitor = getattr(value, "monitor", None)
    if isinstance(monitor, str) and monitor.startswith("val_") and not validation:
        raise ValueError(f"{name}: {type(value).__name__} watches {monitor!r}, which needs validation_data or "
                         "validation_split")
    return value


def history_key(value: Any, name: str) -> str:
    """The name of a History entry (not checked against a fit's entries, which are known only then)."""
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a history key such as 'val_loss', got {value!r}")
    return value


def float_dtype(value: Any, name: str, choices: Optional[Sequence[np.dtype]] = None) -> np.dtype:
    """A NumPy floating dtype, one of choices when given."""
    expected = (" or ".join(repr(str(choice)) for choice in choices) if choices
                else "a floating dtype such as 'float32'")
    try:
        dtype = np.dtype(value)
    except TypeError:
        raise TypeError(f"{name}: expected {expected}, got {value!r}") from None
    if dtype.kind != "f" or (choices is not None and dtype not in choices):
        raise ValueError(f"{name}: expected {expected}, got {dtype}")
    return dtype


def learning_rate(value: Any, name: str, epoch: int) -> float:
    """A rate given by a schedule for an epoch: a finite real number ≥ 0 (any other value is a ValueError:
    the schedule, not the caller, gave it)."""
    rate = as_float(value)
    if rate is None or not (math.isfinite(rate) and rate >= 0):
        raise ValueError(f"{name}: expected a finite learning rate ≥ 0 for epoch {epoch}, got {value!r}")
    return rate


def _kind(value: Any) -> str:
    """What a value is, briefly (an array's repr can be huge)."""
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    return type(value).__name__


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
        assert number is not None  # admits() let only real numbers through
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
    """Names (str)."""

    def __init__(self, *names: str):
        self.names = names
        self.kind = repr(names[0]) if len(names) == 1 else f"one of {list(names)}"

    def admits(self, value: Any) -> bool:
        return isinstance(value, str)

    def refusal(self, value: Any, constraints: list[Constraint]) -> Optional[str]:
        if value in self.names:
            return None
        # An unknown name hears every accepted value (say 'auto' or an int), as the user may not know them.
        return f"{_either([str(constraint) for constraint in constraints])}, got {value!r}"


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


# ---- sparse inputs ----

class SparseRows:
    """X as compressed sparse rows for the core (SciPy's CSR arrays): `data` of the network's dtype, `indices`
    int32 and `indptr` int64, of shape (rows, columns). Row r's entries are data[k] in column indices[k] for k
    in indptr[r]..indptr[r+1]-1; a block of rows shares data and indices and has its own indptr."""

    __slots__ = ("data", "indices", "indptr", "shape")

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, columns: int):
        self.data, self.indices, self.indptr = data, indices, indptr
        self.shape = (len(indptr) - 1, columns)

    def rows(self, start: int, stop: int) -> "SparseRows":
        """Rows start..stop-1, without copying data or indices."""
        return SparseRows(self.data, self.indices, self.indptr[start:stop + 1], self.shape[1])

    @property
    def core(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """What sgdswift._core takes for sparse X: (data, indices, indptr, columns)."""
        return self.data, self.indices, self.indptr, self.shape[1]


def is_sparse(value: Any) -> bool:
    """Whether value is a scipy.sparse matrix or array (without importing SciPy: a sparse value has loaded it)."""
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and bool(sparse.issparse(value))


def sparse_rows(value: Any, name: str, dtype: np.dtype, columns: int) -> SparseRows:
    """A scipy.sparse matrix or array of shape (n, columns) as SparseRows. CSR is used in place when its
    data has the dtype and its indices are int32 (indptr, n + 1 values, is made int64); other formats are
    converted to CSR once, other dtypes copied once. Unsorted and repeated column indices are kept (repeats
    add up, as in SciPy); a structure that points outside the arrays or the columns is a ValueError."""
    shape = value.shape
    if len(shape) != 2 or shape[1] != columns:
        raise ValueError(f"{name}: expected shape (n, {columns}), got {shape} (sparse)")
    if value.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected real numbers (float, int or bool), got dtype {value.dtype} (sparse)")
    csr = value if value.format == "csr" else value.tocsr()
    data, indices, indptr = np.asarray(csr.data), np.asarray(csr.indices), np.asarray(csr.indptr)
    if data.ndim != 1 or indices.ndim != 1 or indptr.shape != (shape[0] + 1,):
        raise ValueError(f"{name}: a CSR matrix of shape {shape} needs 1-D data and indices and {shape[0] + 1} "
                         f"indptr values, got {data.shape}, {indices.shape} and {indptr.shape}")
    if indices.dtype.kind not in "iu" or indptr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer indices and indptr, got {indices.dtype} and {indptr.dtype}")
    stored = min(len(data), len(indices))
    if indptr[0] != 0 or (np.diff(indptr) < 0).any() or indptr[-1] > stored:
        raise ValueError(f"{name}: indptr must rise from 0 to at most the {stored} stored entries, got "
                         f"{indptr[0]} to {indptr[-1]}{' and decreasing steps' if (np.diff(indptr) < 0).any() else ''}")
    used = indices[:indptr[-1]]
    if len(used) and (used.min() < 0 or used.max() >= columns):
        bad = int(np.flatnonzero((used < 0) | (used >= columns))[0])
        raise ValueError(f"{name}: column index {used[bad]} (entry {bad}) is outside 0..{columns - 1}")
    return SparseRows(np.ascontiguousarray(data, dtype=dtype), np.ascontiguousarray(indices, dtype=np.int32),
                      np.ascontiguousarray(indptr, dtype=np.int64), columns)
