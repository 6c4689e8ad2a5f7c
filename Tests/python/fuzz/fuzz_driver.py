"""Property-based fuzzing of sgdswift's public API with hypothesis.

    python Tests/python/fuzz/fuzz_driver.py --examples 10000 --seed 0 [--log last_case.py] [--target NAME ...]

Each hypothesis example is a *case*: a short Python snippet (setup, then one call into sgdswift) and
what the oracle expects of it. Before a case runs, its full snippet is written to the log file (one
file, overwritten case by case, flushed), so that when the interpreter dies (a Swift trap is
SIGILL/SIGTRAP, a bad pointer SIGSEGV) the parent process can say which case killed it; the snippet
runs as it stands in a fresh interpreter (`python last_case.py`) to reproduce the crash.

The oracle: every case either works correctly — finite outputs of the right shape, `predict` equal to
the NumPy forward pass of reference.py over `net.weights`/`net.biases`, `loss`/`evaluate`/`step` equal to
reference.py's loss, an SGD step equal to optim_reference.py's,
`save`/`load` bit for bit — or raises TypeError/ValueError with a message that names the argument
(sg.DivergenceError, FileNotFoundError or OSError where these are the right answer). Cases the oracle
knows to be valid must work; cases it knows to be invalid must be refused, and a refused call must
leave the network's parameters as they were. Anything else — another exception type, an empty
message, a message that does not name the argument, a wrong result — is recorded as a failure with
its reproducer. A hang is caught by faulthandler (the process exits after --case-timeout seconds,
printing the stack; the log file holds the case).

The `estimators` target fuzzes sg.MLPClassifier/MLPRegressor (hyper-parameters, fit/partial_fit/predict/
predict_proba/score on fuzzed X and y, pickle round trips); there, scikit-learn's own input-validation
messages (SKLEARN_MESSAGES) count as naming the argument, sgdswift.DivergenceError is accepted from training,
and a refused fit/partial_fit must leave the estimator's attributes as they were.

The `export` target exports random valid networks to ONNX and runs them with ONNX Runtime against
`predict` (see check_exported), and makes hostile export calls that must be refused leaving the folder as
it was; it and the constructor target check that summary() and repr give the parameter count.

The summary is one JSON object on stdout: cases run per target, outcome counts, and the failures
(deduplicated by target, kind and exception type; the shortest reproducer of each is kept). The
exit code is 0 when there was no failure, 1 otherwise.
"""
from __future__ import annotations

import argparse
import contextlib
import faulthandler
import io
import json
import math
import os
import re
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import sgdswift as sg

# The NumPy oracles shared with the rest of the tests live one folder up; this file also runs as a script.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import optim_reference  # noqa: E402
import reference  # noqa: E402

# ------------------------------------------------------------------------------------------------
# Cases
# ------------------------------------------------------------------------------------------------

PREAMBLE = """\
import os

import numpy as np
import sgdswift as sg
from numpy import nan, inf


def ro(a):
    a = np.array(a, copy=True, order="K")
    a.setflags(write=False)
    return a


def fortran(a):
    return np.asfortranarray(a)


def strided(a, axis):
    shape = list(a.shape)
    shape[axis] *= 2
    base = np.zeros(shape, dtype=a.dtype)
    index = [slice(None)] * a.ndim
    index[axis] = slice(None, None, 2)
    base[tuple(index)] = a
    return base[tuple(index)]


def reversed_rows(a):
    return np.ascontiguousarray(a[::-1])[::-1]


class AfterLoad(Exception):
    \"\"\"A loaded network that failed in later use (not a correct answer of load).\"\"\"


def use(net, X, Y, folder):
    \"\"\"What one does with a loaded model: train on (it resumes the saved optimizer), save, load again.\"\"\"
    try:
        try:
            net.fit(X, Y, epochs=1, batch_size=2, verbose=0)
        except sg.DivergenceError:
            pass
        again = os.path.join(folder, "again.npz")
        net.save(again)
        sg.load(again).predict(X)
    except Exception as error:
        raise AfterLoad(f"using the loaded network: {type(error).__name__}: {error}") from error
    return net


def unaligned(a):
    raw = np.zeros(a.nbytes + a.itemsize + 1, dtype=np.uint8)[1:1 + a.nbytes]
    view = raw.view(a.dtype).reshape(a.shape)
    view[...] = a
    return view
"""

OK, ERROR, EITHER = "ok", "error", "either"


@dataclass
class Case:
    """One fuzz case. `setup` defines the names the call and the check use (net, X, Y, ...); `call`
    is one statement that assigns `out`. `expect`: OK (must work), ERROR (must raise TypeError or
    ValueError) or EITHER. `names`: arguments one of which the error message must name (empty: any
    non-empty message). `allowed`: further exception types that are a correct answer here (with
    their messages' arguments not checked). `check(ns)` returns None or what is wrong with a result."""
    target: str
    setup: str
    call: str
    expect: str = EITHER
    names: tuple = ()
    allowed: tuple = ()
    check: Optional[Callable[[dict], Optional[str]]] = None
    unchanged: bool = True  # a refused call must leave net.parameters as they were
    finite: bool = True  # parameters must be finite after a DivergenceError (the weights from before the step)
    # Message patterns accepted in place of a name (scikit-learn's input validation); with them, names must
    # appear as words ("y" in "Input y contains", not in "array").
    messages: tuple = ()
    prepare: Optional[Callable[[dict], None]] = None  # run after the setup, before the call
    refused: Optional[Callable[[dict], Optional[str]]] = None  # after a refusal: None or what is wrong

    def source(self) -> str:
        return f"{PREAMBLE}\n# --- case: {self.target}\n{self.setup}\n{self.call}\n"


_STRATEGIES: dict = {}


def pick(draw, options) -> Any:
    """draw(st.sampled_from(options)), with the strategy built once per option list (hypothesis
    validates each new strategy object, which otherwise dominates the time per case)."""
    key = ("sampled", tuple(options))
    strategy = _STRATEGIES.get(key)
    if strategy is None:
        strategy = _STRATEGIES[key] = st.sampled_from(list(options))
    return draw(strategy)


def subset(draw, options, low: int, high: int) -> list:
    key = ("subset", tuple(options), low, high)
    strategy = _STRATEGIES.get(key)
    if strategy is None:
        strategy = _STRATEGIES[key] = st.lists(st.sampled_from(list(options)), min_size=low, max_size=high,
                                               unique=True)
    return draw(strategy)


def integer(draw, low: int, high: int) -> int:
    key = ("integers", low, high)
    strategy = _STRATEGIES.get(key)
    if strategy is None:
        strategy = _STRATEGIES[key] = st.integers(low, high)
    return draw(strategy)


# ------------------------------------------------------------------------------------------------
# Values as code
# ------------------------------------------------------------------------------------------------

def lit(a: np.ndarray) -> str:
    """A Python expression that rebuilds the array `a` exactly (C order, writable)."""
    body = repr(a.tolist())
    if a.size == 0 or a.ndim == 0:
        return f"np.array({body}, dtype={a.dtype.str!r}).reshape({tuple(a.shape)!r})"
    return f"np.array({body}, dtype={a.dtype.str!r})"


DTYPES = ["float64", "float32", "float16", "int64", "int32", "int8", "uint8", "uint64", "bool", ">f8", "<f4",
          "complex128", "object", "str"]
REAL_DTYPES = {"float64", "float32", "float16", "int64", "int32", "int8", "uint8", "uint64", "bool", ">f8", "<f4"}
LAYOUTS = ["C", "C", "C", "F", "strided0", "strided1", "reversed", "readonly", "readonly_F", "unaligned"]
PROFILES = ["small", "small", "small", "ints", "unit", "huge", "nan", "inf", "tiny"]


def values(rng: np.random.Generator, shape: tuple, profile: str) -> np.ndarray:
    """float64 values for an array of `shape`, by profile."""
    if profile == "ints":
        return np.asarray(rng.integers(-4, 5, size=shape), dtype=np.float64)
    if profile == "unit":
        return np.asarray(rng.random(shape))
    if profile == "tiny":
        return np.asarray(rng.choice([0.0, -0.0, 5e-324, 1e-310, 1e-45, -1e-300], size=shape))
    data = np.asarray(rng.normal(0, 2, size=shape))
    if profile == "huge" and data.size:
        mask = rng.random(shape) < 0.5
        data[mask] = rng.choice([1e308, -1e308, 3e38, -3.5e38, 1e20, 2.0**63, 6.6e4], size=int(mask.sum()))
    if profile in ("nan", "inf") and data.size:
        flat = data.reshape(-1)
        for _ in range(int(rng.integers(1, 3))):
            flat[rng.integers(0, flat.size)] = np.nan if profile == "nan" else rng.choice([np.inf, -np.inf])
    return data


def cast(data: np.ndarray, dtype: str, rng: np.random.Generator) -> np.ndarray:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dtype == "bool":
            return np.asarray(data > 0)
        if dtype == "object":
            return np.array(data.tolist(), dtype=object).reshape(data.shape) if data.size else data.astype(object)
        if dtype == "str":
            return data.astype(str)
        if dtype == "complex128":
            return data + 1j * rng.integers(0, 2, size=data.shape)
        if np.dtype(dtype).kind in "iu":
            info = np.iinfo(dtype)
            clean = np.nan_to_num(data, nan=0.0, posinf=info.max, neginf=info.min)
            return np.clip(np.round(clean), info.min, info.max).astype(np.float64).astype(dtype)
        return data.astype(dtype)


# How each memory layout is made from a C-ordered array expression {e} (helpers defined in the cases'
# preamble); "strided" views skip every other element along the first or the last axis.
LAYOUT_EXPRESSIONS = {"F": "fortran({e})", "strided0": "strided({e}, 0)", "strided1": "strided({e}, {last})",
                      "reversed": "reversed_rows({e})", "readonly": "ro({e})", "readonly_F": "ro(fortran({e}))",
                      "unaligned": "unaligned({e})"}


def wrap(expression: str, layout: str, ndim: int) -> str:
    if ndim == 0 or layout == "C":
        return expression
    return LAYOUT_EXPRESSIONS[layout].format(e=expression, last=ndim - 1)


@dataclass
class ArrayValue:
    """An argument that may be an array: its code, the array it builds (None when it is not
    array-like at all), and whether it is a real-number array-like."""
    code: str
    array: Optional[np.ndarray]
    real: bool
    container: str = "array"


def array_values(draw, shape: tuple, profiles=PROFILES, dtypes=DTYPES, allow_junk=True) -> ArrayValue:
    """An array of about `shape`, as an ndarray in some dtype and layout, or a list/tuple, or junk."""
    rng = np.random.default_rng(integer(draw, 0, 2**32 - 1))
    container = pick(draw, ["array"] * 12 + ["list", "tuple"] + (["junk"] if allow_junk else []))
    if container == "junk":
        code = pick(draw, ["None", "3.0", "7", "'abc'", "{}", "[]", "[[1, 2], [3]]", "[[[1.0]]]",
                                     "object()", "np.float64(1.5)", "b'xyz'", "[None, None]", "float('nan')",
                                     "np.array(None)", "set()", "range(3)", "[[1.0, 'a']]"])
        return ArrayValue(code, None, False, "junk")
    dtype = pick(draw, dtypes)
    profile = pick(draw, profiles)
    data = cast(values(rng, shape, profile), dtype, rng)
    if container in ("list", "tuple"):
        # What NumPy makes of the nested sequence decides (an object array of floats is a valid list).
        as_list = data.tolist()
        if container == "list" or data.ndim == 0:
            code = repr(as_list)
        elif data.ndim == 2:
            code = repr(tuple(tuple(row) for row in as_list))
        else:
            code = repr(tuple(as_list))
        try:
            rebuilt = np.asarray(eval(code, {"nan": np.nan, "inf": np.inf}))  # noqa: S307
        except ValueError:
            return ArrayValue(code, None, False, container)
        return ArrayValue(code, rebuilt, rebuilt.dtype.kind in "biuf", container)
    layout = pick(draw, LAYOUTS) if dtype not in ("object", "str") else "C"
    return ArrayValue(wrap(lit(data), layout, data.ndim), data, dtype in REAL_DTYPES)


# ------------------------------------------------------------------------------------------------
# Networks
# ------------------------------------------------------------------------------------------------

ACTIVATIONS = ["sigmoid", "relu", "tanh", "identity"]
HIDDEN_ACTIVATIONS = ACTIVATIONS + ["leaky_relu", "elu", "gelu", "softplus", "silu"]  # the last five: hidden only
OUTPUTS = ACTIVATIONS + ["softmax", "exp"]
LOSSES = ["quadratic", "mse", "mae", "binary_cross_entropy", "cross_entropy", "poisson"]
INITS = ["normal", "xavier", "he", "auto"]


def valid_hidden(hidden: Any, hidden_layers: int) -> bool:
    """Whether `hidden` is one hidden activation name, or a list or tuple of one per hidden layer."""
    if isinstance(hidden, str):
        return hidden in HIDDEN_ACTIVATIONS
    return (isinstance(hidden, (list, tuple)) and len(hidden) == hidden_layers
            and all(isinstance(name, str) and name in HIDDEN_ACTIVATIONS for name in hidden))


def compatible(hidden: Any, output: str, loss: str, sizes: list) -> bool:
    return (valid_hidden(hidden, len(sizes) - 2) and output in OUTPUTS and loss in LOSSES
            and not (output == "softmax" and sizes[-1] < 2)
            and not (loss == "binary_cross_entropy" and output != "sigmoid")
            and not (loss == "cross_entropy" and output != "softmax")
            and not (loss == "poisson" and output != "exp"))


@dataclass
class NetSpec:
    sizes: list
    hidden: Union[str, list]  # one name for every hidden layer, or one per hidden layer
    output: str
    loss: str
    init: str
    dtype: str
    seed: int
    dropout: Optional[str] = None  # the code of a valid dropout argument, or None for none

    def code(self, name: str = "net") -> str:
        dropout = "" if self.dropout is None else f", dropout={self.dropout}"
        return (f"{name} = sg.Network({self.sizes!r}, hidden={self.hidden!r}, output={self.output!r}, "
                f"loss={self.loss!r}, init={self.init!r}, dtype={self.dtype!r}, seed={self.seed}{dropout})")

    @property
    def inputs(self) -> int:
        return self.sizes[0]

    @property
    def outputs(self) -> int:
        return self.sizes[-1]

    @property
    def np_dtype(self) -> np.dtype:
        return np.dtype(self.dtype)


def net_specs(draw, max_layers: int = 4, max_size: int = 6) -> NetSpec:
    key = ("sizes", max_layers, max_size)
    if key not in _STRATEGIES:
        _STRATEGIES[key] = st.lists(st.integers(1, max_size), min_size=2, max_size=max_layers)
    sizes = draw(_STRATEGIES[key])
    hidden: Union[str, list] = pick(draw, HIDDEN_ACTIVATIONS)
    if integer(draw, 0, 2) == 0:
        hidden = [pick(draw, HIDDEN_ACTIVATIONS) for _ in sizes[1:-1]]
    output = pick(draw, OUTPUTS if sizes[-1] >= 2 else ACTIVATIONS + ["exp"])
    losses = ["quadratic", "mse", "mae"] + {"sigmoid": ["binary_cross_entropy"], "softmax": ["cross_entropy"],
                                           "exp": ["poisson"]}.get(output, [])
    return NetSpec(sizes, hidden, output, pick(draw, losses), pick(draw, INITS),
                   pick(draw, ["float32", "float64"]), integer(draw, 0, 2**64 - 1))


# ---- the oracle: reference.py in float64 over the network's own parameters ----------------------------

def reference_output(net: sg.Network, X: np.ndarray) -> np.ndarray:
    """a_L, the network's output."""
    _, activations = reference.forward(net.weights, net.biases, X, net.hidden, net.output)
    return activations[-1]


def reference_loss(net: sg.Network, X: np.ndarray, Y: np.ndarray) -> float:
    """The batch-mean loss of the targets Y (labels or dense rows)."""
    return float(reference.loss(net.weights, net.biases, X, Y, net.hidden, net.output, net.loss_name))


def close(actual: Any, expected: Any, dtype: np.dtype, scale: float = 1.0) -> bool:
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return False
    tolerance = (2e-3 if dtype == np.float32 else 1e-8) * scale
    return bool(np.all(np.abs(actual - expected) <= tolerance * np.maximum(1.0, np.abs(expected))))


