"""Types of sgdswift._core, the C extension over the Swift training core (sgdswift.h).

Array arguments are objects with the buffer protocol (NumPy arrays), C-contiguous, used in place and
never copied: "of the dtype" means float32 or float64 as the network's or optimizer's `dtype` code
(FLOAT32, FLOAT64). A wrong format or shape raises TypeError naming the argument; values the core
refuses raise ValueError (MemoryError when it runs out of memory); a call on an object that another
call is using raises RuntimeError. Every argument can be passed by keyword.
"""
import sys
from typing import Any, Callable, Final, Iterable, Optional, Sequence, SupportsFloat, SupportsIndex, Union, final

import numpy as np
from typing_extensions import Buffer

# An object with the buffer protocol; NumPy's stubs declare ndarray.__buffer__ only from Python 3.12 on.
_Array = Union[Buffer, np.ndarray[Any, Any]]
# Inputs X: a 2-D array of the dtype, or compressed sparse rows (data, indices, indptr, columns) — SciPy's CSR
# arrays with data 1-D of the dtype, indices 1-D int32, indptr 1-D int64 (rows + 1 values) — used in place. The
# core refuses (ValueError) an indptr that decreases or leaves 0..len(data) and column indices outside 0..columns-1.
_Inputs = Union[_Array, tuple[_Array, _Array, _Array, int]]

RULE_SGD: Final = 0
RULE_ADAGRAD: Final = 1
RULE_RMSPROP: Final = 2
RULE_ADAM: Final = 3
EVENT_TICK: Final = 0  # every few milliseconds: index is the rows of the epoch done
EVENT_BATCH_END: Final = 1  # after a mini-batch (report_batches): index is the batch, loss its mean loss
EVENT_EPOCH_END: Final = 2  # after an epoch, whose record is in the history: index is 0
FLOAT32: Final = 0
FLOAT64: Final = 1
# The columns of fit's history rows (the core's epoch records), in order, as the Python history keys.
RECORD_FIELDS: Final[tuple[str, ...]]

_ProgressCallback = Callable[[int, int, int, float], object]
"""callback(kind, epoch, index, loss): an EVENT_* kind; returning False (or raising) stops the fit."""

@final
class Network:
    """A network of the Swift core. Its buffer (`np.frombuffer(network, dtype)`) is the flat, writable
    parameter vector [W1, b1, W2, b2, ...] of the dtype, each W_l (fan_in, fan_out) in C order,
    shared with the core for the network's lifetime."""

    def __new__(cls, dtype: int, sizes: Iterable[SupportsIndex], hidden: Union[str, Sequence[str]], output: str,
                loss: str, init: str, seed: int) -> Network: ...
    @property
    def parameter_count(self) -> int: ...
    if sys.version_info >= (3, 12):
        def __buffer__(self, flags: int, /) -> memoryview: ...

    def predict(self, X: _Inputs, out: _Array) -> None:
        """Output activations of X (rows, inputs) into out (rows, outputs), both of the dtype."""
    def evaluate(self, X: _Inputs, Y: _Array, sample_weight: Optional[_Array] = None) -> tuple[float, Optional[float]]:
        """(mean loss, correctly classified rows, or None when accuracy is not defined). Y: 1-D int64
        class labels or (rows, outputs) of the dtype. sample_weight: one weight >= 0 of the dtype per
        row, not all 0: the loss is then the weighted mean and the count the weight of the correct rows."""
    def gradient(self, X: _Inputs, Y: _Array, out: _Array, sample_weight: Optional[_Array] = None) -> float:
        """The mean loss; its gradient, laid out as the parameters, into out (parameter_count values);
        weighted by sample_weight as in evaluate."""
    def fit(self, optimizer: Optimizer, X: _Inputs, Y: _Array, validation_X: Optional[_Inputs],
            validation_Y: Optional[_Array], epochs: int, batch_size: int, shuffle: bool, seed: int, stream: int,
            l2: float, clip_norm: float, normalize_gradient: bool, report_batches: bool, history: _Array,
            gradient_norms: _Array, callback: Optional[_ProgressCallback], sample_weight: Optional[_Array] = None,
            validation_sample_weight: Optional[_Array] = None, *,
            reported_loss_clip: float = 0.0, l1: float = 0.0,
            dropout: Optional[_Array] = None) -> tuple[int, Optional[str]]:
        """Mini-batch training with the GIL released; Ctrl-C raises KeyboardInterrupt. history: float64,
        len(RECORD_FIELDS) values per epoch; gradient_norms: float64, one value per layer and epoch;
        validation_X and validation_Y both given or both None. sample_weight, validation_sample_weight:
        per-row weights of the dtype (None: all 1); a mini-batch of weight 0 is skipped. reported_loss_clip
        c > 0: the history's loss takes the cross-entropies from probabilities clipped to [c, 1 − c]
        (scikit-learn's). l1: λ₁ of the L1 term (λ₁/n)·Σ|w|. dropout: float64 rates in [0, 1), one per hidden
        layer (None: no dropout); masks keyed by (seed, stream, batch, layer, row, unit). Returns (finished
        epochs, the divergence message or None)."""

@final
class Optimizer:
    """An update rule (RULE_*) with its state for the parameters of one network or list of arrays."""

    def __new__(cls, dtype: int, rule: int, lr: float, weight_decay: float, momentum: float, dampening: float,
                nesterov: bool, alpha: float, eps: float, beta1: float, beta2: float, amsgrad: bool,
                decoupled_weight_decay: bool, *, epsilon_before_bias_correction: bool = False) -> Optimizer: ...
    @property
    def lr(self) -> float:
        """The learning rate of the next steps: a finite number >= 0. May be set during a fit with this
        optimizer from its callback (it applies from the next mini-batch); not from other threads."""
    @lr.setter
    def lr(self, value: SupportsFloat | SupportsIndex) -> None: ...
    def step(self, parameters: Iterable[_Array], gradients: Iterable[_Array]) -> None:
        """One update of the parameters (writable, any shapes, of the dtype) in place, with their
        gradients (each of its parameter's size), as one vector."""
    def reset(self, count: int) -> None:
        """Fresh state (zeros, no steps) for count parameters."""
    def info(self) -> tuple[int, int, int]:
        """(parameters the state is for, steps taken, values of state)."""
    def get_state(self, out: _Array) -> None:
        """Copies the state into out (exactly info()[2] values of the dtype)."""
    def restore(self, count: int, steps: int, values: _Array) -> None:
        """Saved state back: values of the dtype for count parameters after steps steps."""

def runtime_self_test() -> bool:
    """True when the statically linked Swift runtime finds protocol conformances."""
def get_thread_count() -> int:
    """Threads sharing the core's work, the caller's included (process-wide)."""
def set_thread_count(count: int) -> None:
    """Sets the thread count, clamped to 1...max_threads()."""
def max_threads() -> int:
    """The largest thread count accepted."""
def configuration() -> dict[str, str]:
    """The instruction sets (in use, detected) and the matrix engines (build, kernels, small products)."""
