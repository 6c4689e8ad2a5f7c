"""How many threads share the core's work.

Every product, gather and update is cut into tiles fixed by the problem's shape alone, and partial
sums are added in tile order, so a seed gives bit-identical weights whatever the thread count: the
count changes only the speed. OpenBLAS itself runs single-threaded inside the core (the core splits
the products), so its thread pool never spins against NumPy's.

The default is one thread per CPU this process may run on (its affinity mask, so containers and
`taskset` are respected), unless SGDSWIFT_NUM_THREADS or else OMP_NUM_THREADS is set at import.
"""
from __future__ import annotations

import os
import warnings

from . import _core
from ._checks import integer

__all__ = ["get_num_threads", "set_num_threads"]


def get_num_threads() -> int:
    """The number of threads (the calling one included) that share each fit, predict or gradient."""
    return _core.get_thread_count()


def set_num_threads(n: int) -> None:
    """Use `n` threads (1 ≤ n ≤ 256) from now on, process-wide. Results do not depend on `n`."""
    _core.set_thread_count(count=integer(n, "n", 1, _core.max_threads(), unit="threads"))


def _default_thread_count() -> int:
    for variable in ("SGDSWIFT_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(variable, "").strip()
        if not value:
            continue
        try:
            count = int(value.split(",")[0])  # OMP_NUM_THREADS may list counts per nesting level
        except ValueError:
            count = 0
        if 1 <= count <= _core.max_threads():
            return count
        warnings.warn(f"{variable}={value!r} is not a thread count from 1 to {_core.max_threads()}; ignored",
                      RuntimeWarning, stacklevel=3)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_core.set_thread_count(count=_default_thread_count())