def moderate(array: Optional[np.ndarray], limit: float = 1e3) -> bool:
    """Values for which the maths stays far from overflow, so that results must be finite and match."""
    if array is None:
        return False
    with np.errstate(all="ignore"):
        data = np.asarray(array, dtype=np.float64)
    return bool(np.isfinite(data).all() and (np.abs(data) <= limit).all())


# ------------------------------------------------------------------------------------------------
# Validity of data arguments (the conventions of README.md)
# ------------------------------------------------------------------------------------------------

def converted(value: ArrayValue, dtype: np.dtype) -> Optional[np.ndarray]:
    if value.array is None or not value.real:
        return None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(value.array).astype(dtype)


def x_validity(value: ArrayValue, spec: NetSpec, need_rows: bool) -> str:
    """OK, ERROR or EITHER for X."""
    if not value.real:
        return ERROR
    array = value.array
    if array.ndim != 2 or array.shape[1] != spec.inputs:
        return ERROR
    if array.shape[0] == 0:
        return ERROR if need_rows else EITHER
    return OK if np.isfinite(converted(value, spec.np_dtype)).all() else ERROR


def y_validity(value: ArrayValue, spec: NetSpec, rows: int) -> str:
    if value.container == "junk":
        return EITHER  # range(3), [] ... may be valid labels
    if not value.real:
        return ERROR
    array = value.array
    k = spec.outputs
    if array.ndim == 0 or array.shape[0] != rows or array.ndim > 2:
        return ERROR
    if array.ndim == 2 or k == 1:
        if array.ndim == 2 and array.shape[1] != k:
            return ERROR
        dense = converted(value, spec.np_dtype)
        if not np.isfinite(dense).all():
            return ERROR
        if spec.loss == "binary_cross_entropy" and ((dense < 0).any() or (dense > 1).any()):
            return ERROR
        if spec.loss in ("cross_entropy", "poisson") and (dense < 0).any():
            return ERROR
        return OK
    if array.dtype.kind == "f":
        with np.errstate(all="ignore"):
            if not (np.isfinite(array).all() and (array == np.round(array)).all()):
                return ERROR
    if rows and (array.min() < 0 or array.max() >= k):
        return ERROR
    return OK


def combine(*validities: tuple) -> tuple:
    """(expect, names) from (validity, name) pairs: any ERROR -> ERROR naming those; any EITHER -> EITHER."""
    errors = tuple(name for validity, name in validities if validity == ERROR)
    if errors:
        return ERROR, errors
    if any(validity == EITHER for validity, _ in validities):
        return EITHER, ()
    return OK, ()


def x_values(draw, spec: NetSpec) -> ArrayValue:
    if pick(draw, (False, True)):  # valid data in any real dtype, layout or container: must work
        rows = pick(draw, [1, 2, 3, 4, 5, 8])
        return array_values(draw, (rows, spec.inputs), profiles=["small", "ints", "unit", "tiny"],
                                 dtypes=sorted(REAL_DTYPES), allow_junk=False)
    rows = pick(draw, [1, 1, 2, 3, 4, 5, 8, 0])
    columns = pick(draw, [spec.inputs] * 6 + [0, spec.inputs + 1, max(spec.inputs - 1, 0)])
    shape = pick(draw, [(rows, columns)] * 8 + [(rows * columns,), (rows, columns, 1), ()])
    return array_values(draw, shape)


def y_values(draw, spec: NetSpec, rows: int) -> ArrayValue:
    k = spec.outputs
    rng = np.random.default_rng(integer(draw, 0, 2**32 - 1))
    if pick(draw, (False, True)):  # valid targets
        if k > 1 and pick(draw, (False, True)):
            labels = rng.integers(0, k, size=rows).astype(pick(draw, ["int64", "int32", "uint8",
                                                                                 "float32", "float64"]))
            layout = pick(draw, LAYOUTS)
            return ArrayValue(wrap(lit(labels), layout, 1), labels, True)
        shape = (rows, k) if k > 1 or pick(draw, (False, True)) else (rows,)
        return array_values(draw, shape, profiles=["unit"], dtypes=sorted(REAL_DTYPES), allow_junk=False)
    kind = pick(draw, ["labels"] * 4 + ["dense"] * 3 + ["bad_labels", "float_labels", "bool_labels",
                                                                  "wrong_rows", "generic"])
    if kind == "generic":
        return array_values(draw, pick(draw, [(rows,), (rows, k), (rows, k + 1), (rows + 1,), ()]))
    if kind in ("labels", "bad_labels", "float_labels", "bool_labels"):
        labels = rng.integers(0, k, size=rows)
        if kind == "bad_labels" and rows:
            labels[rng.integers(0, rows)] = rng.choice([-1, k, k + 7, -(2**62), 2**62, 2**63 - 1])
        dtype = pick(draw, ["int64", "int64", "int32", "uint8", "int8", "uint64", "float64", "float32"])
        if kind == "float_labels":
            data = labels.astype(np.float64) + pick(draw, [0.0, 0.5, 1e-9, np.nan, np.inf, 1e308])
            array = data.astype(pick(draw, ["float64", "float32", "float16"]))
        elif kind == "bool_labels":
            array = labels > 0
        else:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                array = labels.astype(dtype) if not (dtype.startswith("u") and (labels < 0).any()) else labels
        container = pick(draw, ["array"] * 6 + ["list"])
        if container == "list":
            return ArrayValue(repr(array.tolist()), array, True, "list")
        layout = pick(draw, LAYOUTS)
        return ArrayValue(wrap(lit(array), layout, 1), array, True)
    if kind == "wrong_rows":
        return array_values(draw, (max(rows + pick(draw, [-1, 1, 5]), 0), k), allow_junk=False)
    profile = pick(draw, ["unit"] * 4 + PROFILES)
    return array_values(draw, (rows, k), profiles=[profile], allow_junk=False)


# ------------------------------------------------------------------------------------------------
# Checks of results
# ------------------------------------------------------------------------------------------------

def check_predict(spec: NetSpec, x: ArrayValue) -> Callable[[dict], Optional[str]]:
    def check(ns: dict) -> Optional[str]:
        out, net = ns["out"], ns["net"]
        rows = x.array.shape[0]
        if not isinstance(out, np.ndarray) or out.shape != (rows, spec.outputs) or out.dtype != spec.np_dtype:
            return f"predict returned {type(out).__name__} {getattr(out, 'shape', '')} {getattr(out, 'dtype', '')}"
        X = converted(x, spec.np_dtype)
        if moderate(X) and moderate(net.parameters, 1e2):
            if not np.isfinite(out).all():
                return "predict: non-finite output for moderate input"
            a = reference_output(net, X)
            if not close(out, a, spec.np_dtype):
                return f"predict differs from the NumPy forward pass by {np.max(np.abs(out - a)):.3g}"
        return None
    return check


def check_loss(spec: NetSpec, x: ArrayValue, y: ArrayValue, method: str) -> Callable[[dict], Optional[str]]:
    def check(ns: dict) -> Optional[str]:
        out, net = ns["out"], ns["net"]
        if method == "evaluate":
            if not isinstance(out, dict) or "loss" not in out:
                return f"evaluate returned {out!r}"
            classifier = spec.outputs > 1 or spec.output == "sigmoid"
            if classifier != ("accuracy" in out):
                return f"evaluate: accuracy present={'accuracy' in out}, classifier={classifier}"
            if "accuracy" in out and not 0 <= out["accuracy"] <= 1:
                return f"evaluate: accuracy {out['accuracy']} outside [0, 1]"
            value = out["loss"]
        else:
            value = out
        if not isinstance(value, float):
            return f"{method} returned {type(value).__name__} {value!r}"
        X, Y = converted(x, spec.np_dtype), y.array
        if moderate(X) and moderate(Y) and moderate(net.parameters, 1e2):
            expected = reference_loss(net, X, Y)
            if not math.isfinite(value):
                return f"{method}: non-finite loss {value} for moderate data"
            if not close(value, expected, spec.np_dtype, scale=5):
                return f"{method}: loss {value!r}, NumPy reference {expected!r}"
        elif value < 0 or math.isnan(value):
            return f"{method}: loss {value!r}"
        return None
    return check


def check_gradient(spec: NetSpec, x: ArrayValue, y: ArrayValue) -> Callable[[dict], Optional[str]]:
    def check(ns: dict) -> Optional[str]:
        out, net = ns["out"], ns["net"]
        dW, db = out
        if [w.shape for w in dW] != [w.shape for w in net.weights] or \
                [b.shape for b in db] != [b.shape for b in net.biases]:
            return "gradient: shapes differ from the parameters'"
        if any(g.dtype != spec.np_dtype for g in list(dW) + list(db)):
            return "gradient: dtype differs from the network's"
        if moderate(converted(x, spec.np_dtype)) and moderate(y.array) and moderate(net.parameters, 1e2):
            if not all(np.isfinite(g).all() for g in list(dW) + list(db)):
                return "gradient: non-finite for moderate data"
        return None
    return check


def check_step(spec: NetSpec, x: ArrayValue, y: ArrayValue) -> Callable[[dict], Optional[str]]:
    def check(ns: dict) -> Optional[str]:
        out, net, before = ns["out"], ns["net"], ns["__before"]
        if not isinstance(out, float):
            return f"step returned {type(out).__name__}"
        X, Y = converted(x, spec.np_dtype), y.array
        if moderate(X) and moderate(Y) and moderate(before, 1e2):
            saved = net.parameters.copy()
            net.parameters[...] = before
            expected = reference_loss(net, X, Y)
            net.parameters[...] = saved
            if not close(out, expected, spec.np_dtype, scale=5):
                return f"step: returned loss {out!r}, NumPy reference before the step {expected!r}"
            if not np.isfinite(net.parameters).all():
                return "step: non-finite parameters after a step without DivergenceError"
        return None
    return check


def check_fit(epochs: Optional[int], stops: bool) -> Callable[[dict], Optional[str]]:
    def check(ns: dict) -> Optional[str]:
        out, net = ns["out"], ns["net"]
        if not isinstance(out, sg.History) or out is not net.history:
            return f"fit returned {type(out).__name__}"
        if epochs is not None and (len(out.epoch) > epochs or (not stops and len(out.epoch) != epochs)):
            return f"fit: {len(out.epoch)} epochs in the history, asked for {epochs}"
        if not np.isfinite(net.parameters).all():
            return "fit: non-finite parameters without DivergenceError"
        for key in ("loss", "val_loss"):
            if key in out.history and not all(math.isfinite(v) for v in out.history[key]):
                return f"fit: non-finite {key} in the history without DivergenceError"
        return None
    return check


# ------------------------------------------------------------------------------------------------
# Targets
# ------------------------------------------------------------------------------------------------

# (code, valid?) pools; valid None means "either".
SIZE_ELEMENTS = [("1", True), ("2", True), ("3", True), ("5", True), ("np.int64(4)", True), ("np.uint8(2)", True),
                 ("0", False), ("-1", False), ("-2**63", False), ("2**31 - 1", None), ("2**31", False),
                 ("2**63", False), ("2**64", False), ("2**200", False), ("np.uint64(2**64 - 1)", False),
                 ("1.0", False), ("2.5", False), ("True", False), ("None", False), ("'3'", False), ("nan", False),
                 ("np.float64(3.0)", False), ("3+0j", False), ("[3]", False)]
NAME_JUNK = ["None", "3", "''", "'RELU'", "' relu'", "b'relu'", "['relu']", "'softmax'", "'sigmod'",
             "'quadratic'", "'cross_entropy'", "'x' * 10000", "'relu\\x00'", "'é'", "np.str_('tanh')"]
# `hidden` as a list: of a wrong length, with a name that is not a hidden activation, not names, not a list
HIDDEN_LIST_JUNK = ["[]", "['gelu'] * 5", "('silu', 'elu')", "['relu', 'softmax']", "['exp']", "[None]",
                    "['leaky_relu', 3]", "np.array(['relu'])", "{'relu'}", "iter(['relu'])", "[['relu']]",
                    "['RELU', 'tanh']", "['elu', 'gelu\\x00']"]
DTYPE_VALUES = [("'float32'", True), ("'float64'", True), ("np.float32", True), ("np.float64", True),
                ("'f4'", True), ("'d'", True), ("float", True), ("np.dtype('float32')", True), ("'>f8'", None),
                ("None", None), ("'float16'", False), ("'int32'", False), ("int", False), ("complex", False),
                ("'nonsense'", False), ("3", False), ("object", False), ("'float128'", False), ("'U3'", False),
                ("[('a', 'f4')]", False)]
DROPOUT_VALUES = [("0.0", True), ("0.5", True), ("0.999", True), ("np.float32(0.2)", True), ("1.0", False),
                  ("-0.1", False), ("nan", False), ("inf", False), ("None", False), ("'0.5'", False), ("True", False),
                  ("[[0.5]]", False)]
SEED_VALUES = [("0", True), ("1", True), ("2**64 - 1", True), ("2**63", True), ("np.uint64(7)", True),
               ("None", True), ("-1", False), ("2**64", False), ("2**100", False), ("1.5", False), ("True", False),
               ("'7'", False), ("nan", False), ("np.int64(-5)", False)]


