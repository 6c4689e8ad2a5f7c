"""sgdswift's thread pool as threadpoolctl sees it: `threadpoolctl.threadpool_info()` lists it, and
`threadpoolctl.threadpool_limits(n)` sets it for the block (restoring it after), as for BLAS and OpenMP.

threadpoolctl is optional. When it can be imported, `import sgdswift` registers the controller (this
module imports threadpoolctl, so it is imported only then).

The controller's user_api is "sgdswift", neither "blas" nor "openmp": the pool is neither. So
`threadpool_limits(n)` (every API) and `threadpool_limits(n, user_api="sgdswift")` set it, while
`threadpool_limits(n, user_api="blas")` leaves it alone. That is what scikit-learn asks for around its
own parallel loops, to keep the BLAS called inside them sequential; sgdswift's pool is not called from
there, and its OpenBLAS is private and single-threaded anyway (threads.py). Like `set_num_threads`, a
limit holds for the whole process, not only the calling thread.

joblib limits its worker processes differently: it starts them with OMP_NUM_THREADS set to the cores
per worker, which sgdswift reads at import (threads.py).
"""
from __future__ import annotations

import os

from threadpoolctl import LibController, register

from . import _core, threads

_CORE_PATH = os.path.realpath(_core.__file__)


class SgdswiftController(LibController):
    """threadpoolctl's view of the pool that `sg.get_num_threads`/`sg.set_num_threads` read and set."""

    user_api = "sgdswift"
    internal_api = "sgdswift"
    # threadpoolctl picks libraries by the start of their file names (lower case). The extension's own
    # name is the narrowest choice, but other packages' extensions share it (scipy's HiGHS wrapper is also
    # _core.cpython-3XX-*.so, as sgdswift's is on 3.10; other abi3 extensions are _core.abi3.so), hence
    # the path check below.
    filename_prefixes = (os.path.basename(_CORE_PATH).lower(),)
    # threadpoolctl keeps a matching library's controller only when its `dynlib` has one of these symbols
    # (every extension module named _core exports this one).
    check_symbols = ("PyInit__core",)

    def set_additional_attributes(self) -> None:
        # Called on every library whose name matches. Only sgdswift's own extension may keep its handle:
        # without one, the check on check_symbols drops the controller (in every threadpoolctl since 3.4;
        # raising instead would break threadpool_info for everyone in those before 3.8).
        if os.path.realpath(self.filepath) != _CORE_PATH:
            self.dynlib = None

    def get_num_threads(self) -> int:
        return threads.get_num_threads()

    def set_num_threads(self, num_threads: int) -> None:
        # A limit beyond what the pool takes is clamped as the BLAS libraries do: raising here would stop
        # threadpool_limits half-way, with the libraries before this one limited and never restored.
        threads.set_num_threads(min(max(int(num_threads), 1), _core.max_threads()))

    def get_version(self) -> str:
        from . import __version__

        return __version__


def register_controller() -> None:
    register(SgdswiftController)
