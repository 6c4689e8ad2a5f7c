"""sgdswift: train neural networks by gradient descent from Python, with the whole training core in Swift.

    import sgdswift as sg
    net = sg.Network([784, 30, 10], hidden="sigmoid", output="sigmoid", loss="quadratic", init="normal")
    net.fit(X, y, epochs=30, batch_size=10, lr=3.0, validation_data=(X_test, y_test))

NumPy arrays of the network's dtype in C order are used in place (never copied); the GIL is released
while the core works.
"""
from . import schedules
from ._network import DivergenceError, History, Network, load
from .callbacks import Callback, EarlyStopping
from .gradcheck import GradientCheck, gradient_check
from .optim import SGD, AdaGrad, Adam, AdamW, Optimizer, RMSProp
from .schedules import (Constant, CosineAnnealing, ExponentialDecay, InverseScaling, ReduceOnPlateau, Schedule,
                        StepDecay)

__all__ = ["AdaGrad", "Adam", "AdamW", "Callback", "Constant", "CosineAnnealing", "DivergenceError", "EarlyStopping",
           "ExponentialDecay", "GradientCheck", "History", "InverseScaling", "Network", "Optimizer", "RMSProp",
           "ReduceOnPlateau", "SGD", "Schedule", "StepDecay", "gradient_check", "load", "schedules"]
__version__ = "0.2.0"