@st.composite
def constructor_cases(draw) -> Case:
    base = net_specs(draw)
    invalid: list = []
    either = False
    # sizes
    mode = pick(draw, ["valid"] * 5 + ["elements", "container", "length"])
    sizes_code = repr(base.sizes)
    sizes_valid: Optional[list] = list(base.sizes)
    if mode == "elements":
        elements = []
        for size in base.sizes:
            code, valid = pick(draw, [(repr(size), True)] * 3 + SIZE_ELEMENTS)
            elements.append((code, valid))
        sizes_code = "[" + ", ".join(code for code, _ in elements) + "]"
        validity = [valid for _, valid in elements]
        if False in validity or "2**31 - 1" in sizes_code:  # 2**31-1 with any neighbour overflows the count
            invalid.append("sizes")
            sizes_valid = None
        else:
            with np.errstate(all="ignore"):
                sizes_valid = [int(eval(code, {"np": np})) for code, _ in elements]  # noqa: S307
    elif mode == "container":
        sizes_code, valid = pick(draw, [
            (f"tuple({base.sizes!r})", True), (f"np.array({base.sizes!r})", True),
            (f"np.array({base.sizes!r}, dtype=np.uint16)", True), (f"np.array({base.sizes!r}, dtype=float)", False),
            ("range(2, 5)", True), ("'784,10'", False), ("None", False), ("3", False), ("{3, 2}", False),
            ("{3: 2}", False), ("(s for s in [3, 2])", False), ("np.array([[3, 2]])", False), ("b'\\x03\\x02'", False),
            ("[[3], [2]]", False), ("np.array(3)", False)])
        if valid:
            sizes_valid = list(eval(sizes_code, {"np": np}))  # noqa: S307
        else:
            invalid.append("sizes")
            sizes_valid = None
    elif mode == "length":
        sizes_code, valid = pick(draw, [("[]", False), ("[3]", False), ("[2] * 300", True),
                                                  ("[1] * 40", True), ("[1, 1]", True)])
        sizes_valid = eval(sizes_code) if valid else None  # noqa: S307
        if not valid:
            invalid.append("sizes")
    names = {}
    for key, default in (("hidden", base.hidden), ("output", base.output), ("loss", base.loss), ("init", base.init)):
        if integer(draw, 0, 7) == 0:
            code = pick(draw, NAME_JUNK + (HIDDEN_LIST_JUNK if key == "hidden" else [])
                        + [repr(v) for v in (HIDDEN_ACTIVATIONS + OUTPUTS + LOSSES + INITS)])
        else:
            code = repr(default)
        names[key] = code
    dtype_code, dtype_valid = ((repr(base.dtype), True) if integer(draw, 0, 5) else
                               pick(draw, DTYPE_VALUES))
    seed_code, seed_valid = (repr(base.seed), True) if integer(draw, 0, 5) else pick(draw, SEED_VALUES)
    dropout_values = list(DROPOUT_VALUES)
    if sizes_valid is not None and len(sizes_valid) >= 2:  # one rate per hidden layer, or a count that is wrong
        hidden_layers = len(sizes_valid) - 2
        dropout_values += [(repr([0.25] * hidden_layers), True), (repr([0.25] * (hidden_layers + 1)), False)]
    dropout_code, dropout_valid = ("0.0", True) if integer(draw, 0, 3) else pick(draw, dropout_values)
    if not dropout_valid:
        invalid.append("dropout")
    literal = {}
    for key, code in names.items():
        try:
            literal[key] = eval(code, {"np": np})  # noqa: S307
        except Exception:  # noqa: BLE001
            literal[key] = None
    for key in ("hidden", "output", "loss", "init"):
        value = literal[key]
        if key == "hidden" and isinstance(value, (list, tuple)):
            # a list's length is checked against the sizes (below) when they are valid
            if not all(isinstance(name, str) and name in HIDDEN_ACTIVATIONS + ["softmax", "exp"] for name in value) \
                    or sizes_valid is None or len(value) != len(sizes_valid) - 2:
                invalid.append(key)
        elif not isinstance(value, str):
            invalid.append(key)
        elif key in ("hidden", "output", "loss") and value not in {"hidden": HIDDEN_ACTIVATIONS + ["softmax", "exp"],
                                                                    "output": OUTPUTS, "loss": LOSSES}[key]:
            invalid.append(key)
        elif key == "init" and value not in INITS:
            invalid.append(key)
    if not {"hidden", "output", "loss"} & set(invalid) and sizes_valid is not None:
        if not compatible(literal["hidden"], literal["output"], literal["loss"], [int(s) for s in sizes_valid]):
            invalid.extend(["hidden", "output", "loss"])
    if dtype_valid is False:
        invalid.append("dtype")
    elif dtype_valid is None:
        either = True
    if seed_valid is False:
        invalid.append("seed")
    if sizes_valid is not None and len(sizes_valid) >= 2:
        count = sum(a * b + b for a, b in zip(sizes_valid[:-1], sizes_valid[1:]))
        assert count < 10**6 or "sizes" in invalid, sizes_code  # never build a huge valid network
    expect = ERROR if invalid else (EITHER if either else OK)
    if either:
        invalid.append("dtype")  # when refused, the message must name it
    setup = ""
    call = (f"out = net = sg.Network({sizes_code}, hidden={names['hidden']}, output={names['output']}, "
            f"loss={names['loss']}, init={names['init']}, dtype={dtype_code}, seed={seed_code}, "
            f"dropout={dropout_code})")

    def check(ns: dict) -> Optional[str]:
        net = ns["out"]
        if sizes_valid is not None and net.sizes != [int(s) for s in sizes_valid]:
            return f"sizes {net.sizes}, asked for {sizes_valid}"
        rates = np.broadcast_to(np.asarray(eval(dropout_code, {"np": np}), dtype=float),  # noqa: S307
                                (len(net.sizes) - 2,))
        if net.dropout != [float(rate) for rate in rates]:
            return f"dropout {net.dropout}, asked for {dropout_code}"
        if [w.shape for w in net.weights] != list(zip(net.sizes[:-1], net.sizes[1:])):
            return "weights have the wrong shapes"
        if not np.isfinite(net.parameters).all():
            return "non-finite initial parameters"
        X = np.linspace(-1, 1, 2 * net.sizes[0]).reshape(2, -1)
        out = net.predict(X)
        a = reference_output(net, X.astype(net.dtype))
        if not close(out, a, net.dtype):
            return "predict of a new network differs from the NumPy forward pass"
        return check_summary(net)

    return Case("constructor", setup, call, expect, tuple(dict.fromkeys(invalid)), check=check, unchanged=False)


METHODS = ["predict", "predict", "loss", "evaluate", "gradient", "step", "fit"]


@st.composite
def data_cases(draw) -> Case:
    """predict/loss/evaluate/gradient/step/fit on a valid network with fuzzed X and Y."""
    spec = net_specs(draw)
    method = pick(draw, METHODS)
    x = x_values(draw, spec)
    rows = x.array.shape[0] if x.array is not None and x.array.ndim >= 1 else 1
    setup = [spec.code(), f"X = {x.code}"]
    need_rows = method != "predict"
    xv = x_validity(x, spec, need_rows)
    if method == "predict":
        expect, names = combine((xv, "X"))
        call = "out = net.predict(X)"
        check = check_predict(spec, x)
    else:
        y = y_values(draw, spec, rows)
        setup.append(f"Y = {y.code}")
        yv = y_validity(y, spec, rows)
        expect, names = combine((xv, "X"), (yv, "Y"))
        if expect == ERROR:  # which of X and Y is checked first is not specified: either may be named
            names = tuple(name for validity, name in ((xv, "X"), (yv, "Y")) if validity != OK)
        if method == "loss":
            call, check = "out = net.loss(X, Y)", check_loss(spec, x, y, "loss")
        elif method == "evaluate":
            call, check = "out = net.evaluate(X, Y)", check_loss(spec, x, y, "evaluate")
        elif method == "gradient":
            call, check = "out = net.gradient(X, Y)", check_gradient(spec, x, y)
        elif method == "step":
            optimizer = pick(draw, ["sg.SGD(lr=0.01)", "sg.Adam()", "sg.RMSProp()", "sg.AdaGrad()",
                                              "sg.AdamW()", "sg.SGD(lr=0.1, momentum=0.9, nesterov=True)"])
            call, check = f"out = net.step(X, Y, {optimizer})", check_step(spec, x, y)
        else:
            epochs = integer(draw, 0, 2)
            batch = pick(draw, ["None", "1", "2", "10"])
            call = f"out = net.fit(X, Y, epochs={epochs}, batch_size={batch}, lr=0.01, verbose=0)"
            check = check_fit(epochs, False)
    allowed = (sg.DivergenceError,) if method in ("step", "fit") else ()
    return Case("data", "\n".join(setup), call, expect, names, allowed, check)


# ---- fit options ---------------------------------------------------------------------------------

FIT_OPTIONS = {
    # name: [(code, validity)], validity True / False / None (either)
    "epochs": [("0", True), ("1", True), ("2", True), ("np.int64(2)", True), ("-1", False), ("2.5", False),
               ("True", False), ("None", False), ("'2'", False), ("2**40", None), ("2**62", None), ("2**63", None),
               ("2**64", None), ("-2**63", False)],
    "batch_size": [("None", True), ("1", True), ("3", True), ("10", True), ("1000", True), ("2**31", True),
                   ("2**62", True), ("2**63", None), ("2**64", None), ("np.int64(4)", True), ("0", False),
                   ("-1", False), ("-2**63", False), ("1.5", False), ("True", False), ("'10'", False), ("nan", False)],
    "lr": [("None", True), ("0.0", True), ("0.01", True), ("1.0", True), ("3", True), ("np.float32(0.1)", True),
           ("1e3", True), ("1e308", True), ("2**63", True), ("2**1100", None), ("5e-324", True), ("-1.0", False),
           ("-0.0", True), ("nan", False), ("inf", False), ("-inf", False), ("'fast'", False), ("True", False),
           ("1j", False), ("[0.1]", False), ("np.array(0.1)", None)],
    "optimizer": [("None", True), ("sg.SGD(lr=0.05, momentum=0.9)", True), ("sg.Adam()", True),
                  ("sg.AdamW(lr=0.01)", True), ("sg.RMSProp(momentum=0.5)", True), ("sg.AdaGrad()", True),
                  ("'adam'", False), ("sg.Adam", False), ("3", False), ("sg.Optimizer(0.1, 0.0)", None)],
    "schedule": [("None", True), ("sg.Constant()", True), ("sg.StepDecay(1, 0.5)", True),
                 ("sg.ExponentialDecay(0.9)", True), ("sg.InverseScaling()", True), ("sg.CosineAnnealing(3)", True),
                 ("sg.ReduceOnPlateau('loss', patience=0)", True), ("sg.ReduceOnPlateau('val_loss')", None),
                 ("lambda epoch: 0.01", True), ("lambda epoch: nan", False), ("lambda epoch: -1.0", False),
                 ("lambda epoch: 'x'", False), ("lambda epoch: None", False), ("lambda epoch: 1e308", True),
                 ("lambda epoch: np.float32(0.1)", True), ("lambda epoch: 10**400", False),
                 ("3", False), ("'cosine'", False)],
    "shuffle": [("True", True), ("False", True), ("np.bool_(True)", True), ("'yes'", False), ("1", False),
                ("None", False)],
    "validation_data": [("None", True), ("(X, Y)", True), ("[X, Y]", True), ("(X[:1], Y[:1])", True),
                        ("(X, Y, np.ones(len(X)))", True), ("(X, Y, -np.ones(len(X)))", False),
                        ("(X, Y, np.ones(len(X) + 1))", False), ("(X, Y, Y)", None),
                        ("X", False), ("(X,)", False), ("(X, Y, Y, Y)", False), ("(X[:, :0], Y)", False),
                        ("(X[:0], Y[:0])", False), ("(X * nan, Y)", False), ("(X, Y[:0])", False),
                        ("'val'", False), ("(None, None)", False)],
    "validation_split": [("0.0", True), ("0", True), ("0.25", None), ("0.5", None), ("-0.1", False), ("1.0", False),
                         ("1.5", False), ("nan", False), ("'0.1'", False), ("True", False), ("None", False)],
    "l2": [("0.0", True), ("0.1", True), ("5", True), ("1e308", True), ("-1", False), ("nan", False),
           ("inf", False), ("None", False), ("'0'", False)],
    "l1": [("0.0", True), ("0.1", True), ("5", True), ("1e308", True), ("-1", False), ("nan", False),
           ("inf", False), ("None", False), ("'0'", False)],
    "clip_norm": [("None", True), ("1.0", True), ("1e-300", True), ("1e308", True), ("0", False), ("0.0", False),
                  ("-1", False), ("nan", False), ("inf", False), ("'1'", False)],
    "normalize_gradient": [("False", True), ("True", True), ("np.bool_(False)", True), ("1", False),
                           ("None", False), ("'no'", False)],
    "callbacks": [("None", True), ("[]", True), ("lambda epoch, logs: None", True), ("[lambda epoch, logs: False]", True),
                  ("[sg.EarlyStopping('loss', patience=0)]", True), ("(sg.Callback(),)", True), ("3", False),
                  ("'abc'", False), ("[3]", False), ("[None]", False)],
    "verbose": [("0", True), ("False", True), ("2", True), ("1", True), ("3", False), ("-1", False),
                ("'yes'", False), ("None", False), ("1.5", False)],
    "sample_weight": [("None", True), ("np.ones(len(X))", True), ("np.arange(len(X)) + 1", True),
                      ("[2] * len(X)", True), ("np.zeros(len(X))", False), ("-np.ones(len(X))", False),
                      ("np.ones(len(X) + 1)", False), ("np.ones((len(X), 1))", False),
                      ("np.full(len(X), nan)", False), ("'w'", False)],
    # Valid for class labels only (several outputs here; one output gets real targets, not 0/1): "either".
    "class_weight": [("None", True), ("'balanced'", None), ("{0: 2.0}", None), ("{0: 0.5, 1: 3}", None),
                     ("{0: 0}", None), ("'auto'", False), ("{-1: 1.0}", False), ("{0: -1.0}", False),
                     ("{0: nan}", False), ("{'a': 1.0}", False), ("[1, 2]", False)],
}


@st.composite
def fit_option_cases(draw) -> Case:
    spec = net_specs(draw)
    if integer(draw, 0, 2) == 0:  # trained with dropout: one rate for all hidden layers, or one each
        hidden_layers = len(spec.sizes) - 2
        spec.dropout = pick(draw, ["0.5", "0.9", repr([round(0.3 * (l % 3), 1) for l in range(hidden_layers)])])
    rng = np.random.default_rng(integer(draw, 0, 2**32 - 1))
    rows = integer(draw, 1, 6)
    X = rng.normal(size=(rows, spec.inputs)).astype(spec.dtype)
    if spec.outputs > 1:
        Y = rng.integers(0, spec.outputs, size=rows)
    else:
        Y = rng.random((rows, 1)).astype(spec.dtype)
    chosen = subset(draw, sorted(FIT_OPTIONS), 0, 4)
    kwargs = {"epochs": ("1", True), "verbose": ("0", True)}
    for name in chosen:
        kwargs[name] = pick(draw, FIT_OPTIONS[name])
    schedule_code, schedule_valid = kwargs.get("schedule", ("None", True))
    if schedule_code.startswith("lambda") and schedule_valid is False and kwargs["epochs"][0] == "0":
        kwargs["schedule"] = (schedule_code, None)  # a callable's rates are only known once called: no epochs, no call
    invalid = [name for name, (_, valid) in kwargs.items() if valid is False]
    either = any(valid is None for _, valid in kwargs.values())
    uncertain = [name for name, (_, valid) in kwargs.items() if valid is not True]
    if kwargs.get("lr", ("None",))[0] != "None" and kwargs.get("optimizer", ("None",))[0] != "None":
        invalid += ["lr", "optimizer"]
        uncertain += ["lr", "optimizer"]
    if kwargs.get("validation_data", ("None",))[0] != "None" and \
            kwargs.get("validation_split", ("0",))[0] not in ("0", "0.0"):
        either = True  # both given: refused (ValueError), unless the split itself is junk (TypeError first)
        uncertain.append("validation_split")
    if kwargs.get("validation_split", ("0", True))[1] is None:
        either = True
        uncertain.append("validation_split")
    expect = ERROR if invalid else (EITHER if either else OK)
    stops = any(name in ("callbacks", "schedule") for name in kwargs)
    epochs_code = kwargs["epochs"][0]
    try:
        epochs = int(eval(epochs_code, {"np": np}))  # noqa: S307
    except Exception:  # noqa: BLE001
        epochs = None
    arguments = ", ".join(f"{name}={code}" for name, (code, _) in kwargs.items())
    setup = f"{spec.code()}\nX = {lit(X)}\nY = {lit(Y)}"
    allowed = (sg.DivergenceError,)
    if "schedule" in kwargs and "ReduceOnPlateau('val_loss')" in kwargs["schedule"][0]:
        either = True
    return Case("fit_options", setup, f"out = net.fit(X, Y, {arguments})", expect, tuple(dict.fromkeys(uncertain)),
                allowed,
                check_fit(epochs if epochs is not None and epochs < 10 else None, stops))


# ---- optimizers ------------------------------------------------------------------------------------

HYPER = {
    "lr": [("0.0", True), ("1e-3", True), ("0.1", True), ("1", True), ("1e308", True), ("2**63", True),
           ("5e-324", True), ("-1", False), ("nan", False), ("inf", False), ("None", False), ("'0.1'", False),
           ("True", False), ("np.float32(0.1)", True), ("1j", False), ("2**1100", None)],
    "weight_decay": [("0.0", True), ("1e-2", True), ("1e308", True), ("-1", False), ("nan", False), ("inf", False),
                     ("None", False)],
    "momentum": [("0.0", True), ("0.9", True), ("1.0", True), ("5", True), ("-0.1", False), ("nan", False),
                 ("None", False)],
    "dampening": [("0.0", True), ("0.5", True), ("1", True), ("1.5", False), ("-1", False), ("nan", False)],
    "nesterov": [("False", True), ("True", None), ("1", False), ("None", False), ("'yes'", False)],
    "eps": [("1e-8", True), ("1e-10", True), ("5e-324", True), ("1e308", True), ("0", False), ("-1", False),
            ("nan", False), ("inf", False)],
    "alpha": [("0.99", True), ("0", True), ("1", True), ("1.5", False), ("-0.1", False), ("nan", False)],
    "betas": [("(0.9, 0.999)", True), ("[0.5, 0.5]", True), ("(0, 0)", True), ("(0.999999, 0.9999999)", True),
              ("(1, 0.9)", False), ("(0.9, 1.0)", False), ("(0.9,)", False), ("0.9", False), ("None", False),
              ("(nan, 0.9)", False), ("('a', 'b')", False), ("(0.9, 0.999, 0.1)", False), ("(-0.1, 0.9)", False),
              ("np.array([0.9, 0.99])", None)],
    "amsgrad": [("False", True), ("True", True), ("'yes'", False), ("1", False)],
}
OPTIMIZER_ARGS = {"SGD": ["lr", "momentum", "dampening", "nesterov", "weight_decay"],
                  "AdaGrad": ["lr", "eps", "weight_decay"],
                  "RMSProp": ["lr", "alpha", "eps", "momentum", "weight_decay"],
                  "Adam": ["lr", "betas", "eps", "weight_decay", "amsgrad"],
                  "AdamW": ["lr", "betas", "eps", "weight_decay", "amsgrad"]}


