"""sgdswift: train neural networks by gradient descent from Python, with the whole training core in Swift.

    import sgdswift as sg
    net = sg.Network([784, 30, 10], hidden="sigmoid", output="sigmoid", loss="quadratic", init="normal")
    net.fit(X, y, epochs=30, batch_size=10, lr=3.0, validation_data=(X_test, y_test))

NumPy arrays of the network's dtype in C order are used in place (never copied); the GIL is released
while the core works.
"""
from typing import TYPE_CHECKING, Any

from . import schedules
from ._history import History
from ._network import DivergenceError, Network, load
from .callbacks import Callback, EarlyStopping
from .config import get_config
from .gradcheck import GradientCheck, gradient_check
from .optim import LBFGS, SGD, AdaGrad, Adam, AdamW, Optimizer, RMSProp
from .schedules import (Constant, CosineAnnealing, ExponentialDecay, InverseScaling, ReduceOnPlateau, Schedule,
                        StepDecay)
from .threads import get_num_threads, set_num_threads

__all__ = ["AdaGrad", "Adam", "AdamW", "Callback", "Constant", "CosineAnnealing", "DivergenceError", "EarlyStopping",
           "ExponentialDecay", "GradientCheck", "History", "InverseScaling", "LBFGS", "Network", "Optimizer", "RMSProp",
           "ReduceOnPlateau", "SGD", "Schedule", "StepDecay", "get_config", "get_num_threads", "gradient_check", "load",
           "schedules", "set_num_threads"]
__version__ = "0.2.0"

try:  # threadpoolctl is optional: with it, threadpool_info() lists sgdswift's pool and threadpool_limits sets it
    from ._threadpoolctl import register_controller
except ImportError:  # threadpoolctl is not installed, or too old to take other libraries' controllers
    pass
else:
    register_controller()

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
