"""sgdswift: train neural networks by gradient descent from Python, with the whole training core in Swift.

    import sgdswift as sg
    net = sg.Network([784, 30, 10], hidden="sigmoid", output="sigmoid", loss="quadratic", init="normal")
    net.fit(X, y, epochs=30, batch_size=10, lr=3.0, validation_data=(X_test, y_test))

NumPy arrays of the network's dtype in C order are used in place (never copied); the GIL is released
while the core works.
"""
import os
from typing import TYPE_CHECKING, Any


def _choose_openblas_kernels() -> None:
    """OpenBLAS 0.3.21 (Debian bookworm) does not know AMD's AVX-512 CPUs (Zen 4 and later) and runs its
    AVX2 kernels there; its SkylakeX kernels are up to 1.6× faster for our products (measured in
    bench/). OpenBLAS reads OPENBLAS_CORETYPE once, when it is loaded by sgdswift._core below, so
    this must run first; a value the user set is kept."""
    if "OPENBLAS_CORETYPE" in os.environ:
        return
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            info = cpuinfo.read(1 << 16)
    except OSError:
        return
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    if "AuthenticAMD" in info and {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= set(flags):
        os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"


_choose_openblas_kernels()

# noqa-free ordering: the kernels are chosen above, before these imports load the core and OpenBLAS.
from . import schedules
from ._history import History
from ._network import DivergenceError, Network, load
from .callbacks import Callback, EarlyStopping
from .gradcheck import GradientCheck, gradient_check
from .optim import SGD, AdaGrad, Adam, AdamW, Optimizer, RMSProp
from .schedules import (Constant, CosineAnnealing, ExponentialDecay, InverseScaling, ReduceOnPlateau, Schedule,
                        StepDecay)
from .threads import get_num_threads, set_num_threads

__all__ = ["AdaGrad", "Adam", "AdamW", "Callback", "Constant", "CosineAnnealing", "DivergenceError", "EarlyStopping",
           "ExponentialDecay", "GradientCheck", "History", "InverseScaling", "Network", "Optimizer", "RMSProp",
           "ReduceOnPlateau", "SGD", "Schedule", "StepDecay", "get_num_threads", "gradient_check", "load", "schedules",
           "set_num_threads"]
__version__ = "0.2.0"

if TYPE_CHECKING:  # type checkers see the estimators; a module __getattr__ would make every name valid to them
    from .estimators import MLPClassifier, MLPRegressor
else:
    def __getattr__(name: str) -> Any:
        """MLPClassifier and MLPRegressor (scikit-learn estimators) are imported on first use, so that
        `import sgdswift` neither needs nor loads scikit-learn."""
        if name in ("MLPClassifier", "MLPRegressor"):
            from . import estimators
            return getattr(estimators, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | {"MLPClassifier", "MLPRegressor"})