@st.composite
def optimizer_cases(draw) -> Case:
    name = pick(draw, sorted(OPTIMIZER_ARGS))
    chosen = subset(draw, OPTIMIZER_ARGS[name], 0, 3)
    kwargs = {arg: pick(draw, HYPER[arg]) for arg in chosen}
    if integer(draw, 0, 9) == 0:
        kwargs["bogus"] = ("1", False)
    invalid = [arg for arg, (_, valid) in kwargs.items() if valid is False]
    either = any(valid is None for _, valid in kwargs.values())
    uncertain = [arg for arg, (_, valid) in kwargs.items() if valid is not True]
    if name == "SGD" and "nesterov" in kwargs and kwargs["nesterov"][0] == "True":
        # needs momentum > 0 and dampening == 0
        momentum = kwargs.get("momentum", ("0.0",))[0]
        dampening = kwargs.get("dampening", ("0.0",))[0]
        if momentum in ("0.0",) or dampening not in ("0.0",):
            invalid.append("nesterov")
            uncertain.append("nesterov")
    construct = f"opt = sg.{name}(" + ", ".join(f"{arg}={code}" for arg, (code, _) in kwargs.items()) + ")"
    opt_valid = ERROR if invalid else (EITHER if either else OK)
    moderate_hyper = all(code not in ("1e308", "2**63", "5e-324", "5", "2**1100") for code, _ in kwargs.values())
    use = pick(draw, ["construct", "fit", "fit", "step", "step", "step", "lr"])
    if use == "construct" or opt_valid == ERROR:
        def check(ns: dict) -> Optional[str]:
            opt = ns["out"]
            config = opt.get_config()
            again = type(opt)(**config)
            if again.get_config() != config:
                return f"get_config does not round-trip: {config} -> {again.get_config()}"
            return None
        return Case("optimizer", "", construct + "\nout = opt", opt_valid, tuple(uncertain), check=check,
                    unchanged=False)
    spec = net_specs(draw, max_layers=3, max_size=4)
    rng = np.random.default_rng(integer(draw, 0, 2**32 - 1))
    if use == "fit":
        rows = integer(draw, 1, 5)
        X = rng.normal(size=(rows, spec.inputs)).astype(spec.dtype)
        Y = rng.integers(0, spec.outputs, size=rows) if spec.outputs > 1 else rng.random((rows, 1))
        setup = f"{construct}\n{spec.code()}\nX = {lit(X)}\nY = {lit(Y)}"
        epochs = integer(draw, 1, 2)
        call = f"out = net.fit(X, Y, epochs={epochs}, batch_size=2, optimizer=opt, verbose=0)"
        fit_check = check_fit(epochs, False)

        def check(ns: dict) -> Optional[str]:
            problem = fit_check(ns)
            if problem is None and ns["opt"].steps != epochs * math.ceil(rows / 2):
                return f"optimizer.steps {ns['opt'].steps}, expected {epochs * math.ceil(rows / 2)}"
            return problem
        return Case("optimizer", setup, call, opt_valid, tuple(uncertain), (sg.DivergenceError,), check)
    if use == "lr":
        code, valid = pick(draw, HYPER["lr"])
        setup = construct
        expect = EITHER if opt_valid == EITHER else (OK if valid else (ERROR if valid is False else EITHER))

        def check(ns: dict) -> Optional[str]:
            return None if ns["opt"].lr == float(eval(code, ns)) else "lr setter did not store the value"  # noqa: S307
        return Case("optimizer", setup, f"opt.lr = {code}\nout = opt.lr", expect, ("lr",) + tuple(uncertain), check=check,
                    unchanged=False)
    # step on plain arrays
    count = integer(draw, 0, 3)
    dtype = pick(draw, ["float64", "float32"])
    parameters, gradients, param_codes, grad_codes = [], [], [], []
    names: list = []
    bad = False
    either_arrays = False
    for i in range(count):
        shape = pick(draw, [(3,), (2, 2), (1,), (0,), (2, 3)])
        p = rng.normal(size=shape).astype(dtype)
        p_layout = pick(draw, ["C"] * 6 + ["readonly", "F", "strided0", "other_dtype", "list"])
        if p_layout == "list":
            param_codes.append(repr(p.tolist()))
            bad = True
            names.append(f"parameters[{i}]")
        elif p_layout == "other_dtype":
            other = "float32" if dtype == "float64" else "float64"
            param_codes.append(lit(p.astype(other)))
            if i > 0:
                bad = True
                names.append(f"parameters[{i}]")
            else:
                dtype_first = other  # parameters[0] sets the dtype
                p = p.astype(other)
                dtype = dtype_first
        else:
            code = wrap(lit(p), p_layout, p.ndim)
            param_codes.append(code)
            if p_layout in ("readonly",) or (p_layout in ("F", "strided0") and p.ndim == 2 and p.size > 1
                                             and not (p_layout == "F" and 1 in p.shape)):
                bad = True
                names.append(f"parameters[{i}]")
            if p_layout == "strided0" and p.ndim == 1 and p.size > 1:
                bad = True
                names.append(f"parameters[{i}]")
        parameters.append(p)
        gx = array_values(draw, pick(draw, [shape] * 6 + [(4,), ()]), allow_junk=True)
        grad_codes.append(gx.code)
        gradients.append(gx)
        if gx.container == "junk":
            either_arrays = True
            names.append(f"gradients[{i}]")
        elif not gx.real or gx.array.shape != shape:
            bad = True
            names.append(f"gradients[{i}]")
    extra = pick(draw, ["", "", "", "", "extra_grad", "bare_arrays"])
    if extra == "extra_grad":
        grad_codes.append("np.zeros(1)")
        bad = True
        names.append("gradients")
    params_code = "[" + ", ".join(param_codes) + "]"
    grads_code = "[" + ", ".join(grad_codes) + "]"
    if extra == "bare_arrays":
        params_code, grads_code = "np.zeros(3)", "np.zeros(3)"
        bad = True
        names.append("parameters")
    setup = f"{construct}\nparams = {params_code}\ngrads = {grads_code}\nbefore = [np.array(p, copy=True) for p in params] if isinstance(params, list) else None"
    expect = ERROR if bad else (EITHER if either_arrays else opt_valid)
    repeat = integer(draw, 1, 3)
    call = "\n".join(["opt.step(params, grads)"] * repeat) + "\nout = params"

    def check(ns: dict) -> Optional[str]:
        params_after = ns["params"]
        for p, before in zip(params_after, ns["before"]):
            if p.shape != before.shape:
                return "step changed a shape"
        grads_ok = all(g.array is not None and g.real and moderate(g.array) for g in gradients)
        if moderate_hyper and grads_ok and not all(np.isfinite(p).all() for p in params_after):
            return "optimizer step made finite parameters non-finite with moderate hyper-parameters"
        if name == "SGD" and repeat == 1 and grads_ok and moderate_hyper and \
                float(ns["opt"].momentum) == 0 and params_after:
            for p, before, g in zip(params_after, ns["before"], gradients):
                rule = optim_reference.SGD(lr=ns["opt"].lr, weight_decay=ns["opt"].weight_decay)
                expected = rule.step(before.astype(np.float64), np.asarray(g.array, dtype=p.dtype).astype(np.float64))
                if not close(p, expected, p.dtype):
                    return f"SGD step differs from θ − η(g + λθ) by {np.max(np.abs(p - expected)):.3g}"
        return None
    return Case("optimizer", setup, call, expect, tuple(names) + tuple(uncertain), check=check, unchanged=False)


# ---- save / load -------------------------------------------------------------------------------------

FIELD_JUNK = {
    "format": ["np.array('sgdswift.Other')", "np.array(3)", "np.array(['sgdswift.Network'])", "np.array(b'x')"],
    "version": ["np.array(2)", "np.array(-1)", "np.array(2**63, dtype=np.uint64)", "np.array('1')",
                "np.array([1])", "np.array(1.0)"],
    "sizes": ["np.array([2**31 - 1, 2])", "np.array([-1, 2])", "np.array([], dtype=np.int64)",
              "np.array([[3, 2]])", "np.array([3.0, 2.0])", "np.array([2**64 - 1, 2], dtype=np.uint64)",
              "np.array([3])", "np.array([0, 2])", "np.array([2**40, 2**40])", "np.array(['3', '2'])",
              "np.array([-2**63, 2])", "np.array([3, 2], dtype=np.int8)", "np.array(True)"],
    "hidden": ["np.array('softmax')", "np.array('bogus')", "np.array(3)", "np.array(['relu'])", "np.array('')",
               "np.array(['gelu', 'silu'])", "np.array([['relu']])", "np.array(['softplus'] * 9)",
               "np.array(['elu', 'exp'])"],
    "output": ["np.array('bogus')", "np.array(1.5)"],
    "loss": ["np.array('cross_entropy')", "np.array('hinge')", "np.array(b'mse')"],
    "init": ["np.array('zeros')", "np.array(0)"],
    "dtype": ["np.array('int32')", "np.array('float16')", "np.array('float64')", "np.array('float32')",
              "np.array('nonsense')", "np.array(3)"],
    "seed": ["np.array(-1)", "np.array(2**64 - 1, dtype=np.uint64)", "np.array(1.5)", "np.array([1, 2])",
             "np.array('x')"],
    "fits": ["np.array(-5)", "np.array(2**63 - 1)", "np.array(2**64 - 1, dtype=np.uint64)", "np.array(0.5)",
             "np.array(-2**63)"],
    "parameters": ["np.zeros(3)", "np.zeros(0)", "P.astype(np.float16)", "P[:-1]", "np.full_like(P, nan)",
                   "P.reshape(1, -1)", "np.full_like(P, 1e38)", "P.astype(complex)", "np.array('x')",
                   "np.concatenate([P, P])"],
    "optimizer": ["np.array('not json')", "np.array('null')", "np.array('\"SGD\"')", "np.array('[]')",
                  "np.array('3')", "np.array('{}')", "np.array('{\"class\": \"Bogus\"}')",
                  "np.array('{\"class\": \"SGD\", \"lr\": -1}')", "np.array('{\"class\": \"SGD\", \"bogus\": 1}')",
                  "np.array('{\"class\": \"Adam\", \"betas\": 5}')", "np.array('{\"class\": \"Adam\", \"lr\": null}')",
                  "np.array('{\"class\": \"SGD\", \"lr\": NaN}')", "np.array(3)", "np.array('{\"class\": 3}')",
                  "np.array('{\"class\": [\"SGD\"]}')", "np.array('{\"class\": \"Adam\", \"betas\": [0.9]}')"],
    "optimizer_count": ["np.array(-1)", "np.array(0)", "np.array(2**62)", "np.array(2**63 - 1)", "np.array(7)",
                        "np.array('x')", "np.array(2**64 - 1, dtype=np.uint64)"],
    "optimizer_steps": ["np.array(-1)", "np.array(0)", "np.array(2**62)", "np.array(2**63 - 1)", "np.array(1.5)",
                        "np.array(2**64 - 1, dtype=np.uint64)", "np.array(-2**63)"],
    "optimizer_state": ["np.zeros(0)", "np.zeros(5)", "np.zeros((2, 2))", "S.astype(np.float16)",
                        "np.full_like(S, nan)", "np.full_like(S, -1.0)", "S[:-1]", "np.concatenate([S, S])",
                        "np.array('x')", "np.zeros(10**6)"],
}


@st.composite
def file_cases(draw) -> Case:
    spec = net_specs(draw, max_layers=3, max_size=5)
    optimizer = pick(draw, ["None", "sg.SGD(lr=0.01)", "sg.SGD(lr=0.01, momentum=0.9)", "sg.Adam()",
                                      "sg.AdamW(amsgrad=True)", "sg.RMSProp(momentum=0.1)", "sg.AdaGrad()"])
    rng = np.random.default_rng(integer(draw, 0, 2**32 - 1))
    rows = 3
    X = rng.normal(size=(rows, spec.inputs)).astype(spec.dtype)
    Y = rng.integers(0, spec.outputs, size=rows) if spec.outputs > 1 else rng.random((rows, 1)).astype(spec.dtype)
    setup = [spec.code(), f"X = {lit(X)}", f"Y = {lit(Y)}", "import os, tempfile",
             "folder = tempfile.mkdtemp(prefix='sgdswift-fuzz-')", "path = os.path.join(folder, 'model.npz')"]
    if optimizer != "None":
        setup.append(f"net.step(X, Y, {optimizer})")
    setup.append("net.save(path)")
    mode = pick(draw, ["roundtrip", "roundtrip", "field", "field", "field", "field", "bytes", "bytes",
                                 "path", "drop"])
    if mode == "roundtrip":
        def check(ns: dict) -> Optional[str]:
            net, loaded = ns["net"], ns["out"]
            parameters, config, steps = ns["saved"]
            if (loaded.sizes, loaded.hidden, loaded.output, loaded.loss_name, loaded.init, loaded.dtype, loaded.seed) \
                    != (net.sizes, net.hidden, net.output, net.loss_name, net.init, net.dtype, net.seed):
                return "load: the architecture differs from the saved one"
            if parameters.tobytes() != net.parameters.tobytes():
                return "load: parameters differ from the saved ones"
            if (net.optimizer is None) != (config is None) or (net.optimizer is not None and (
                    net.optimizer.steps != steps or {"class": type(net.optimizer).__name__,
                                                     **net.optimizer.get_config()} != config)):
                return "load: the optimizer differs from the saved one"
            return None
        call = ("out = sg.load(path)\nassert out.predict(X).tobytes() == net.predict(X).tobytes()\n"
                "saved = (out.parameters.copy(), out.optimizer and {'class': type(out.optimizer).__name__, "
                "**out.optimizer.get_config()}, out.optimizer and out.optimizer.steps)\nuse(out, X, Y, folder)")
        return Case("files", "\n".join(setup), call, OK, (), check=check, unchanged=False)

    def check_loaded(ns: dict) -> Optional[str]:
        loaded = ns["out"]
        if not isinstance(loaded, sg.Network):
            return f"load returned {type(loaded).__name__}"
        out = loaded.predict(np.zeros((2, loaded.sizes[0])))
        if out.shape != (2, loaded.sizes[-1]):
            return "a loaded network predicts the wrong shape"
        # Moderate parameters must give finite outputs; huge ones (e.g. 1e38 everywhere) may overflow the
        # dtype in z = aW + b, as any floating-point forward pass does.
        moderate = np.isfinite(loaded.parameters).all() and np.abs(loaded.parameters).max(initial=0) <= 1e4
        if moderate and not np.isfinite(out).all() and loaded.output != "identity":
            return "a loaded network with moderate parameters predicts non-finite values"
        return None

    if mode == "bytes":
        how = pick(draw, ["truncate", "flip", "random", "empty", "zeros", "append"])
        position = integer(draw, 0, 10**6)
        byte = integer(draw, 0, 255)
        setup.append("data = bytearray(open(path, 'rb').read())")
        if how == "truncate":
            setup.append(f"data = data[:{position} % len(data)]")
        elif how == "flip":
            setup.append(f"data[{position} % len(data)] ^= {byte or 1}")
        elif how == "random":
            setup.append(f"data = bytearray(np.random.default_rng({position}).integers(0, 256, {position % 5000}, dtype=np.uint8).tobytes())")
        elif how == "empty":
            setup.append("data = b''")
        elif how == "zeros":
            setup.append(f"data[{position} % len(data):] = bytes(len(data) - {position} % len(data))")
        else:
            setup.append(f"data += bytes([{byte}]) * {position % 100}")
        setup.append("open(path, 'wb').write(data)")
        # A flip inside the zip's padding or a trailing append may leave a valid file: either answer is right.
        return Case("files", "\n".join(setup), "out = sg.load(path)\nuse(out, X, Y, folder)",
                    EITHER if how in ("flip", "append") else ERROR,
                    (), check=check_loaded, unchanged=False)
    if mode == "path":
        code, expect, allowed = pick(draw, [
            ("out = sg.load(os.path.join(folder, 'missing.npz'))", ERROR, (FileNotFoundError,)),
            ("out = sg.load(folder)", ERROR, (OSError,)),
            ("out = sg.load(None)", ERROR, ()),
            ("out = sg.load(3)", EITHER, (OSError,)),
            ("out = sg.load(path.encode())", OK, ()),
            ("out = sg.load('')", ERROR, (OSError,)),
            ("out = sg.load(path + '\\x00')", ERROR, ()),
            ("import pathlib\nout = sg.load(pathlib.Path(path))", OK, ()),
            ("net.save(os.path.join(folder, 'no', 'such', 'dir.npz'))\nout = sg.load(path)", ERROR,
             (FileNotFoundError,)),
            ("net.save(folder)\nout = sg.load(path)", ERROR, (OSError,)),
            ("net.save(None)\nout = sg.load(path)", ERROR, ()),
            ("net.save(3.5)\nout = sg.load(path)", ERROR, ()),
            ("net.save(path)\nout = sg.load(path)", OK, ()),
        ])
        return Case("files", "\n".join(setup), code, expect, (), allowed, check_loaded, unchanged=False)
    # rewrite the archive with one or two fields replaced or dropped
    setup.append("fields = dict(np.load(path, allow_pickle=False))")
    setup.append("P = fields['parameters']")
    setup.append("S = fields.get('optimizer_state', np.zeros(0))")
    replaced = []
    if mode == "drop":
        key = pick(draw, sorted(FIELD_JUNK))
        setup.append(f"fields.pop({key!r}, None)")
        replaced.append(key)
    else:
        # the optimizer's record is listed three times: it is the part a later fit resumes from
        keys = sorted(FIELD_JUNK) + [k for k in sorted(FIELD_JUNK) if k.startswith("optimizer")] * 2
        for key in dict.fromkeys(pick(draw, keys) for _ in range(integer(draw, 1, 2))):
            value = pick(draw, FIELD_JUNK[key])
            setup.append(f"fields[{key!r}] = {value}")
            replaced.append(key)
    setup.append("np.savez(path, **fields)")
    return Case("files", "\n".join(setup), "out = sg.load(path)\nuse(out, X, Y, folder)", EITHER, (),
                check=check_loaded, unchanged=False)


