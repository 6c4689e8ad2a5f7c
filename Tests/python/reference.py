"""An independent NumPy (float64) implementation of the network, written for the tests from the equations:

    z_l = a_{l-1} W_l + b_l,  a_l = σ(z_l)
    δ_L = ∂C/∂a_L ⊙ σ'(z_L)   (softmax: the full Jacobian per row; fused cross-entropies: ∂C/∂z_L directly)
    δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ σ'(z_l)
    ∂C/∂W_l = a_{l-1}ᵀ δ_l,   ∂C/∂b_l = Σ_rows δ_l

The losses, over a batch of n rows and k outputs (gradients are those of this batch-mean loss):

    quadratic             C = 1/(2n) Σ_rows ‖y − a‖²
    mse                   C = 1/(n·k) Σ_rows Σ_j (y − a)²
    mae                   C = 1/(n·k) Σ_rows Σ_j |y − a|
    binary_cross_entropy  C = −1/n Σ_rows Σ_j [y log a + (1 − y) log(1 − a)]   (sigmoid output)
    cross_entropy         C = −1/n Σ_rows Σ_j y log a                          (softmax output)
    poisson               C = 1/n Σ_rows Σ_j [y log(y/a) − y + a]              (exp output, 0 log 0 = 0)

With sample weights w, every 1/n Σ_rows becomes the weighted mean Σ_rows w·(…) / Σ w.

`hidden` is one activation name for every hidden layer or a list of one per hidden layer.
"""
import numpy as np
from scipy.special import erf


def _sigmoid(z):
    # exp of a non-positive number only, so nothing overflows
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


ACTIVATIONS = {
    "sigmoid": _sigmoid,
    "relu": lambda z: np.maximum(z, 0),
    "tanh": np.tanh,
    "identity": lambda z: z,
    "softmax": _softmax,
    "exp": np.exp,
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    # z ≤ 0 only inside exp, so nothing overflows
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "gelu": lambda z: 0.5 * z * (1 + erf(z / np.sqrt(2))),
    "softplus": lambda z: np.logaddexp(0, z),
    "silu": lambda z: z * _sigmoid(z),
}


def _normal_density(z):
    return np.exp(-z * z / 2) / np.sqrt(2 * np.pi)


# σ'(z) of the elementwise activations, as functions of z (the core reads most of them from a)
DERIVATIVES = {
    "sigmoid": lambda z: _sigmoid(z) * (1 - _sigmoid(z)),
    "relu": lambda z: (z > 0).astype(np.float64),
    "tanh": lambda z: 1 - np.tanh(z) ** 2,
    "identity": np.ones_like,
    "exp": np.exp,
    "leaky_relu": lambda z: np.where(z > 0, 1.0, 0.01),
    "elu": lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0))),
    "gelu": lambda z: 0.5 * (1 + erf(z / np.sqrt(2))) + z * _normal_density(z),
    "softplus": _sigmoid,
    "silu": lambda z: _sigmoid(z) * (1 + z * (1 - _sigmoid(z))),
}


def hidden_activation(hidden, layer):
    """The activation name of hidden layer `layer` (0-based)."""
    return hidden if isinstance(hidden, str) else hidden[layer]


def _backpropagate_activation(name, z, a, upstream):
    """upstream ⊙ σ'(z) for the elementwise activations; for softmax the Jacobian-vector product
    row by row, J = diag(a) − a aᵀ."""
    if name != "softmax":
        return upstream * DERIVATIVES[name](z)
    jacobians = np.einsum("ij,jk->ijk", a, np.eye(a.shape[1])) - np.einsum("ij,ik->ijk", a, a)
    return np.einsum("ijk,ik->ij", jacobians, upstream)


def one_hot(labels, classes):
    out = np.zeros((len(labels), classes))
    out[np.arange(len(labels)), labels] = 1
    return out


def _dense(Y, outputs):
    Y = np.asarray(Y)
    if Y.ndim == 1:
        # labels may come in any integer-valued real dtype (float, bool, unsigned), as the package takes them
        return one_hot(Y.astype(np.int64), outputs) if outputs > 1 else Y.reshape(-1, 1).astype(np.float64)
    return Y.astype(np.float64)


def forward(weights, biases, X, hidden, output):
    """(zs, activations) with activations[0] = X and activations[-1] the network's output."""
    activations, zs = [np.asarray(X, dtype=np.float64)], []
    for layer, (W, b) in enumerate(zip(weights, biases)):
        z = activations[-1] @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
        zs.append(z)
        activations.append(ACTIVATIONS[output if layer == len(weights) - 1 else hidden_activation(hidden, layer)](z))
    return zs, activations


