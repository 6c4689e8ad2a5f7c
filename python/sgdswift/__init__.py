"""sgdswift: train neural networks by gradient descent from Python, with the whole training core in Swift.

    import sgdswift as sg
    net = sg.Network([784, 30, 10], hidden="sigmoid", output="sigmoid", loss="quadratic", init="normal")
    net.fit(X, y, epochs=30, batch_size=10, lr=3.0, validation_data=(X_test, y_test))

NumPy arrays of the network's dtype in C order are used in place (never copied); the GIL is released
while the core works.
"""
from ._network import History, Network, load

__all__ = ["History", "Network", "load"]
__version__ = "0.1.0"