# ---- threads ---------------------------------------------------------------------------------------

THREAD_VALUES = [("1", True), ("2", True), ("3", True), ("4", True), ("8", True), ("np.int64(2)", True),
                 ("np.uint8(3)", True), ("256", True), ("257", False), ("0", False), ("-1", False), ("2**31", False),
                 ("2**63", False), ("2**64", False), ("-2**63", False), ("1.0", False), ("True", False),
                 ("None", False), ("'2'", False), ("nan", False), ("2**1000", False)]


@st.composite
def thread_cases(draw) -> Case:
    code, valid = pick(draw, THREAD_VALUES)
    spec = net_specs(draw)
    rng = np.random.default_rng(integer(draw, 0, 2**32 - 1))
    X = rng.normal(size=(integer(draw, 1, 40), spec.inputs)).astype(spec.dtype)
    setup = f"{spec.code()}\nX = {lit(X)}"
    expected = int(eval(code, {"np": np})) if valid else None  # noqa: S307

    def check(ns: dict) -> Optional[str]:
        if sg.get_num_threads() != expected:
            return f"get_num_threads() {sg.get_num_threads()} after set_num_threads({code})"
        out = ns["out"]
        a = reference_output(ns["net"], X)
        if not close(out, a, spec.np_dtype):
            return "predict differs from the NumPy forward pass after set_num_threads"
        return None
    return Case("threads", setup, f"sg.set_num_threads({code})\nout = net.predict(X)", OK if valid else ERROR,
                ("n",), check=check)


# (code run inside a callback, whether it leaves the training result as it was, errors it may raise)
REENTRANT_ACTIONS = [
    ("net.predict(X)", True, ()), ("net.loss(X, Y)", True, ()), ("net.gradient(X, Y)", True, ()),
    ("net.evaluate(X, Y)", True, ()), ("net.predict(X[:0])", True, ()), ("sg.set_num_threads(1)", True, ()),
    ("sg.set_num_threads(3)", True, ()), ("net.parameters.copy()", True, ()), ("repr(net.optimizer)", True, ()),
    ("net.step(X, Y)", False, (RuntimeError,)), ("net.fit(X, Y, epochs=1, verbose=0)", False, (RuntimeError,)),
    ("net.optimizer.step([np.zeros(2)], [np.ones(2)])", False, (RuntimeError, ValueError)),
    ("net.parameters[...] = 0", False, ()), ("net.parameters[...] = nan", False, ()),
    ("net.weights[0][...] = 1e30", False, ()), ("net.optimizer.reset()", False, ()),
    ("net.optimizer.lr = 5.0", False, ()), ("net.save(os.path.join(folder, 'm.npz'))", True, ()),
    ("sg.load(os.path.join(folder, 'm.npz')) if os.path.exists(os.path.join(folder, 'm.npz')) else None", True, ()),
    ("raise ValueError('stop from a callback')", False, (ValueError,)),
    ("net.history", True, ()), ("net.optimizer.steps", True, ()),
]


@st.composite
def callback_cases(draw) -> Case:
    """Callbacks that call back into the network or its optimizer while the core is paused in fit."""
    spec = net_specs(draw, max_layers=3, max_size=5)
    rng = np.random.default_rng(integer(draw, 0, 2**32 - 1))
    rows = integer(draw, 1, 6)
    X = rng.normal(size=(rows, spec.inputs)).astype(spec.dtype)
    Y = rng.integers(0, spec.outputs, size=rows) if spec.outputs > 1 else rng.random((rows, 1)).astype(spec.dtype)
    action, harmless, allowed = pick(draw, REENTRANT_ACTIONS)
    hook = pick(draw, ["on_epoch_end", "on_batch_end", "on_train_begin", "on_train_end"])
    optimizer = pick(draw, ["sg.SGD(lr=0.05)", "sg.SGD(lr=0.05, momentum=0.9)", "sg.Adam(lr=0.01)",
                            "sg.RMSProp(lr=0.01)", "sg.AdaGrad(lr=0.05)"])
    epochs = integer(draw, 1, 3)
    batch = pick(draw, ["1", "2", "None"])
    signature = "(self, network)" if hook in ("on_train_begin", "on_train_end") else "(self, index, logs)"
    setup = (f"{spec.code()}\n{spec.code('twin')}\nX = {lit(X)}\nY = {lit(Y)}\nimport tempfile\n"
             f"folder = tempfile.mkdtemp(prefix='sgdswift-fuzz-')\n\n\nclass Hook(sg.Callback):\n"
             f"    def {hook}{signature}:\n        {action}\n")
    arguments = f"epochs={epochs}, batch_size={batch}, verbose=0"
    call = f"out = net.fit(X, Y, {arguments}, optimizer={optimizer}, callbacks=[Hook()])"

    def check(ns: dict) -> Optional[str]:
        net = ns["net"]
        if net.predict(X).shape != (rows, spec.outputs):
            return "the network does not predict after a fit with a re-entrant callback"
        if harmless:
            twin = ns["twin"]
            try:
                twin.fit(X, Y, epochs=epochs, batch_size=None if batch == "None" else int(batch), verbose=0,
                         optimizer=eval(optimizer, ns))  # noqa: S307
            except sg.DivergenceError:
                return None
            if twin.parameters.tobytes() != net.parameters.tobytes():
                return f"calling {action!r} from {hook} changed the training result"
        elif "nan" not in action and "1e30" not in action and not np.isfinite(net.parameters).all():
            return "non-finite parameters after fit"
        return None

    return Case("callbacks", setup, call, OK if not allowed else EITHER, (), (sg.DivergenceError,) + allowed, check,
                unchanged=False, finite="nan" not in action and "1e30" not in action)


SHARING = [
    # (code, expectation, names)
    ("net.fit(X, Y, epochs=1, optimizer=opt, verbose=0)\nout = twin.fit(X, Y, epochs=1, optimizer=opt, verbose=0)",
     ERROR, ("optimizer",)),
    ("net.fit(X, Y, epochs=1, optimizer=opt, verbose=0)\nout = opt.step([np.zeros(3)], [np.ones(3)])",
     ERROR, ("optimizer",)),
    ("opt.step([np.zeros(3)], [np.ones(3)])\nout = opt.step([np.zeros(4)], [np.ones(4)])", ERROR, ("optimizer",)),
    ("opt.step([np.zeros(3)], [np.ones(3)])\nout = opt.step([np.zeros(3, dtype=np.float32)], [np.ones(3)])",
     ERROR, ("optimizer",)),
    ("net.fit(X, Y, epochs=1, optimizer=opt, verbose=0)\nopt.reset()\nout = twin.fit(X, Y, epochs=1, optimizer=opt, "
     "verbose=0)", OK, ()),
    ("net.fit(X, Y, epochs=1, optimizer=opt, verbose=0)\nout = net.step(X, Y, opt)", OK, ()),
    ("opt.step([], [])\nout = opt.step([], [])", EITHER, ("parameters",)),
    ("opt.step([np.zeros(0)], [np.zeros(0)])\nout = opt.step([np.zeros(0)], [np.zeros(0)])", EITHER, ("parameters",)),
    ("net.step(X, Y, opt)\nopt.reset()\nout = opt.step([np.zeros(2)], [np.ones(2)])", OK, ()),
    ("net.step(X, Y, opt)\nout = opt.get_config()\nopt.lr = 0.5\nout = net.step(X, Y)", OK, ()),
]


@st.composite
def sharing_cases(draw) -> Case:
    spec = net_specs(draw, max_layers=3, max_size=4)
    twin = NetSpec(list(spec.sizes), spec.hidden, spec.output, spec.loss, spec.init,
                   pick(draw, ["float32", "float64"]), spec.seed)
    rng = np.random.default_rng(integer(draw, 0, 2**32 - 1))
    rows = integer(draw, 1, 4)
    X = rng.normal(size=(rows, spec.inputs))
    Y = rng.integers(0, spec.outputs, size=rows) if spec.outputs > 1 else rng.random((rows, 1))
    optimizer = pick(draw, ["sg.SGD(lr=0.05)", "sg.SGD(lr=0.05, momentum=0.9, nesterov=True)", "sg.Adam()",
                            "sg.AdamW(amsgrad=True)", "sg.RMSProp(momentum=0.3)", "sg.AdaGrad()"])
    code, expect, names = pick(draw, SHARING)
    setup = f"{spec.code()}\n{twin.code('twin')}\nX = {lit(X)}\nY = {lit(Y)}\nopt = {optimizer}"
    return Case("sharing", setup, code, expect, names, (sg.DivergenceError,), unchanged=False)


# ---- scikit-learn estimators -------------------------------------------------------------------------

try:
    import sklearn  # noqa: F401  (optional for sgdswift: without it the target checks the ImportError)
    HAVE_SKLEARN = True
except ImportError:
    HAVE_SKLEARN = False

# name: [(code, validity)], validity True / False / None (either), following estimators.py's documented
# ranges (the same as scikit-learn's). Valid sizes and max_iter stay small so that a case trains in a few ms.
EST_PARAMS = {
    "hidden_layer_sizes": [("(3,)", True), ("4", True), ("()", True), ("[4, 2]", True), ("(np.int64(3),)", True),
                           ("np.array([2, 3])", True), ("(1, 1, 1)", True), ("0", False), ("-1", False),
                           ("(3, 0)", False), ("(2.5,)", False), ("'10'", False), ("None", False), ("(True,)", False),
                           ("True", False), ("[nan]", False), ("3.0", False), ("(-2**63,)", False), ("2**31", False),
                           ("2**63", False), ("(2**40,)", False), ("{3: 1}", None)],
    "max_iter": [("1", True), ("2", True), ("3", True), ("5", True), ("np.int64(2)", True), ("0", False),
                 ("-1", False), ("2.5", False), ("True", False), ("None", False), ("'5'", False), ("nan", False)],
    "activation": [("'relu'", True), ("'tanh'", True), ("'logistic'", True), ("'identity'", True),
                   ("'sigmoid'", False), ("'softmax'", False), ("'RELU'", False), ("None", False), ("3", False)],
    "solver": [("'sgd'", True), ("'adam'", True), ("'lbfgs'", True), ("'newton'", False), ("'SGD'", False), ("None", False)],
    "alpha": [("0.0", True), ("1e-4", True), ("1", True), ("0", True), ("1e308", True), ("-1.0", False),
              ("nan", False), ("inf", False), ("True", False), ("'0.1'", False), ("None", False)],
    "batch_size": [("'auto'", True), ("1", True), ("2", True), ("3", True), ("200", True), ("np.int64(2)", True),
                   ("2**64", True), ("0", False), ("-1", False), ("1.5", False), ("'big'", False), ("True", False),
                   ("None", False), ("nan", False)],
    "learning_rate": [("'constant'", True), ("'invscaling'", True), ("'adaptive'", True), ("'optimal'", False),
                      ("None", False)],
    "learning_rate_init": [("1e-3", True), ("0.01", True), ("0.5", True), ("1", True), ("1e308", True),
                           ("0", False), ("-0.1", False), ("nan", False), ("inf", False), ("'0.1'", False)],
    "power_t": [("0.5", True), ("0", True), ("2", True), ("-1", False), ("nan", False), ("None", False)],
    "shuffle": [("True", True), ("False", True), ("np.bool_(False)", True), ("1", False), ("'yes'", False),
                ("None", False)],
    "random_state": [("None", True), ("0", True), ("42", True), ("2**32 - 1", True), ("np.random.RandomState(0)", True),
                     ("np.int64(3)", True), ("-1", False), ("2**32", False), ("1.5", False), ("'seed'", False),
                     ("np.random.default_rng(0)", False)],
    "tol": [("1e-4", True), ("0", True), ("1e308", True), ("-1", False), ("nan", False), ("inf", False)],
    "momentum": [("0.9", True), ("0", True), ("1", True), ("1.5", False), ("-0.1", False), ("nan", False)],
    "nesterovs_momentum": [("True", True), ("False", True), ("'yes'", False), ("0", False)],
    "early_stopping": [("False", True), ("True", True), ("1", False), ("None", False)],
    "validation_fraction": [("0.1", True), ("0.5", True), ("0.0", True), ("1.0", False), ("-0.1", False),
                            ("nan", False), ("2", False)],
    "beta_1": [("0.9", True), ("0", True), ("1", False), ("-0.5", False), ("nan", False)],
    "beta_2": [("0.999", True), ("0.5", True), ("1.0", False), ("2", False)],
    "epsilon": [("1e-8", True), ("1", True), ("1e308", True), ("0", False), ("-1e-8", False), ("nan", False),
                ("inf", False)],
    "n_iter_no_change": [("10", True), ("1", True), ("2", True), ("inf", True), ("0", False), ("-1", False),
                         ("1.5", False), ("None", False)],
    "max_fun": [("15000", True), ("1", True), ("3", True), ("0", False), ("-1", False), ("2.5", False),
                ("None", False)],
    "verbose": [("False", True), ("0", True), ("1", True), ("True", True), ("2", True), ("-1", False),
                ("1.5", False), ("'yes'", False)],
    "warm_start": [("False", True), ("True", True), ("'no'", False), ("1", False)],
}
EST_OTHER_PARAMS = sorted(set(EST_PARAMS) - {"hidden_layer_sizes", "max_iter"})
# Valid values that may make training diverge (sgdswift.DivergenceError): kept out of the setup of a fitted
# estimator, which must succeed.
EST_RISKY = {("alpha", "1e308"), ("learning_rate_init", "1e308"), ("learning_rate_init", "1"), ("epsilon", "1e308"),
             ("early_stopping", "True")}

# Messages of scikit-learn's (and NumPy's) own input validation that do not spell the argument's name. The
# rule: accept them when they say clearly what is wrong with the data (dimension, sample count, NaN, a value
# that is not a number, a label type), since they are what scikit-learn's own estimators raise for the same
# input; messages of sgdswift's own checks (and of sgdswift's Network under the estimators) must name the
# argument.
SKLEARN_MESSAGES = tuple(re.compile(pattern) for pattern in (
    r"Expected 2D array, got", r"Found array with dim \d", r"Found array with 0 (sample|feature)",
    r"Found input variables with inconsistent numbers of samples", r"Input (X |y )?contains",
    r"could not convert string to float", r"Complex data not supported", r"Unknown label type",
    r"Mix (of label input types|type of y)", r"is not fitted yet", r"inhomogeneous shape",
    r"float\(\) argument must be a string or a (real )?number", r"Input should have at least 1 dimension",
    r"y should be a 1d array", r"Classification metrics can't handle a mix of", r"\by_true\b",
    r"dtype='numeric' is not compatible with arrays of bytes/strings", r"requires y to be passed",
    # type_of_target's np.unique on an object array of str and numbers (scikit-learn's own MLPs say the same)
    r"'<' not supported between instances of '(str|int|float|NoneType)' and '(str|int|float|NoneType)'"))

