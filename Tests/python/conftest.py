import itertools

import pytest

ACTIVATIONS = ("sigmoid", "relu", "tanh", "identity")
# Activations of hidden layers only (the output layer takes ACTIVATIONS, softmax and exp).
HIDDEN_ONLY_ACTIVATIONS = ("leaky_relu", "elu", "gelu", "softplus", "silu")
HIDDEN_ACTIVATIONS = ACTIVATIONS + HIDDEN_ONLY_ACTIVATIONS

# Every (hidden, output, loss) the product accepts: elementwise losses with any output activation,
# binary cross-entropy with sigmoid, cross-entropy with softmax, Poisson with exp.
VALID_COMBINATIONS = (
    [(h, o, l) for h, o, l in itertools.product(HIDDEN_ACTIVATIONS, ACTIVATIONS + ("softmax",),
                                                ("quadratic", "mse", "mae"))]
    + [(h, "sigmoid", "binary_cross_entropy") for h in HIDDEN_ACTIVATIONS]
    + [(h, "softmax", "cross_entropy") for h in HIDDEN_ACTIVATIONS]
    + [(h, "exp", "poisson") for h in HIDDEN_ACTIVATIONS]
)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: trains on real MNIST")


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(12345)