def _row_losses_and_derivatives(z, a, Y, loss_name):
    """Each row's loss ℓ (n,) and ∂ℓ/∂z_L for the fused losses or ∂ℓ/∂a_L otherwise (flag says which)."""
    k = a.shape[1]
    if loss_name == "quadratic":
        return ((Y - a) ** 2).sum(axis=1) / 2, a - Y, False
    if loss_name == "mse":
        return ((Y - a) ** 2).mean(axis=1), 2 * (a - Y) / k, False
    if loss_name == "mae":
        return np.abs(Y - a).mean(axis=1), np.sign(a - Y) / k, False
    if loss_name == "binary_cross_entropy":
        # −[y log σ(z) + (1−y) log(1−σ(z))] with log σ(z) = −log(1 + e^(−z)) evaluated stably
        log_a = -np.logaddexp(0, -z)
        log_one_minus_a = -np.logaddexp(0, z)
        return -(Y * log_a + (1 - Y) * log_one_minus_a).sum(axis=1), _sigmoid(z) - Y, True
    if loss_name == "cross_entropy":
        log_a = z - z.max(axis=1, keepdims=True)
        log_a = log_a - np.log(np.exp(log_a).sum(axis=1, keepdims=True))
        # ∂/∂z of −Σ y log softmax(z) is softmax(z)·Σy − y (targets need not sum to 1)
        return -(Y * log_a).sum(axis=1), _softmax(z) * Y.sum(axis=1, keepdims=True) - Y, True
    if loss_name == "poisson":
        # y log(y/a) − y + a with log a = z; ∂/∂z = e^z − y
        y_log_y = np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1)), 0)
        return (y_log_y - Y * z - Y + np.exp(z)).sum(axis=1), np.exp(z) - Y, True
    raise ValueError(loss_name)


def _loss_and_output_delta(z, a, Y, loss_name, sample_weight=None):
    """The batch's (weighted) mean loss and its ∂C/∂z_L or ∂C/∂a_L (flag says which)."""
    w = np.ones(len(a)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    row_losses, derivatives, fused = _row_losses_and_derivatives(z, a, Y, loss_name)
    return (w @ row_losses) / w.sum(), derivatives * (w / w.sum())[:, None], fused


def loss(weights, biases, X, Y, hidden, output, loss_name, sample_weight=None):
    zs, activations = forward(weights, biases, X, hidden, output)
    return _loss_and_output_delta(zs[-1], activations[-1], _dense(Y, activations[-1].shape[1]), loss_name,
                                  sample_weight)[0]


def gradient(weights, biases, X, Y, hidden, output, loss_name, sample_weight=None):
    """(dW list, db list) of the batch's (weighted) mean loss, by backpropagation."""
    zs, activations = forward(weights, biases, X, hidden, output)
    _, delta, fused = _loss_and_output_delta(zs[-1], activations[-1], _dense(Y, activations[-1].shape[1]), loss_name,
                                             sample_weight)
    if not fused:
        delta = _backpropagate_activation(output, zs[-1], activations[-1], delta)
    dW, db = [None] * len(weights), [None] * len(weights)
    for layer in reversed(range(len(weights))):
        dW[layer] = activations[layer].T @ delta
        db[layer] = delta.sum(axis=0)
        if layer:
            delta = _backpropagate_activation(hidden_activation(hidden, layer - 1), zs[layer - 1], activations[layer],
                                              delta @ np.asarray(weights[layer], np.float64).T)
    return dW, db


def numerical_gradient(weights, biases, X, Y, hidden, output, loss_name, eps=1e-6, sample_weight=None):
    """Central differences of `loss` for every parameter: (dW list, db list)."""
    weights = [np.array(W, dtype=np.float64) for W in weights]
    biases = [np.array(b, dtype=np.float64) for b in biases]
    result = []
    for parameter in weights + biases:
        numeric = np.empty_like(parameter)
        for index in np.ndindex(parameter.shape):
            saved = parameter[index]
            parameter[index] = saved + eps
            up = loss(weights, biases, X, Y, hidden, output, loss_name, sample_weight)
            parameter[index] = saved - eps
            down = loss(weights, biases, X, Y, hidden, output, loss_name, sample_weight)
            parameter[index] = saved
            numeric[index] = (up - down) / (2 * eps)
        result.append(numeric)
    return result[:len(weights)], result[len(weights):]


def sgd_epoch(weights, biases, X, Y, hidden, output, loss_name, lr, batch_size, order=None, transform=None):
    """One epoch of mini-batch gradient descent over the rows in `order` (default: as given), the last
    batch possibly partial: W ← W − lr·∂C_batch/∂W, with (dW, db) = transform(weights, biases, dW, db)
    when given (a regularised or clipped gradient). Returns the new (weights, biases)."""
    weights = [np.array(W, dtype=np.float64) for W in weights]
    biases = [np.array(b, dtype=np.float64) for b in biases]
    order = np.arange(len(X)) if order is None else np.asarray(order)
    Y = np.asarray(Y)
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        dW, db = gradient(weights, biases, X[rows], Y[rows], hidden, output, loss_name)
        if transform is not None:
            dW, db = transform(weights, biases, dW, db)
        weights = [W - lr * g for W, g in zip(weights, dW)]
        biases = [b - lr * g for b, g in zip(biases, db)]
    return weights, biases


def accuracy(a, Y):
    """Fraction of rows whose predicted class (argmax, or a ≥ ½ for one output) equals the target's class
    (the label, or the argmax / ≥ ½ of a target row)."""
    a, Y = np.asarray(a), np.asarray(Y)
    predicted = a.argmax(axis=1) if a.shape[1] > 1 else (a[:, 0] >= 0.5).astype(int)
    if Y.ndim == 1:
        wanted = Y
    else:
        wanted = Y.argmax(axis=1) if Y.shape[1] > 1 else (Y[:, 0] >= 0.5).astype(int)
    return float((predicted == wanted).mean())