LABEL_POOLS = {"int": [0, 1, 2, 3], "neg": [-7, 5, 2**40, -1], "str": ["a", "b", "yes", "no"], "bool": [False, True],
               "float": [0.0, 1.0, 2.0, -3.0]}


@dataclass
class EstData:
    code: str
    expect: str  # OK / ERROR / EITHER
    names: tuple = ()
    labels: Optional[list] = None  # the distinct labels of a valid classification y
    multilabel: int = 0  # the number of labels of a valid indicator matrix
    columns: int = 1  # the number of regression targets


def est_params(draw, safe: bool, lbfgs: bool = True) -> dict:
    """Constructor keyword arguments {name: (code, validity)}; `safe`: only valid values that train cleanly;
    not `lbfgs`: never solver='lbfgs' (for a classifier's partial_fit, which lbfgs does not have)."""
    def options(name: str) -> list:
        valid = [(c, v) for c, v in EST_PARAMS[name] if v is True and not (safe and (name, c) in EST_RISKY)]
        drawn = valid if safe else valid * 2 + EST_PARAMS[name]
        return drawn if lbfgs or name != "solver" else [(c, v) for c, v in drawn if c != "'lbfgs'"]
    kwargs = {name: pick(draw, [o for o in EST_PARAMS[name] if o[1] is True][:4] * 3 + ([] if safe else EST_PARAMS[name]))
              for name in ("hidden_layer_sizes", "max_iter")}
    for name in subset(draw, EST_OTHER_PARAMS, 0, 4):
        kwargs[name] = pick(draw, options(name))
    return kwargs


def est_param_expectation(kwargs: dict, incremental: bool) -> tuple:
    """(invalid names, either?) for constructor arguments used by fit/partial_fit."""
    invalid = [name for name, (_, valid) in kwargs.items() if valid is False]
    either = any(valid is None for _, valid in kwargs.values())
    early = kwargs.get("early_stopping", ("False",))[0] == "True"
    if early and kwargs.get("validation_fraction", ("0.1",))[0] == "0.0":
        invalid += ["validation_fraction", "early_stopping"]
    if early and incremental:
        invalid.append("early_stopping")
    return invalid, either


def est_x(draw, rows: int, features: int, need_rows: bool = True, need_features: bool = True) -> tuple:
    """(ArrayValue, validity) for X: `rows` rows when y has them (need_rows), `features` columns when the
    estimator is fitted (need_features); any other non-empty 2-D table of finite numbers otherwise."""
    if pick(draw, (False, True)):
        x = array_values(draw, (rows, features), profiles=["small", "ints", "unit", "tiny"],
                         dtypes=sorted(REAL_DTYPES), allow_junk=False)
    else:
        r = pick(draw, [rows] * 4 + [0, rows + 2])  # (y's wrong row counts are rows - 1, + 1, + 3, + 4)
        c = pick(draw, [features] * 5 + [0, features + 1])
        x = array_values(draw, pick(draw, [(r, c)] * 6 + [(r * c,), (r, c, 1), ()]))
    if x.container == "junk" or x.array is None:
        return x, ERROR
    array = x.array
    if array.dtype.kind in "USO" and not x.real:
        return x, EITHER  # strings or objects: what float() makes of them decides
    if not x.real:
        return x, ERROR  # complex
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        return x, ERROR
    with np.errstate(all="ignore"):
        finite = np.isfinite(array.astype(np.float64)).all()
    if not finite:
        return x, ERROR
    return x, OK if ((array.shape[0] == rows or not need_rows) and
                     (array.shape[1] == features or not need_features)) else ERROR


def est_y_classifier(draw, rows: int) -> EstData:
    rng = np.random.default_rng(integer(draw, 0, 2**32 - 1))
    kind = pick(draw, ["labels"] * 6 + ["multilabel"] * 2 + ["column", "multioutput", "continuous", "nonfinite",
                                                            "mixed", "wrong_rows", "generic", "none"])
    if kind in ("labels", "column", "wrong_rows", "mixed"):
        pool = pick(draw, sorted(LABEL_POOLS))
        classes = LABEL_POOLS[pool][:pick(draw, [1, 2, 2, 3, 4])]
        n = rows if kind != "wrong_rows" else max(rows + pick(draw, [-1, 1, 3]), 0)
        picks = [classes[i] for i in rng.integers(0, len(classes), size=n)]
        if kind == "mixed" and n:  # one label of another kind than the pool's (a str among numbers, ...)
            picks[rng.integers(0, n)] = pick(draw, [other for other in (7, "z", 1.5, None)
                                                    if type(other) is not type(classes[0])])
            array = np.array(picks, dtype=object)  # (as a list, NumPy would make strings of them all)
            return EstData(lit(array), ERROR, ("y",))
        array = np.array(picks, dtype=object if pool == "str" and pick(draw, (False, True)) else None)
        if pool == "str" and array.dtype == object and n == 0:
            array = np.array([], dtype=object)
        if kind == "column":
            array = array.reshape(-1, 1)
        code = pick(draw, [wrap(lit(array), pick(draw, LAYOUTS) if array.dtype.kind in "biuf" else "C", array.ndim),
                           repr(array.tolist())])
        labels = sorted(set(array.reshape(-1).tolist()))
        if kind == "wrong_rows":
            return EstData(code, ERROR, ("y", "X"))
        # one class fits, as in scikit-learn (predict gives it); no rows is refused
        return EstData(code, OK if labels else ERROR, ("y", "classes"), labels=labels)
    if kind in ("multilabel", "multioutput"):
        width = pick(draw, [2, 3])
        top = 2 if kind == "multilabel" else 3
        array = rng.integers(0, top, size=(rows, width)).astype(pick(draw, ["int64", "bool", "float64", "uint8"])
                                                                if kind == "multilabel" else "int64")
        code = pick(draw, [wrap(lit(array), pick(draw, LAYOUTS), 2), repr(array.tolist())])
        if kind == "multioutput" and (array > 1).any():
            # three values or more: multiclass-multioutput, refused; two values other than 0/1: scikit-learn's
            # type_of_target still calls it multilabel-indicator (its values are not checked), so either
            return EstData(code, ERROR if len(np.unique(array)) > 2 else EITHER, ("y",))
        return EstData(code, OK, ("y",), multilabel=width)
    if kind == "continuous":
        array = rng.normal(size=rows).astype(pick(draw, ["float64", "float32"]))
        return EstData(lit(array), ERROR if rows else EITHER, ("y",))
    if kind == "nonfinite":
        array = rng.integers(0, 2, size=rows).astype(np.float64)
        if rows:
            array[rng.integers(0, rows)] = pick(draw, [np.nan, np.inf, -np.inf])
        return EstData(lit(array), ERROR, ("y",))
    if kind == "generic":
        value = array_values(draw, pick(draw, [(rows,), (rows, 2), (rows + 1,), ()]))
        return EstData(value.code, EITHER, ("y", "classes"))
    return EstData("None", ERROR, ("y",))


def est_y_regressor(draw, rows: int) -> EstData:
    rng = np.random.default_rng(integer(draw, 0, 2**32 - 1))
    kind = pick(draw, ["dense"] * 6 + ["huge", "nonfinite", "wrong_rows", "complex", "str", "deep", "generic",
                                       "none"])
    columns = pick(draw, [1, 1, 2, 3])
    shape = pick(draw, [(rows,), (rows, columns)]) if columns == 1 else (rows, columns)
    if kind in ("dense", "huge", "nonfinite"):
        profile = {"dense": pick(draw, ["small", "ints", "unit", "tiny"]), "huge": "huge"}.get(kind)
        profile = profile or pick(draw, ["nan", "inf"])
        value = array_values(draw, shape, profiles=[profile], dtypes=sorted(REAL_DTYPES), allow_junk=False)
        with np.errstate(all="ignore"):
            finite = np.isfinite(np.asarray(value.array, dtype=np.float64)).all()
        return EstData(value.code, OK if finite else ERROR, ("y",), columns=columns)
    if kind == "wrong_rows":
        array = rng.normal(size=(max(rows + pick(draw, [-1, 1, 4]), 0),) + shape[1:])
        return EstData(lit(array), ERROR, ("y", "X"))
    if kind == "complex":
        return EstData(lit(rng.normal(size=shape) + 1j), ERROR, ("y",))
    if kind == "str":
        return EstData(lit(rng.normal(size=shape).astype(str)), EITHER, ("y",), columns=columns)
    if kind == "deep":
        return EstData(lit(rng.normal(size=(rows, columns, 2))), ERROR, ("y",))
    if kind == "generic":
        shape = pick(draw, [(rows,), (rows, 2), (rows + 1,), ()])
        return EstData(array_values(draw, shape).code, EITHER, ("y",), columns=shape[1] if len(shape) == 2 else 1)
    return EstData("None", ERROR, ("y",))


def est_combine(*parts: tuple) -> tuple:
    """(expect, names) from (validity, names) pairs: any ERROR -> ERROR naming any non-OK part's names."""
    if any(validity == ERROR for validity, _ in parts):
        names = tuple(dict.fromkeys(n for validity, group in parts if validity != OK for n in group))
        return ERROR, names
    if any(validity == EITHER for validity, _ in parts):
        return EITHER, tuple(dict.fromkeys(n for validity, group in parts if validity != OK for n in group))
    return OK, ()


def est_verify(est: Any, X: Any, classifier: bool, classes: Optional[list], multilabel: int, columns: int) -> Optional[str]:
    """What must hold of a fitted estimator and valid X: shapes, labels ⊆ classes_, probabilities, finite
    parameters, and a pickle round trip that predicts identically."""
    import pickle
    network = est.network_
    if not np.isfinite(network.parameters).all():
        return "non-finite parameters after a fit that did not raise"
    rows = np.asarray(X).shape[0]
    with np.errstate(all="ignore"):
        tame = moderate(np.asarray(X, dtype=np.float64)) and moderate(network.parameters, 1e3)
    predicted = est.predict(X)
    if classifier:
        got = list(est.classes_.tolist())
        if multilabel:
            if got != list(range(multilabel)):
                return f"classes_ {got} for a {multilabel}-label indicator target"
            if predicted.shape != (rows, multilabel) or not np.isin(predicted, (0, 1)).all():
                return f"multilabel predict: shape {predicted.shape} or values not 0/1"
        else:
            if classes is not None and got != classes:
                return f"classes_ {got}, expected {classes}"
            if predicted.shape != (rows,) or not set(predicted.tolist()) <= set(got):
                return f"predict: shape {predicted.shape} or labels {sorted(set(map(repr, predicted.tolist())))} not in classes_ {got}"
        proba = est.predict_proba(X)
        columns = max(len(got), 2) if not multilabel else len(got)  # one class: (1 − p, p), as scikit-learn
        if proba.shape != (rows, columns):
            return f"predict_proba: shape {proba.shape}, expected {(rows, columns)}"
        seen = proba[~np.isnan(proba)]
        if ((seen < 0) | (seen > 1)).any():
            return "predict_proba: values outside [0, 1]"
        if tame:
            if not np.isfinite(proba).all():
                return "predict_proba: non-finite for moderate X and parameters"
            tolerance = 1e-4 if proba.dtype == np.float32 else 1e-9
            if not multilabel and not np.allclose(proba.sum(axis=1), 1.0, rtol=0, atol=tolerance):
                return f"predict_proba: rows sum to {proba.sum(axis=1)}"
    else:
        expected_shape = (rows,) if columns == 1 else (rows, columns)
        if predicted.shape != expected_shape:
            return f"predict: shape {predicted.shape}, expected {expected_shape}"
        if tame and not np.isfinite(predicted).all():
            return "predict: non-finite output for moderate X and parameters"
    copy = pickle.loads(pickle.dumps(est))
    again = copy.predict(X)
    if again.dtype != predicted.dtype or again.tobytes() != predicted.tobytes():
        return "a pickle round trip predicts differently"
    if classifier and copy.predict_proba(X).tobytes() != est.predict_proba(X).tobytes():
        return "a pickle round trip gives other probabilities"
    return None


def est_snapshot(ns: dict) -> None:
    est = ns.get("est")
    ns["__est_state"] = est_state(est) if est is not None else None


def est_state(est: Any) -> tuple:
    network = getattr(est, "network_", None)
    params = est.get_params(deep=False)  # set_params before the call is not part of what a refusal must keep
    simple = {k: repr(v) for k, v in vars(est).items() if k != "network_" and k not in params}
    return (sorted(vars(est)), id(network), None if network is None else network.parameters.tobytes(), simple)


def est_refused_check(ns: dict) -> Optional[str]:
    est = ns.get("est")
    if est is None or ns.get("__est_state") is None:
        return None
    if est_state(est) != ns["__est_state"]:
        return "a refused fit/partial_fit changed the estimator's attributes"
    return None


