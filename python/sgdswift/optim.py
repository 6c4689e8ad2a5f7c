"""Optimizers: the update rules of gradient descent, run by the Swift core.

Each optimizer is a pure elementwise update of a parameter θ from its gradient g and its own state,
written below as math with t the step count (from 1), η the learning rate and λ the weight decay.
The rules are torch.optim's, so results agree with PyTorch to rounding.

An optimizer trains a network (`net.fit(X, Y, optimizer=sg.Adam())`) or updates any NumPy arrays in
place (`opt.step([v], [grad])`): C-contiguous, writable float32 or float64 arrays, never copied. Its
state belongs to the parameters it first updated (a network, or a list of arrays of fixed shapes);
`reset()` frees it for others.

`LBFGS` is of another kind: a quasi-Newton method over all the rows, driven by SciPy, for
`Network.fit` only.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import _core
from ._checks import DTYPES, MAX_EPOCHS, array_of_shape, flag, integer, pair, real


class Optimizer:
    """Base class: hyper-parameters, and the state the core keeps for one set of parameters."""

    _rule: int
    _hyper: tuple[str, ...] = ()
    _dtype: np.dtype  # of the parameters the state belongs to, set with the state

    def __init__(self, lr: float, weight_decay: float):
        if not hasattr(type(self), "_rule"):
            raise TypeError(f"optimizer: {type(self).__name__} is a base class without an update rule; use SGD, "
                            "AdaGrad, RMSProp, Adam or AdamW")
        self._lr = real(lr, "lr")  # the rate until the state exists; then the core optimizer holds it
        self.weight_decay = real(weight_decay, "weight_decay")
        self._core: Optional[_core.Optimizer] = None
        self._owner: Optional[tuple] = None  # what the state belongs to: ("network", id) or ("arrays", shapes)

    # ---- hyper-parameters --------------------------------------------------------------------------

    @property
    def lr(self) -> float:
        """The learning rate η of the next steps (during a fit with a schedule, the epoch's rate)."""
        return self._core.lr if self._core is not None else self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        """Takes effect at the next step, also when set from a fit's callback (from its next mini-batch)."""
        rate = real(value, "lr")
        if self._core is not None:
            self._core.lr = rate
        else:
            self._lr = rate

    def _settings(self) -> dict[str, Any]:
        return dict(momentum=0.0, dampening=0.0, nesterov=False, alpha=0.0, eps=1.0, beta1=0.0, beta2=0.0,
                    amsgrad=False, decoupled_weight_decay=False, epsilon_before_bias_correction=False)

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments: `type(opt)(**opt.get_config())` is an optimizer with fresh state."""
        return {"lr": self.lr, "weight_decay": self.weight_decay, **{name: getattr(self, name) for name in self._hyper}}

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"

    # ---- state -------------------------------------------------------------------------------------

    @property
    def steps(self) -> int:
        """Steps taken with the current state."""
        return 0 if self._core is None else self._core.info()[1]

    def reset(self) -> None:
        """Forgets the state (momentum buffers, moment estimates, step count) and its owner; keeps the rate."""
        self._lr = self.lr
        self._core = None
        self._owner = None

    def _bind(self, owner: tuple, dtype: np.dtype) -> _core.Optimizer:
        """The core optimizer for parameters `owner` of `dtype`, created on first use."""
        if self._core is not None and (owner != self._owner or dtype != self._dtype):
            raise ValueError(f"optimizer: it holds the state of other parameters ({self._describe(self._owner)}, "
                             f"{self._dtype}), not of {self._describe(owner)} ({dtype}); use a new optimizer or "
                             f"call reset() first")
        if self._core is None:
            self._core = _core.Optimizer(dtype=DTYPES[dtype], rule=self._rule, lr=self._lr,
                                         weight_decay=self.weight_decay, **self._settings())
            self._owner = owner
            self._dtype = dtype
        return self._core

    @staticmethod
    def _describe(owner: Optional[tuple]) -> str:
        if owner is None:
            return "nothing"
        return "a network" if owner[0] == "network" else f"arrays of shapes {list(owner[1])}"

    def step(self, parameters: Sequence[np.ndarray], gradients: Sequence[Any]) -> None:
        """One update of `parameters` in place from `gradients`, all as one vector.

        Parameters
        ----------
        parameters
            A list of arrays of any shapes, C-contiguous, writable and all float32 or all
            float64; they are updated in place, never copied. The first call fixes the shapes the
            optimizer's state belongs to.
        gradients
            A list of array-likes of real numbers, one per parameter and of its shape; gradients
            of another dtype or layout are converted.
        """
        if isinstance(parameters, np.ndarray) or isinstance(gradients, np.ndarray):
            raise TypeError("parameters, gradients: expected lists of arrays, e.g. opt.step([v], [grad])")
        parameters, gradients = list(parameters), list(gradients)
        if len(parameters) != len(gradients):
            raise ValueError(f"gradients: expected {len(parameters)} arrays (one per parameter), got {len(gradients)}")
        for i, p in enumerate(parameters):
            if not isinstance(p, np.ndarray):
                raise TypeError(f"parameters[{i}]: expected a NumPy array (updated in place), got {type(p).__name__}")
            if p.dtype not in DTYPES or p.dtype != parameters[0].dtype:
                raise TypeError(f"parameters[{i}]: expected float32 or float64 like parameters[0] "
                                f"({parameters[0].dtype}), got {p.dtype}")
            if not (p.flags.c_contiguous and p.flags.writeable):
                raise ValueError(f"parameters[{i}]: must be C-contiguous and writable to be updated in place")
        converted = []
        for i, (p, g) in enumerate(zip(parameters, gradients)):
            g = array_of_shape(g, f"gradients[{i}]", p.shape)
            if g.shape != p.shape:
                raise ValueError(f"gradients[{i}]: expected shape {p.shape} like parameters[{i}], got {g.shape}")
            if g.dtype.kind not in "biuf":
                raise TypeError(f"gradients[{i}]: expected real numbers, got dtype {g.dtype}")
            converted.append(np.ascontiguousarray(g, dtype=p.dtype))
        dtype = parameters[0].dtype if parameters else np.dtype(np.float64)
        core = self._bind(("arrays", tuple(p.shape for p in parameters)), dtype)
        if core.info()[1] == 0:
            core.reset(count=sum(p.size for p in parameters))
        core.step(parameters=parameters, gradients=converted)

    # ---- files -------------------------------------------------------------------------------------

    def _export(self) -> dict:
        """Config and state as arrays for a model file."""
        count, steps, state_count = self._core.info() if self._core is not None else (0, 0, 0)
        state = np.empty(state_count, dtype=self._dtype if self._core is not None else np.float64)
        if self._core is not None:
            self._core.get_state(out=state)
        return {"optimizer": np.array(json.dumps({"class": type(self).__name__, **self.get_config()})),
                "optimizer_count": np.array(count, dtype=np.int64), "optimizer_steps": np.array(steps, dtype=np.int64),
                "optimizer_state": state}

    @staticmethod
    def _import(config_text: str, count: int, steps: int, state: np.ndarray, owner: tuple,
                dtype: np.dtype) -> "Optimizer":
        config = json.loads(config_text)
        cls = OPTIMIZERS.get(config.pop("class", None)) if isinstance(config, dict) else None
        if cls is None:
            raise ValueError(f"unknown optimizer {config_text!r}")
        if "betas" in config:
            config["betas"] = tuple(config["betas"])
        optimizer = cls(**config)
        if steps:
            optimizer._bind(owner, dtype).restore(count=count, steps=steps, values=np.ascontiguousarray(state, dtype=dtype))
        return optimizer


class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional momentum μ, dampening τ and Nesterov momentum.

    $$
    \begin{aligned}
    g &\leftarrow g + \lambda\theta \\
    b &\leftarrow g \;(t = 1), \quad b \leftarrow \mu b + (1-\tau) g \;(t > 1) \quad (\mu \ne 0) \\
    d &= g + \mu b \;\text{(Nesterov)}, \quad b \;\text{(classical)}, \quad g \;(\mu = 0) \\
    \theta &\leftarrow \theta - \eta d
    \end{aligned}
    $$

    With μ = 0 this is the subject's Δv = −η∇C. Momentum is torch's form (b accumulates gradients, η
    multiplies the step), not Sutskever's (η inside the velocity); the two agree for constant η.
    """

    _rule = _core.RULE_SGD
    _hyper = ("momentum", "dampening", "nesterov")

    def __init__(self, lr: float = 0.1, momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        self.momentum = real(momentum, "momentum")
        self.dampening = real(dampening, "dampening", 0, 1, include_high=True)
        self.nesterov = flag(nesterov, "nesterov")
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError(f"nesterov: needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                             f"dampening={dampening}")

    def _settings(self) -> dict[str, Any]:
        return {**super()._settings(), "momentum": self.momentum, "dampening": self.dampening,
                "nesterov": self.nesterov}

    def _scale_momentum(self, factor: float) -> None:
        """b ← factor·b between fits. A caller that changes η from η_old to η_new and passes η_old/η_new
        keeps the velocity ηb, as Sutskever's form v ← μv − ηg (scikit-learn's) carries the old rate."""
        if self._core is None or self.momentum == 0:
            return
        count, steps, size = self._core.info()
        state = np.empty(size, dtype=self._dtype)
        self._core.get_state(out=state)
        state *= factor
        self._core.restore(count=count, steps=steps, values=state)


class AdaGrad(Optimizer):
    r"""AdaGrad: each parameter's step shrinks with its accumulated squared gradients.

    $$
    g \leftarrow g + \lambda\theta, \qquad s \leftarrow s + g^2, \qquad
    \theta \leftarrow \theta - \eta\, \frac{g}{\sqrt{s} + \epsilon}
    $$
    """

    _rule = _core.RULE_ADAGRAD
    _hyper = ("eps",)

    def __init__(self, lr: float = 0.01, eps: float = 1e-10, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        self.eps = real(eps, "eps", include_low=False)

    def _settings(self) -> dict[str, Any]:
        return {**super()._settings(), "eps": self.eps}


class RMSProp(Optimizer):
    r"""RMSProp: steps scaled by a running average of squared gradients, with optional momentum μ.

    $$
    \begin{aligned}
    g &\leftarrow g + \lambda\theta, \qquad v \leftarrow \alpha v + (1-\alpha) g^2 \\
    \mu = 0:\ \theta &\leftarrow \theta - \eta\, \frac{g}{\sqrt{v} + \epsilon}; \qquad
    \mu > 0:\ b \leftarrow \mu b + \frac{g}{\sqrt{v} + \epsilon},\ \theta \leftarrow \theta - \eta b
    \end{aligned}
    $$
    """

    _rule = _core.RULE_RMSPROP
    _hyper = ("alpha", "eps", "momentum")

    def __init__(self, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8, momentum: float = 0.0,
                 weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        self.alpha = real(alpha, "alpha", 0, 1, include_high=True)
        self.eps = real(eps, "eps", include_low=False)
        self.momentum = real(momentum, "momentum")

    def _settings(self) -> dict[str, Any]:
        return {**super()._settings(), "alpha": self.alpha, "eps": self.eps, "momentum": self.momentum}


class Adam(Optimizer):
    r"""Adam: bias-corrected running averages of the gradient and its square; L2 weight decay is
    coupled (added to the gradient). With `amsgrad`, the largest v seen so far replaces v.

    $$
    \begin{aligned}
    g &\leftarrow g + \lambda\theta \\
    m &\leftarrow \beta_1 m + (1-\beta_1) g, \qquad v \leftarrow \beta_2 v + (1-\beta_2) g^2 \\
    \theta &\leftarrow \theta - \frac{\eta}{1-\beta_1^t}\;
             \frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon}
    \end{aligned}
    $$
    """

    _rule = _core.RULE_ADAM
    _hyper = ("betas", "eps", "amsgrad")
    _decoupled = False
    _epsilon_before_bias_correction = False

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False):
        super().__init__(lr, weight_decay)
        beta1, beta2 = pair(betas, "betas", "(beta1, beta2)")
        self.betas = (real(beta1, "betas[0]", 0, 1), real(beta2, "betas[1]", 0, 1))
        self.eps = real(eps, "eps", include_low=False)
        self.amsgrad = flag(amsgrad, "amsgrad")

    def _settings(self) -> dict[str, Any]:
        return {**super()._settings(), "eps": self.eps, "beta1": self.betas[0], "beta2": self.betas[1],
                "amsgrad": self.amsgrad, "decoupled_weight_decay": self._decoupled,
                "epsilon_before_bias_correction": self._epsilon_before_bias_correction}


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay — the parameters shrink by ηλ each step instead of λθ
    entering the gradient (and so the moment estimates).

    $$
    \begin{aligned}
    \theta &\leftarrow \theta (1 - \eta\lambda) \\
    m &\leftarrow \beta_1 m + (1-\beta_1) g, \qquad v \leftarrow \beta_2 v + (1-\beta_2) g^2 \\
    \theta &\leftarrow \theta - \frac{\eta}{1-\beta_1^t}\;
             \frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon}
    \end{aligned}
    $$
    """

    _decoupled = True

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01, amsgrad: bool = False):
        super().__init__(lr, betas, eps, weight_decay, amsgrad)


class _ScikitLearnAdam(Adam):
    r"""Adam as scikit-learn's MLPs take its steps (Kingma & Ba's efficient form), for sgdswift's
    MLPClassifier and MLPRegressor: ε is added to √v before the bias correction, not after.

    $$
    \theta \leftarrow \theta - \frac{\eta\sqrt{1-\beta_2^t}}{1-\beta_1^t}\;\frac{m}{\sqrt{v} + \epsilon}
    $$

    (Adam's ε/√(1 − β₂ᵗ) on √v: the two differ while t is small against 1/(1 − β₂).)
    """

    _epsilon_before_bias_correction = True


OPTIMIZERS = {cls.__name__: cls for cls in (SGD, AdaGrad, RMSProp, Adam, AdamW, _ScikitLearnAdam)}


class LBFGS:
    r"""Full-batch L-BFGS (Liu & Nocedal 1989) for `Network.fit(X, y, optimizer=sg.LBFGS(...))`, run by
    SciPy's `scipy.optimize.minimize(method="L-BFGS-B")` (Byrd, Lu, Nocedal & Zhu 1995, without bounds)
    over the Swift core's loss and gradient on all the rows. SciPy is needed for this optimizer only.

    Each iteration k moves along a quasi-Newton direction and accepts a step length t_k found by a
    line search satisfying the strong Wolfe conditions:

    $$
    \begin{aligned}
    d_k &= -H_k \nabla C(\theta_k), \qquad \theta_{k+1} = \theta_k + t_k d_k \\
    s_k &= \theta_{k+1} - \theta_k, \qquad y_k = \nabla C(\theta_{k+1}) - \nabla C(\theta_k)
    \end{aligned}
    $$

    where H_k, the inverse-Hessian estimate, is never formed: its product with the gradient is
    computed from the last m pairs (s_i, y_i) (m = `history_size`) by the two-loop recursion, starting
    from H⁰ = (s·y / y·y) I. Every function evaluation is one call into the core (the mean loss and its
    gradient over all rows, plus the L2 term of `fit(l2=λ)`: λ/(2n) Σ‖W‖², gradient (λ/n) W).

    Parameters
    ----------
    max_iter
        Iterations at most (each is one entry of the History).
    max_fun
        Function evaluations at most; checked at the end of each iteration, so the last iteration may
        go a few evaluations beyond it (as SciPy does).
    tol
        Stop when the largest gradient component max_i |∂C/∂θ_i| ≤ tol (SciPy's `gtol`).
    ftol
        Also stop when an iteration decreases C by at most ftol relative to max(|C_k|, |C_k+1|, 1)
        (SciPy's `ftol`, whose default this is, as scikit-learn uses it); 0 leaves only `tol`.
    history_size
        m, the pairs (s_i, y_i) kept (SciPy's `maxcor`).

    Attributes
    ----------
    result
        SciPy's `OptimizeResult` of the last fit (`nit`, `nfev`, `message`, `fun`, `status`: 0
        converged, 1 a limit reached, 2 the line search failed, 99 a callback stopped it); None before.

    L-BFGS keeps no state between fits (each fit starts with an empty history of pairs), so it is not
    kept as the network's `optimizer`. SciPy works in float64: a float32 network's parameters are
    rounded to float32 at each evaluation and its gradient widened to float64 for SciPy.
    """

    def __init__(self, max_iter: int = 200, max_fun: int = 15000, tol: float = 1e-4, ftol: float = 2.220446049250313e-09,
                 history_size: int = 10):
        self.max_iter = integer(max_iter, "max_iter", 1, MAX_EPOCHS)
        self.max_fun = integer(max_fun, "max_fun", 1)
        self.tol = real(tol, "tol")
        self.ftol = real(ftol, "ftol")
        self.history_size = integer(history_size, "history_size", 1, 2**31 - 1)  # SciPy passes it as a C int
        self.result: Any = None

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments: `sg.LBFGS(**opt.get_config())` is the same optimizer."""
        return {"max_iter": self.max_iter, "max_fun": self.max_fun, "tol": self.tol, "ftol": self.ftol,
                "history_size": self.history_size}

    def __repr__(self) -> str:
        return f"LBFGS({', '.join(f'{key}={value!r}' for key, value in self.get_config().items())})"

    def _minimizer(self) -> Callable[[Callable[[np.ndarray], tuple[float, np.ndarray]], np.ndarray,
                                       Callable[[Any], None]], Any]:
        """run(objective, start, on_iteration): SciPy's L-BFGS-B from `start` over objective(x) -> (C, ∇C)
        in float64, calling on_iteration(intermediate_result) with each accepted iterate (raising
        StopIteration there ends the run); returns SciPy's OptimizeResult, also kept in `result`.
        Raises ImportError here, before any fit begins, when SciPy is missing."""
        try:
            from scipy.optimize import minimize  # optional dependency, only needed by this optimizer
        except ImportError as error:
            raise ImportError("sg.LBFGS (solver='lbfgs') needs SciPy, which is not installed: pip install scipy") \
                from error

        def run(objective: Callable[[np.ndarray], tuple[float, np.ndarray]], start: np.ndarray,
                on_iteration: Callable[[Any], None]) -> Any:
            self.result = minimize(objective, start, method="L-BFGS-B", jac=True, callback=on_iteration,
                                   options={"maxiter": self.max_iter, "maxfun": self.max_fun, "gtol": self.tol,
                                            "ftol": self.ftol, "maxcor": self.history_size})
            return self.result
        return run
