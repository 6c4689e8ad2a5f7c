"""Numerical versus analytic gradients: backpropagation checked against finite differences."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ._checks import count, tolerance
from ._network import Network


@dataclass(frozen=True)
class GradientCheck:
    """The result of `gradient_check`.

    Attributes
    ----------
    max_relative_error
        The largest |a − n| / max(|a|, |n|, atol) over the checked parameters, a being
        backpropagation's derivative and n the finite difference; `layer`, `kind` ("W" or "b"),
        `index` (within that array), `analytic` and `numeric` say where it occurs.
    relative_error_norm
        ‖a − n‖ / (‖a‖ + ‖n‖) over all checked parameters.
    checked
        How many parameters were perturbed.
    """

    max_relative_error: float
    layer: int
    kind: str
    index: tuple[int, ...]
    analytic: float
    numeric: float
    relative_error_norm: float
    checked: int

    def __str__(self) -> str:
        return (f"max relative error {self.max_relative_error:.3g} at {self.kind}[{self.layer}]{list(self.index)} "
                f"(backprop {self.analytic:.10g}, finite differences {self.numeric:.10g}); "
                f"‖a−n‖/(‖a‖+‖n‖) = {self.relative_error_norm:.3g} over {self.checked} parameters")


def gradient_check(network: Network, X: Any, Y: Any, eps: float = 3e-4, samples: Optional[int] = None,
                   seed: int = 0, atol: float = 1e-5) -> GradientCheck:
    """Compares `network.gradient(X, Y)` with fourth-order central differences of `network.loss`
    (X: inputs (n, inputs); Y: int labels (n,) or targets (n, outputs), as for `Network.loss`):

        ∂C/∂θ_i ≈ [C(θ_i − 2h) − 8 C(θ_i − h) + 8 C(θ_i + h) − C(θ_i + 2h)] / 12h,   h = eps

    for every parameter, or for `samples` of them drawn with `seed` (useful for large networks; each
    costs four loss evaluations). Parameters are restored exactly afterwards. The truncation error is
    O(h⁴); rounding limits the differences to about ε_machine·|C|/h (≈ 1e-12 in float64), so
    derivatives below `atol` are compared in absolute terms (a dead ReLU's exact 0 against 1e-13).
    Use a float64 network: in float32 rounding dominates. Near a kink (ReLU at 0, MAE at a = y) finite
    differences are not derivatives, so an isolated large error there is expected.
    """
    eps = tolerance(eps, "eps", positive=True)
    atol = tolerance(atol, "atol", positive=True)
    theta = network.parameters
    if samples is None:
        indices = np.arange(theta.size)
    else:
        samples = count(samples, "samples", 1, or_none=True)
        indices = np.sort(np.random.default_rng(seed).choice(theta.size, min(samples, theta.size), replace=False))
    dW, db = network.gradient(X, Y)
    analytic = np.concatenate([g.ravel() for pair in zip(dW, db) for g in pair]).astype(np.float64)[indices]
    numeric = np.empty(len(indices))
    for k, i in enumerate(indices):
        saved = theta[i]
        values = []
        for offset in (-2 * eps, -eps, eps, 2 * eps):
            theta[i] = saved + offset
            values.append(network.loss(X, Y))
        theta[i] = saved
        numeric[k] = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * eps)
    errors = np.abs(analytic - numeric) / np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), atol)
    worst = int(np.argmax(errors))
    layer, kind, index = _locate(network, int(indices[worst]))
    norm = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return GradientCheck(float(errors[worst]), layer, kind, index, float(analytic[worst]), float(numeric[worst]),
                         float(np.linalg.norm(analytic - numeric) / norm) if norm else 0.0, len(indices))


def _locate(network: Network, flat: int) -> tuple[int, str, tuple[int, ...]]:
    """(layer, "W" or "b", index) of position `flat` in the parameter vector [W1, b1, W2, b2, ...]."""
    offset = 0
    for layer, (W, b) in enumerate(zip(network.weights, network.biases)):
        if flat < offset + W.size:
            return layer, "W", tuple(int(i) for i in np.unravel_index(flat - offset, W.shape))
        offset += W.size
        if flat < offset + b.size:
            return layer, "b", (flat - offset,)
        offset += b.size
    raise IndexError(flat)