@st.composite
def estimator_cases(draw) -> Case:
    """sg.MLPClassifier / sg.MLPRegressor: fuzzed hyper-parameters, fit / partial_fit / predict /
    predict_proba / score on fuzzed X and y, pickle round trips."""
    classifier = pick(draw, (True, False))
    name = "MLPClassifier" if classifier else "MLPRegressor"
    if not HAVE_SKLEARN:
        return Case("estimators", "", f"out = sg.{name}()", ERROR, (), (ImportError,))
    rng = np.random.default_rng(integer(draw, 0, 2**32 - 1))
    rows = pick(draw, [1, 2, 3, 4, 6, 10])
    features = integer(draw, 1, 4)
    action = pick(draw, ["fit"] * 5 + ["partial_fit"] * 3 + ["predict", "predict_proba", "score", "refit",
                                                              "partial_again", "pickle", "unfitted"])
    if action == "predict_proba" and not classifier:
        action = "predict"
    allowed = (sg.DivergenceError,)
    setup = ["import pickle"]

    def arguments(kwargs: dict) -> str:
        return ", ".join(f"{key}={code}" for key, (code, _) in kwargs.items())

    if action in ("fit", "partial_fit"):
        incremental = action == "partial_fit"
        kwargs = est_params(draw, safe=False, lbfgs=not (classifier and incremental))
        invalid, either = est_param_expectation(kwargs, incremental)
        x, xv = est_x(draw, rows, features, need_features=False)
        y = est_y_classifier(draw, rows) if classifier else est_y_regressor(draw, rows)
        setup += [f"est = sg.{name}({arguments(kwargs)})", f"X = {x.code}", f"y = {y.code}"]
        extra = ""
        classes_part = (OK, ())
        expected_classes = y.labels
        if incremental and classifier:
            mode = pick(draw, ["given", "given", "superset", "none", "bad", "single"])
            if mode == "none":
                if not y.multilabel:
                    classes_part = (ERROR, ("classes",))
            else:
                given = list(y.labels or LABEL_POOLS["int"][:2])
                if mode == "superset":
                    pool = [v for v in LABEL_POOLS["str" if any(isinstance(v, str) for v in given) else "int"]
                            if v not in given]
                    given += pool[:1]
                elif mode == "bad":
                    given = given[1:] if len(given) > 1 else [v + "_" if isinstance(v, str) else 99 for v in given]
                    classes_part = (EITHER if y.multilabel else ERROR, ("classes", "y"))
                elif mode == "single":  # fine when y holds that class alone (checked below)
                    given = given[:1]
                    classes_part = (EITHER if y.multilabel else OK, ("classes", "y"))
                extra = f", classes={given!r}"
                if y.labels is not None and not y.multilabel:
                    if mode in ("given", "superset"):
                        expected_classes = sorted(set(given))
                    if not set(y.labels) <= set(given):
                        classes_part = (ERROR, ("classes", "y"))
            if y.expect != OK and classes_part[0] == OK and mode == "none":
                classes_part = (EITHER, ("classes",))
        call = f"out = est.{action}(X, y{extra})"
        if kwargs.get("early_stopping", ("False",))[0] == "True" and not incremental:
            either = True  # the validation split needs enough rows (and for two classes, stratification)
            invalid_either = ["validation_fraction", "early_stopping", "y", "X"]
        else:
            invalid_either = []
        expect, names = est_combine((xv, ("X",)), (y.expect, y.names), classes_part,
                                    (ERROR if invalid else (EITHER if either else OK),
                                     tuple(invalid) + tuple(n for n, (_, v) in kwargs.items() if v is None)
                                     + tuple(invalid_either)))
        if expect == ERROR and not invalid and any(v is None for _, v in kwargs.values()):
            names += tuple(n for n, (_, v) in kwargs.items() if v is None)
        labels, multilabel, columns = expected_classes, y.multilabel, y.columns

        def check(ns: dict) -> Optional[str]:
            if ns["out"] is not ns["est"]:
                return f"{action} did not return the estimator"
            est = ns["est"]
            if not incremental and est.n_iter_ > int(eval(kwargs["max_iter"][0], {"np": np})):  # noqa: S307
                return f"n_iter_ {est.n_iter_} > max_iter"
            return est_verify(est, ns["X"], classifier, labels if expect == OK else None, multilabel, columns)
        return Case("estimators", "\n".join(setup), call, expect, names, allowed, check, unchanged=False,
                    messages=SKLEARN_MESSAGES, prepare=est_snapshot, refused=est_refused_check)

    # a fitted estimator (valid, safe hyper-parameters; clean data), then one call on it
    kwargs = est_params(draw, safe=True, lbfgs=not classifier)  # the calls below may include partial_fit
    X0 = rng.normal(size=(max(rows, 4), features))
    if classifier:
        pool = LABEL_POOLS[pick(draw, sorted(LABEL_POOLS))]
        count = min(pick(draw, [2, 2, 3]), len(pool))
        y0 = np.array([pool[i % count] for i in range(len(X0))])
        classes0 = sorted(set(y0.tolist()))
    else:
        columns0 = pick(draw, [1, 2])
        y0 = rng.normal(size=(len(X0),) if columns0 == 1 else (len(X0), columns0))
    setup += [f"est = sg.{name}({arguments(kwargs)})", f"X0 = {lit(X0)}", f"y0 = {lit(y0)}"]
    if action == "unfitted":
        method = pick(draw, ["predict", "score", "predict_proba"] if classifier else ["predict", "score"])
        call = f"out = est.{method}(X0{', y0' if method == 'score' else ''})"
        return Case("estimators", "\n".join(setup), call, ERROR, ("est",), messages=SKLEARN_MESSAGES, unchanged=False)
    first = pick(draw, ["fit", "partial_fit"])
    setup.append(f"est.{first}(X0, y0{', classes=' + repr(classes0) if first == 'partial_fit' and classifier else ''})")
    setup.append("net = est.network_")
    if action == "pickle":
        call = "copy = pickle.loads(pickle.dumps(est))\nout = copy"
        again = pick(draw, (False, True))

        def check(ns: dict) -> Optional[str]:
            est, copy = ns["est"], ns["copy"]
            if copy.get_params().keys() != est.get_params().keys():
                return "a pickle round trip changed the parameters"
            problem = est_verify(copy, X0, classifier, classes0 if classifier else None, 0,
                                 1 if classifier or y0.ndim == 1 else y0.shape[1])
            if problem or not again:
                return problem
            try:
                est.partial_fit(X0, y0)
                copy.partial_fit(X0, y0)
            except sg.DivergenceError:
                return None
            if est.network_.parameters.tobytes() != copy.network_.parameters.tobytes():
                return "after a pickle round trip, partial_fit continues differently from the original"
            return None
        return Case("estimators", "\n".join(setup), call, OK, (), allowed, check, unchanged=False)
    x, xv = est_x(draw, rows, features, need_rows=action not in ("predict", "predict_proba"))
    setup.append(f"X = {x.code}")
    if action in ("predict", "predict_proba"):
        expect, names = est_combine((xv, ("X",)))
        call = f"out = est.{action}(X)"
        columns = 1 if classifier or y0.ndim == 1 else y0.shape[1]

        def check(ns: dict) -> Optional[str]:
            return est_verify(ns["est"], ns["X"], classifier, None, 0, columns)
        return Case("estimators", "\n".join(setup), call, expect, names, (), check, unchanged=True,
                    messages=SKLEARN_MESSAGES)
    y = est_y_classifier(draw, rows) if classifier else est_y_regressor(draw, rows)
    setup.append(f"y = {y.code}")
    if action == "score":
        # accuracy/R² of any y of the right rows: labels outside classes_ just score lower
        yv = ERROR if "wrong_rows" in y.names or "X" in y.names or y.code == "None" else (
            OK if y.expect == OK and (y.labels is not None and same_kind(y.labels, classes0) if classifier else y.columns == (1 if y0.ndim == 1 else
                                                                                          y0.shape[1])) else EITHER)
        expect, names = est_combine((xv, ("X",)), (yv, ("y",)))

        def check(ns: dict) -> Optional[str]:
            score = ns["out"]
            if not isinstance(score, float):
                return f"score returned {type(score).__name__}"
            if classifier and not 0 <= score <= 1:
                return f"accuracy {score} outside [0, 1]"
            if not classifier and score > 1 + 1e-12:
                return f"R² {score} > 1"
            return None
        return Case("estimators", "\n".join(setup), "out = est.score(X, y)", expect, names, (), check,
                    unchanged=True, messages=SKLEARN_MESSAGES)
    # refit with warm_start, or partial_fit again: same classes / targets / features required
    yv, ynames = y.expect, y.names
    if classifier and y.labels is not None:  # labels of the right rows (one class alone is fine here)
        if not set(y.labels) <= set(classes0) or (action == "refit" and set(y.labels) != set(classes0)):
            yv, ynames = ERROR, ("y", "classes")
        else:
            yv = OK
    elif classifier and yv == OK and y.multilabel:
        yv, ynames = ERROR, ("y",)
    if not classifier and yv == OK and y.columns != (1 if y0.ndim == 1 else y0.shape[1]):
        yv, ynames = ERROR, ("y",)
    if action == "refit":
        hidden = pick(draw, [None, None, None, "(7,)"])
        changes = "warm_start=True" + (f", hidden_layer_sizes={hidden}" if hidden else "")
        same = hidden is None or eval(hidden) == tuple(est_hidden(kwargs))  # noqa: S307
        call = f"est.set_params({changes})\nout = est.fit(X, y)"
        expect, names = est_combine((xv, ("X",)), (yv, ynames),
                                    (OK if same else ERROR, () if same else ("hidden_layer_sizes",)))
        labels = classes0 if classifier else None
    else:
        call = "out = est.partial_fit(X, y)"
        expect, names = est_combine((xv, ("X",)), (yv, ynames))
        labels = classes0 if classifier else None
    columns = 1 if classifier or y0.ndim == 1 else y0.shape[1]

    def check(ns: dict) -> Optional[str]:
        if ns["out"] is not ns["est"]:
            return "did not return the estimator"
        return est_verify(ns["est"], ns["X"], classifier, labels, 0, columns)
    return Case("estimators", "\n".join(setup), call, expect, names, allowed, check, unchanged=True,
                messages=SKLEARN_MESSAGES, prepare=est_snapshot, refused=est_refused_check)


def same_kind(labels: list, classes: list) -> bool:
    """Labels that scikit-learn's metrics compare with predictions of `classes` (strings only with strings)."""
    return any(isinstance(v, str) for v in labels) == any(isinstance(v, str) for v in classes)


def est_hidden(kwargs: dict) -> list:
    value = eval(kwargs["hidden_layer_sizes"][0], {"np": np})  # noqa: S307
    return [int(value)] if isinstance(value, (int, np.integer)) else [int(v) for v in value]


# ---- export (ONNX), summary and repr -----------------------------------------------------------------

# The exported model's outputs against predict's: ≤ 1e-5 (float32) or ≤ 1e-12 (float64), scaled to the
# outputs' magnitude and to that of the sums a·W + b behind them (see check_exported). float64 gelu runs in onnx's reference evaluator, because ONNX Runtime's Erf is
# float32-only; that evaluator's Erf computes in float32 (math.erf rounded), hence 1e-6 there.
EXPORT_TOLERANCE = {np.dtype("float32"): 1e-5, np.dtype("float64"): 1e-12}
REFERENCE_EVALUATOR_TOLERANCE = 1e-6


def parameter_count(sizes: list) -> int:
    """Σ_l (fan_in·fan_out + fan_out): the entries of every W_l and b_l."""
    return sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))


def check_summary(net: sg.Network) -> Optional[str]:
    """repr(net) and net.summary() work and give the parameter count: in all, and per layer in the rows."""
    count = parameter_count(net.sizes)
    text = repr(net)
    if not re.search(rf"\bparameters={count}\b", text):
        return f"repr gives no parameters={count}: {text[:300]}"
    table = net.summary()
    rows = table.splitlines()[2:-2]  # below the header and its rule, above the closing rule and the total
    if len(rows) != len(net.sizes) - 1 or not all(
            row.endswith(f" {fan_in * fan_out + fan_out:,}") for row, fan_in, fan_out in zip(rows, net.sizes, net.sizes[1:])):
        return "summary: the layers' rows do not end with fan_in·fan_out + fan_out each"
    if f"Total parameters: {count:,} " not in table:
        return f"summary gives no 'Total parameters: {count:,}'"
    return None


def onnx_outputs(path: str, X: np.ndarray, reference_evaluator: bool) -> np.ndarray:
    """The exported model's output Y for input X, from ONNX Runtime or from onnx's reference evaluator."""
    if reference_evaluator:
        from onnx.reference import ReferenceEvaluator
        return ReferenceEvaluator(path).run(None, {"X": X})[0]
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1  # a few rows; the machine is shared
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"]).run(None, {"X": X})[0]


def largest_sums(net: sg.Network, X: np.ndarray) -> np.ndarray:
    """Per row of X, the largest Σ_i |a_i w_ij| + |b_j| of any layer (float64): what bounds every partial
    sum of z = a·W + b in any order of summation, with or without fused multiply-adds."""
    _, activations = reference.forward(net.weights, net.biases, X, net.hidden, net.output)
    return np.max([(np.abs(a) @ np.abs(W.astype(np.float64)) + np.abs(b.astype(np.float64))).max(axis=1)
                   for a, W, b in zip(activations, net.weights, net.biases)], axis=0)


def check_exported(net: sg.Network, path: str, X: np.ndarray) -> Optional[str]:
    """The ONNX model at `path` computes net.predict(X), on the rows where predict's output is finite and
    no sum a·W + b can overflow the dtype: beyond that, whether a row overflows depends on the order of the
    additions and on fused multiply-adds (x·w + b finite with one, inf without), which are the BLAS's."""
    reference_evaluator = net.dtype == np.float64 and "gelu" in net.hidden_activations
    Y = onnx_outputs(path, X, reference_evaluator)
    expected = net.predict(X)
    if not isinstance(Y, np.ndarray) or Y.dtype != expected.dtype or Y.shape != expected.shape:
        return f"the ONNX model gives {type(Y).__name__} {getattr(Y, 'dtype', '')} {getattr(Y, 'shape', '')}, " \
               f"predict {expected.dtype} {expected.shape}"
    tolerance = REFERENCE_EVALUATOR_TOLERANCE if reference_evaluator else EXPORT_TOLERANCE[net.dtype]
    expected64, Y64 = expected.astype(np.float64), Y.astype(np.float64)
    with np.errstate(all="ignore"):
        sums = largest_sums(net, X)
        representable = sums * (1 + 1e-6) < np.finfo(net.dtype).max  # False where NaN
        # z's rounding errors are relative to the sums, and e^z (the exp output) makes them relative to y
        scale = np.maximum(1.0, np.abs(expected64)) * np.maximum(1.0, sums)[:, None]
        within = np.abs(Y64 - expected64) <= tolerance * scale  # False where Y is NaN
    wrong = (np.isfinite(expected).all(axis=1) & representable)[:, None] & ~within
    if wrong.any():
        row, column = np.argwhere(wrong)[0]
        runtime = "onnx's reference evaluator" if reference_evaluator else "ONNX Runtime"
        return (f"{runtime} gives {Y64[row, column]!r} where predict gives {expected64[row, column]!r} "
                f"(row {row}, output {column}; {int(wrong.sum())} of {wrong.size} outputs beyond {tolerance:g})")
    return None


def folder_state(folder: str) -> dict:
    """Every file (its bytes) and directory (None) below `folder`, by relative path."""
    state: dict = {}
    for root, directories, files in os.walk(folder):
        for name in directories:
            state[os.path.relpath(os.path.join(root, name), folder)] = None
        for name in files:
            with open(os.path.join(root, name), "rb") as file:
                state[os.path.relpath(os.path.join(root, name), folder)] = file.read()
    return state


def snapshot_folder(ns: dict) -> None:
    ns["__folder_before"] = folder_state(ns["folder"])


def folder_unchanged(ns: dict) -> Optional[str]:
    """After a refused export: no file added (no partial or temporary file), none changed or removed."""
    after = folder_state(ns["folder"])
    if after != ns["__folder_before"]:
        before = ns["__folder_before"]
        changed = sorted(name for name in set(before) | set(after) if before.get(name, 0) != after.get(name, 0))
        return f"the folder changed: {changed}"
    return None


# (parameters, their code): the initial ones, moderate and wide normal ones, a network trained with its
# dropout; "edge": zeros but for a few entries near the dtype's largest value, subnormal or −0 (zeros make
# the sums exact, so that z itself is that near the overflow threshold).
EXPORT_PARAMETERS = ["initial", "normal", "normal", "wide", "trained", "edge"]
EDGE_PARAMETERS = {"float32": ["3e38", "-3e38", "1.5e38", "1e-40", "-0.0", "1.0", "-1.0"],
                   "float64": ["1.7e308", "-1.7e308", "8e307", "1e-310", "-0.0", "1.0", "-1.0"]}
# X (predict refuses NaN and inf): moderate and wide normal values, huge ones, moderate rows among rows near
# the dtype's largest value (whose outputs may overflow), and exact values (0, ±1, −0, subnormals) on which
# the activations' branches meet.
EXPORT_INPUTS = ["normal", "normal", "wide", "huge", "overflowing rows", "exact"]
# Valid ways to name the file: (path code, format argument code or None).
EXPORT_PATHS = [("os.path.join(folder, 'model.onnx')", None), ("os.path.join(folder, 'Model.ONNX')", None),
                ("pathlib.Path(folder) / 'model.onnx'", None), ("os.path.join(folder, 'model.bin')", "'onnx'"),
                ("os.path.join(folder, 'model.onnx')", "'onnx'"), ("os.path.join(folder, 'model.onnx')", "None"),
                ("os.path.join(folder, 'model.onnx')", "np.str_('onnx')")]
# Hostile calls: (call, expect, names the message must give, further exception types that are right, the
# file written when the call works). The folder holds model.onnx (b'previous', in some cases), a directory
# dir.onnx and a read-only directory (root may write there anyway: either answer is right).
EXPORT_HOSTILE = [
    ("net.export(os.path.join(folder, 'model.npz'))", ERROR, ("format",), (), None),
    ("net.export(os.path.join(folder, 'model'))", ERROR, ("format",), (), None),
    ("net.export(os.path.join(folder, 'model.onnx.tmp'))", ERROR, ("format",), (), None),
    ("net.export('')", ERROR, ("format",), (), None),
    ("net.export(os.path.join(folder, 'model.onnx'), format='ONNX')", ERROR, ("format",), (), None),
    ("net.export(os.path.join(folder, 'model.onnx'), format='tflite')", ERROR, ("format",), (), None),
    ("net.export(os.path.join(folder, 'model.onnx'), format='')", ERROR, ("format",), (), None),
    ("net.export(os.path.join(folder, 'model.onnx'), format=3)", ERROR, ("format",), (), None),
    ("net.export(os.path.join(folder, 'model.onnx'), format=b'onnx')", ERROR, ("format",), (), None),
    ("net.export(os.path.join(folder, 'model.onnx'), format=['onnx'])", ERROR, ("format",), (), None),
    ("net.export(os.path.join(folder, 'model.onnx'), format='onnx\\x00')", ERROR, ("format",), (), None),
    ("net.export(None)", ERROR, (), (), None),
    ("net.export(None, format='onnx')", ERROR, (), (), None),
    ("net.export(3.5, format='onnx')", ERROR, (), (), None),
    ("net.export(os.path.join(folder, 'model.onnx'), 'onnx', 3)", ERROR, (), (), None),
    ("net.export(os.path.join(folder, 'model.onnx'), fmt='onnx')", ERROR, (), (), None),
    # bytes are not among the documented path types: refused or written, both are right
    ("net.export(os.path.join(folder, 'model.onnx').encode())", EITHER, (), (), "os.path.join(folder, 'model.onnx')"),
    ("net.export(os.path.join(folder, 'model.onnx').encode(), format='onnx')", EITHER, (), (),
     "os.path.join(folder, 'model.onnx')"),
    ("net.export(os.path.join(folder, 'mo\\x00del.onnx'))", ERROR, (), (), None),
    ("net.export(os.path.join(folder, 'no', 'such', 'model.onnx'))", ERROR, (), (FileNotFoundError,), None),
    ("net.export(os.path.join(folder, 'dir.onnx'))", ERROR, (), (OSError,), None),
    ("net.export(os.path.join(folder, 'dir.onnx') + os.sep, format='onnx')", ERROR, (), (OSError,), None),
    ("net.export(os.path.join(folder, 'new.onnx') + os.sep, format='onnx')", ERROR, (), (OSError,), None),
    ("net.export(os.path.join(folder, 'model.onnx', 'below.onnx'))", ERROR, (), (OSError,), None),
    ("net.export(os.path.join(folder, 'x' * 300 + '.onnx'))", ERROR, (), (OSError,), None),
    ("try:\n    net.export(os.path.join(read_only, 'model.onnx'))\nfinally:\n    os.chmod(read_only, 0o755)",
     EITHER, (), (PermissionError,), "os.path.join(read_only, 'model.onnx')"),
]


def export_inputs(rng: np.random.Generator, profile: str, rows: int, spec: NetSpec) -> np.ndarray:
    shape = (rows, spec.inputs)
    if profile == "exact":
        tiny = np.finfo(spec.np_dtype).smallest_subnormal
        return rng.choice(np.array([0.0, -0.0, 1.0, -1.0, tiny, -tiny]), size=shape).astype(spec.dtype)
    X = rng.normal(scale={"normal": 2.0, "wide": 30.0, "huge": 1e15}.get(profile, 2.0), size=shape)
    if profile == "overflowing rows":
        largest = np.finfo(spec.np_dtype).max
        X[rng.random(rows) < 0.5] *= largest / 8
        X = np.clip(X, -largest, largest)
    return X.astype(spec.dtype)


@st.composite
def export_cases(draw) -> Case:
    """Network.export to ONNX of random valid networks, checked against predict with ONNX Runtime, and
    hostile export calls that must be refused leaving the folder as it was; summary() and repr give the
    parameter count."""
    spec = net_specs(draw, max_layers=5, max_size=6)
    if integer(draw, 0, 1) == 0:  # dropout: one rate for all hidden layers, or one each
        hidden_layers = len(spec.sizes) - 2
        spec.dropout = pick(draw, ["0.5", "0.9", repr([round(0.3 * (l % 3), 1) for l in range(hidden_layers)])])
    rng = np.random.default_rng(integer(draw, 0, 2**32 - 1))
    setup = [spec.code(), "import os, pathlib, tempfile", "folder = tempfile.mkdtemp(prefix='sgdswift-fuzz-')"]
    parameters = pick(draw, EXPORT_PARAMETERS)
    if parameters in ("normal", "wide"):
        scale = 1.0 if parameters == "normal" else 4.0
        setup.append(f"net.parameters[...] = np.random.default_rng({integer(draw, 0, 2**32 - 1)})"
                     f".normal(scale={scale}, size=net.parameters.size)")
    elif parameters == "trained":
        rows = integer(draw, 1, 6)
        X = rng.normal(size=(rows, spec.inputs)).astype(spec.dtype)
        Y = rng.integers(0, spec.outputs, size=rows) if spec.outputs > 1 else rng.random((rows, 1)).astype(spec.dtype)
        setup.append(f"try:\n    net.fit({lit(X)}, {lit(Y)}, epochs=2, batch_size=2, verbose=0)\n"
                     "except sg.DivergenceError:\n    pass")
    elif parameters == "edge":
        count = parameter_count(spec.sizes)
        entries = {integer(draw, 0, count - 1): pick(draw, EDGE_PARAMETERS[spec.dtype])
                   for _ in range(integer(draw, 1, 3))}
        setup += ["net.parameters[...] = 0",
                  f"net.parameters[{list(entries)}] = [{', '.join(entries.values())}]"]
    X = export_inputs(rng, pick(draw, EXPORT_INPUTS), integer(draw, 1, 6), spec)
    setup.append(f"X = {lit(X)}")

    if integer(draw, 0, 3) > 0:
        path_code, format_code = pick(draw, EXPORT_PATHS)
        if integer(draw, 0, 3) == 0:  # a file already there is replaced
            setup.append(f"open({path_code}, 'wb').write(b'previous')")
        setup.append(f"path = {path_code}")
        call = "net.export(path)" if format_code is None else f"net.export(path, format={format_code})"

        def check(ns: dict) -> Optional[str]:
            net, path = ns["net"], os.fspath(ns["path"])
            if os.listdir(ns["folder"]) != [os.path.basename(path)]:
                return f"export left {sorted(os.listdir(ns['folder']))} in the folder, not just the model"
            return check_exported(net, path, ns["X"]) or check_summary(net)
        return Case("export", "\n".join(setup), call, OK, (), check=check)

    setup += ["os.mkdir(os.path.join(folder, 'dir.onnx'))", "read_only = os.path.join(folder, 'read-only')",
              "os.mkdir(read_only)", "os.chmod(read_only, 0o555)"]
    if integer(draw, 0, 1):
        setup.append("open(os.path.join(folder, 'model.onnx'), 'wb').write(b'previous')")
    call, expect, names, allowed, written = pick(draw, EXPORT_HOSTILE)

    def check_written(ns: dict) -> Optional[str]:
        path = eval(written, ns)  # noqa: S307
        before, after = ns["__folder_before"], folder_state(ns["folder"])
        name = os.path.relpath(path, ns["folder"])
        if {k: v for k, v in before.items() if k != name} != {k: v for k, v in after.items() if k != name}:
            return "export changed other files than the model, or left a temporary file"
        return check_exported(ns["net"], path, ns["X"]) or check_summary(ns["net"])
    return Case("export", "\n".join(setup), call, expect, names, allowed, check_written if written else None,
                prepare=snapshot_folder, refused=folder_unchanged)


TARGETS = {
    "constructor": (constructor_cases(), 2),
    "data": (data_cases(), 4),
    "fit_options": (fit_option_cases(), 2),
    "optimizer": (optimizer_cases(), 2),
    "files": (file_cases(), 1),
    "threads": (thread_cases(), 1),
    "callbacks": (callback_cases(), 1),
    "sharing": (sharing_cases(), 1),
    "estimators": (estimator_cases(), 1),
    "export": (export_cases(), 1),
}

# ------------------------------------------------------------------------------------------------
# Running cases
# ------------------------------------------------------------------------------------------------


class Runner:
    def __init__(self, log_path: str, case_timeout: float, default_threads: int):
        self.log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self.case_timeout = case_timeout
        self.default_threads = default_threads
        self.counts: dict = {}
        self.failures: dict = {}
        self.started = 0
        self.base_namespace: dict = {}
        exec(compile(PREAMBLE, "<preamble>", "exec"), self.base_namespace)  # noqa: S102
        self.sink = io.StringIO()

    def log(self, case: Case) -> None:
        data = (f"# sgdswift fuzz case {self.started} (target {case.target}, expect {case.expect})\n"
                + case.source()).encode("utf-8", "backslashreplace")
        os.pwrite(self.log_fd, data, 0)
        os.ftruncate(self.log_fd, len(data))

    def fail(self, case: Case, kind: str, detail: str, error: Optional[BaseException] = None) -> None:
        exception = type(error).__name__ if error is not None else ""
        signature = (case.target, kind, exception, re.sub(r"\d+", "N", detail)[:60] if error is None else "")
        reproducer = case.source().split("# --- case:", 1)[1].split("\n", 1)[1].strip()
        entry = self.failures.get(signature)
        if entry is None or len(reproducer) < len(entry["reproducer"]):
            self.failures[signature] = {"target": case.target, "kind": kind, "exception": exception,
                                        "message": detail[:500], "expected": case.expect,
                                        "names": list(case.names), "reproducer": reproducer,
                                        "count": entry["count"] if entry else 0}
        self.failures[signature]["count"] += 1

    def run(self, case: Case) -> None:
        self.started += 1
        counts = self.counts.setdefault(case.target, {"cases": 0, "worked": 0, "refused": 0, "failures": 0})
        counts["cases"] += 1
        failures_before = sum(f["count"] for f in self.failures.values())
        self.log(case)
        ns = dict(self.base_namespace)
        faulthandler.dump_traceback_later(self.case_timeout, exit=True)
        try:
            self._run(case, ns, counts)
        finally:
            faulthandler.cancel_dump_traceback_later()
            if case.target == "threads":
                sg.set_num_threads(self.default_threads)
            folder = ns.get("folder")
            if isinstance(folder, str) and "sgdswift-fuzz-" in folder:
                import shutil
                shutil.rmtree(folder, ignore_errors=True)
        if sum(f["count"] for f in self.failures.values()) > failures_before:
            counts["failures"] += 1

    def _run(self, case: Case, ns: dict, counts: dict) -> None:
        with warnings.catch_warnings(), np.errstate(all="ignore"), \
                contextlib.redirect_stdout(self.sink), contextlib.redirect_stderr(self.sink):
            warnings.simplefilter("ignore")
            try:
                exec(compile(case.setup, "<setup>", "exec"), ns)  # noqa: S102
            except Exception as error:  # noqa: BLE001
                if isinstance(error, (TypeError, ValueError)) and case.expect != OK and case.target == "optimizer":
                    counts["refused"] += 1  # the optimizer's constructor is part of the setup there
                    self._check_message(case, error)
                    return
                self.fail(case, "setup raised", f"{type(error).__name__}: {error}", error)
                return
            net = ns.get("net")
            before = net.parameters.copy() if isinstance(net, sg.Network) else None
            ns["__before"] = before
            if case.prepare is not None:
                case.prepare(ns)
            try:
                exec(compile(case.call, "<call>", "exec"), ns)  # noqa: S102
                self.sink.seek(0)
                self.sink.truncate()
            except Exception as error:  # noqa: BLE001
                self.sink.seek(0)
                self.sink.truncate()
                counts["refused"] += 1
                self._judge_error(case, error, ns, before)
                return
        counts["worked"] += 1
        if case.expect == ERROR:
            self.fail(case, "accepted invalid input", "the call worked but the input is invalid")
            return
        if case.check is not None:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"), \
                        contextlib.redirect_stdout(self.sink), contextlib.redirect_stderr(self.sink):
                    warnings.simplefilter("ignore")
                    problem = case.check(ns)
            except Exception as error:  # noqa: BLE001
                problem = f"checking the result raised {type(error).__name__}: {error}"
            finally:
                self.sink.seek(0)
                self.sink.truncate()
            if problem:
                self.fail(case, "wrong result", problem)

    def _judge_error(self, case: Case, error: Exception, ns: dict, before: Optional[np.ndarray]) -> None:
        if isinstance(error, sg.DivergenceError) and sg.DivergenceError in case.allowed:
            if not str(error):
                self.fail(case, "empty message", "DivergenceError without a message", error)
            net = ns.get("net")
            if case.finite and isinstance(net, sg.Network) and not np.isfinite(net.parameters).all():
                self.fail(case, "wrong result", "non-finite parameters after DivergenceError")
            return
        if isinstance(error, case.allowed) and not isinstance(error, (TypeError, ValueError)):
            if not str(error):
                self.fail(case, "empty message", f"{type(error).__name__} without a message", error)
            self._check_refused(case, ns, error)
            return
        if not isinstance(error, (TypeError, ValueError)) or isinstance(error, sg.DivergenceError):
            self.fail(case, "wrong exception type", f"{type(error).__name__}: {error}", error)
            return
        if case.expect == OK:
            self.fail(case, "refused valid input", f"{type(error).__name__}: {error}", error)
            return
        self._check_message(case, error)
        net = ns.get("net")
        if case.unchanged and before is not None and isinstance(net, sg.Network) and \
                net.parameters.tobytes() != before.tobytes():
            self.fail(case, "refused call changed the network", f"{type(error).__name__}: {error}", error)
        self._check_refused(case, ns, error)

    def _check_refused(self, case: Case, ns: dict, error: Exception) -> None:
        """The case's own check of what a refused call must leave as it was (an estimator, a folder)."""
        if case.refused is not None:
            problem = case.refused(ns)
            if problem:
                self.fail(case, "refused call left a change", f"{problem} ({type(error).__name__}: {error})")
    def _check_message(self, case: Case, error: Exception) -> None:
        message = str(error)
        if not message.strip():
            self.fail(case, "empty message", f"{type(error).__name__} without a message", error)
        elif case.names and case.expect != OK and not self._names(case, message):
            self.fail(case, "message lacks the argument",
                      f"{type(error).__name__}: {message} (expected one of {list(case.names)})", error)


    @staticmethod
    def _names(case: Case, message: str) -> bool:
        if not case.messages:
            return any(name.split("[")[0] in message for name in case.names)
        if any(pattern.search(message) for pattern in case.messages):
            return True
        return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(name.split('[')[0])}(?![A-Za-z0-9_])", message)
                   for name in case.names)


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=int(os.environ.get("SGDSWIFT_FUZZ_EXAMPLES", "10000")),
                        help="total cases over all targets (default: $SGDSWIFT_FUZZ_EXAMPLES or 10000)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SGDSWIFT_FUZZ_SEED", "0")))
    parser.add_argument("--log", default=os.path.join(tempfile.gettempdir(), "sgdswift_fuzz_last_case.py"),
                        help="file holding the case being run (overwritten case by case)")
    parser.add_argument("--case-timeout", type=float, default=60.0, help="seconds before a case counts as a hang")
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="run only these targets")
    parser.add_argument("--memory-limit-gb", type=float, default=8.0,
                        help="address-space limit of this process (0: none), so that a runaway allocation fails "
                             "here instead of starving the machine")
    arguments = parser.parse_args(argv)

    if arguments.memory_limit_gb > 0:
        import resource
        limit = int(arguments.memory_limit_gb * 2**30)
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    faulthandler.enable()
    warnings.simplefilter("ignore")  # NumPy's casts of inf/huge values while generating cases
    names = arguments.target or list(TARGETS)
    total_weight = sum(TARGETS[name][1] for name in names)
    runner = Runner(arguments.log, arguments.case_timeout, sg.get_num_threads())
    start = time.perf_counter()
    timings = {}
    for offset, name in enumerate(names):
        strategy, weight = TARGETS[name]
        budget = max(1, round(arguments.examples * weight / total_weight))
        target_start = time.perf_counter()

        @seed(arguments.seed * 1000 + offset)
        @settings(max_examples=budget, database=None, deadline=None, derandomize=False,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck), print_blob=False)
        @given(strategy)
        def run_target(case: Case) -> None:
            runner.run(case)

        try:
            run_target()
        except Exception as error:  # noqa: BLE001  a bug of this driver: reported, not fatal
            import traceback
            runner.failures[(name, "driver error", type(error).__name__, "")] = {
                "target": name, "kind": "driver error", "exception": type(error).__name__,
                "message": traceback.format_exc()[-2000:], "expected": "", "names": [], "reproducer": "",
                "count": 1}
        timings[name] = round(time.perf_counter() - target_start, 2)
    elapsed = time.perf_counter() - start
    failures = sorted(runner.failures.values(), key=lambda f: (f["target"], f["kind"]))
    summary = {
        "seed": arguments.seed,
        "examples": arguments.examples,
        "total_cases": sum(c["cases"] for c in runner.counts.values()),
        "elapsed_seconds": round(elapsed, 2),
        "targets": {name: {**runner.counts.get(name, {}), "seconds": timings.get(name)} for name in names},
        "failure_count": len(failures),
        "failures": failures,
    }
    sys.stdout.write(json.dumps(summary, indent=1) + "\n")
    sys.stdout.flush()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
