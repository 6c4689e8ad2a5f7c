#if canImport(Glibc)
import Glibc
#endif

/// How one parameter θ moves given its gradient: each rule is a pure per-scalar update
/// (g, θ, state) → (θ′, state′), written exactly as torch.optim defines it, from the simplest to the
/// most elaborate. Its formula is in the doc comment of its update function below; t counts steps
/// from 1, η is the learning rate and λ the weight decay.
public enum UpdateRule: Equatable, Sendable {
    /// Stochastic gradient descent with momentum μ and dampening τ, classical or Nesterov (`sgdUpdate`).
    case sgd(momentum: Double, dampening: Double, nesterov: Bool)
    /// AdaGrad: steps scaled by the root of the summed squared gradients (`adaGradUpdate`).
    case adaGrad(epsilon: Double)
    /// RMSProp: steps scaled by the root of a running mean of squared gradients (`rmsPropUpdate`).
    case rmsProp(alpha: Double, epsilon: Double, momentum: Double)
    /// Adam, or AMSGrad, with L2 weight decay coupled into g or decoupled (AdamW) (`adamUpdate`).
    case adam(beta1: Double, beta2: Double, epsilon: Double, amsgrad: Bool, decoupledWeightDecay: Bool)

    /// Scalars of state per parameter.
    public var stateSlots: Int {
        switch self {
        case .sgd(let momentum, _, _): return momentum == 0 ? 0 : 1
        case .adaGrad: return 1
        case .rmsProp(_, _, let momentum): return momentum == 0 ? 1 : 2
        case .adam(_, _, _, let amsgrad, _): return amsgrad ? 3 : 2
        }
    }

    func validate() throws {
        func probability(_ value: Double, _ name: String, includingOne: Bool = false) throws {
            try require(value.isFinite && value >= 0 && (includingOne ? value <= 1 : value < 1),
                        "\(name): expected a number in [0, 1\(includingOne ? "]" : ")"), got \(value)")
        }
        func positive(_ value: Double, _ name: String) throws {
            try require(value.isFinite && value > 0, "\(name): expected a finite number above 0, got \(value)")
        }
        switch self {
        case .sgd(let momentum, let dampening, let nesterov):
            try require(momentum.isFinite && momentum >= 0, "momentum: expected a finite number ≥ 0, got \(momentum)")
            try probability(dampening, "dampening", includingOne: true)
            try require(!nesterov || (momentum > 0 && dampening == 0),
                        "nesterov: needs momentum > 0 and dampening = 0, got momentum \(momentum), dampening \(dampening)")
        case .adaGrad(let epsilon):
            try positive(epsilon, "eps")
        case .rmsProp(let alpha, let epsilon, let momentum):
            try probability(alpha, "alpha", includingOne: true)
            try positive(epsilon, "eps")
            try require(momentum.isFinite && momentum >= 0, "momentum: expected a finite number ≥ 0, got \(momentum)")
        case .adam(let beta1, let beta2, let epsilon, _, _):
            try probability(beta1, "betas[0]")
            try probability(beta2, "betas[1]")
            try positive(epsilon, "eps")
        }
    }

    /// θ′ = the rule's update of `operands` with weight decay λ.
    func apply<T: Scalar>(_ operands: UpdateOperands<T>, weightDecay lambda: T) {
        switch self {
        case .sgd(let momentum, let dampening, let nesterov):
            sgdUpdate(operands, weightDecay: lambda, momentum: momentum, dampening: dampening, nesterov: nesterov)
        case .adaGrad(let epsilon):
            adaGradUpdate(operands, weightDecay: lambda, epsilon: epsilon)
        case .rmsProp(let alpha, let epsilon, let momentum):
            rmsPropUpdate(operands, weightDecay: lambda, alpha: alpha, epsilon: epsilon, momentum: momentum)
        case .adam(let beta1, let beta2, let epsilon, let amsgrad, let decoupled):
            adamUpdate(operands, weightDecay: lambda, beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad,
                       decoupled: decoupled)
        }
    }
}

/// One update of `count` consecutive scalars at step t: reads θ and ∇C, writes θ′ into `next` (which
/// may be θ itself) and the rule's state slots in place. Choices that are the same for every scalar
/// are made before each loop, so that the loops are straight-line arithmetic the compiler vectorises.
struct UpdateOperands<T: Scalar> {
    let theta: UnsafePointer<T>
    let gradient: UnsafePointer<T>
    let next: UnsafeMutablePointer<T>
    let count: Int
    /// s and κ of the effective gradient.
    let scale: T
    let penalty: T
    /// The first state slot of these scalars; slot k is `slotStride` scalars further on per k.
    let state: UnsafeMutablePointer<T>
    let slotStride: Int
    /// η, and t ≥ 1.
    let learningRate: Double
    let step: Int

    func slot(_ k: Int) -> UnsafeMutablePointer<T> { state + k * slotStride }

    /// g = s·(∇C + κθ) + λθ, the gradient every rule uses: s clips or normalises ∇C (1 when neither),
    /// κ is Nielsen's L2 term λ_L2/n (weights only, and only in `fit`), λ the weight decay coupled
    /// into g (0 for AdamW, which decays θ itself).
    @inline(__always)
    func effectiveGradient(_ i: Int, weightDecay lambda: T) -> T {
        scale * (gradient[i] + penalty * theta[i]) + lambda * theta[i]
    }
}

/// SGD (torch.optim.SGD), with g = ∇C + λθ:
///
///     b ← g  (t = 1),  b ← μb + (1 − τ)g  (t > 1)        only when μ ≠ 0
///     d = g + μb (Nesterov),  b (classical),  g (μ = 0)
///     θ ← θ − ηd
private func sgdUpdate<T: Scalar>(_ p: UpdateOperands<T>, weightDecay lambda: T, momentum: Double, dampening: Double,
                                  nesterov: Bool) {
    let eta = T(p.learningRate), theta = p.theta, next = p.next
    guard momentum != 0 else {
        for i in 0..<p.count { next[i] = theta[i] - eta * p.effectiveGradient(i, weightDecay: lambda) }
        return
    }
    let mu = T(momentum), b = p.slot(0)
    let (keep, add) = p.step == 1 ? (T(0), T(1)) : (mu, 1 - T(dampening))
    let (fromGradient, fromBuffer) = nesterov ? (T(1), mu) : (T(0), T(1))
    for i in 0..<p.count {
        let g = p.effectiveGradient(i, weightDecay: lambda)
        b[i] = keep * b[i] + add * g
        next[i] = theta[i] - eta * (fromGradient * g + fromBuffer * b[i])
    }
}

/// AdaGrad (torch.optim.Adagrad), with g = ∇C + λθ:
///
///     s ← s + g²
///     θ ← θ − η g / (√s + ε)
private func adaGradUpdate<T: Scalar>(_ p: UpdateOperands<T>, weightDecay lambda: T, epsilon: Double) {
    let eta = T(p.learningRate), eps = T(epsilon), theta = p.theta, next = p.next, sum = p.slot(0)
    for i in 0..<p.count {
        let g = p.effectiveGradient(i, weightDecay: lambda)
        sum[i] += g * g
        next[i] = theta[i] - eta * g / (T.squareRoot(sum[i]) + eps)
    }
}

/// RMSProp (torch.optim.RMSprop), with g = ∇C + λθ:
///
///     v ← αv + (1 − α)g²
///     θ ← θ − η g / (√v + ε)                           μ = 0
///     b ← μb + g / (√v + ε),  θ ← θ − ηb               μ > 0
private func rmsPropUpdate<T: Scalar>(_ p: UpdateOperands<T>, weightDecay lambda: T, alpha: Double, epsilon: Double,
                                      momentum: Double) {
    let eta = T(p.learningRate), a = T(alpha), eps = T(epsilon), theta = p.theta, next = p.next, v = p.slot(0)
    guard momentum != 0 else {
        for i in 0..<p.count {
            let g = p.effectiveGradient(i, weightDecay: lambda)
            v[i] = a * v[i] + (1 - a) * g * g
            next[i] = theta[i] - eta * g / (T.squareRoot(v[i]) + eps)
        }
        return
    }
    let mu = T(momentum), b = p.slot(1)
    for i in 0..<p.count {
        let g = p.effectiveGradient(i, weightDecay: lambda)
        v[i] = a * v[i] + (1 - a) * g * g
        b[i] = mu * b[i] + g / (T.squareRoot(v[i]) + eps)
        next[i] = theta[i] - eta * b[i]
    }
}

/// Adam (torch.optim.Adam), AMSGrad and AdamW (torch.optim.AdamW):
///
///     g = ∇C + λθ (Adam)           or   θ ← θ(1 − ηλ), g = ∇C (AdamW)
///     m ← β₁m + (1 − β₁)g
///     v ← β₂v + (1 − β₂)g²
///     v̂ = v, or with AMSGrad v̂ ← max(v̂, v)
///     θ ← θ − (η / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
private func adamUpdate<T: Scalar>(_ p: UpdateOperands<T>, weightDecay lambda: T, beta1: Double, beta2: Double,
                                   epsilon: Double, amsgrad: Bool, decoupled: Bool) {
    let b1 = T(beta1), b2 = T(beta2), eps = T(epsilon), theta = p.theta, next = p.next
    let t = Double(p.step)
    let stepSize = T(p.learningRate / (1 - pow(beta1, t)))
    let correction2 = T((1 - pow(beta2, t)).squareRoot())
    let (coupled, decay) = decoupled ? (T(0), 1 - T(p.learningRate) * lambda) : (lambda, T(1))
    let m = p.slot(0), v = p.slot(1)
    guard amsgrad else {
        for i in 0..<p.count {
            let g = p.effectiveGradient(i, weightDecay: coupled)
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            next[i] = theta[i] * decay - stepSize * m[i] / (T.squareRoot(v[i]) / correction2 + eps)
        }
        return
    }
    let vMax = p.slot(2)
    for i in 0..<p.count {
        let g = p.effectiveGradient(i, weightDecay: coupled)
        m[i] = b1 * m[i] + (1 - b1) * g
        v[i] = b2 * v[i] + (1 - b2) * g * g
        vMax[i] = max(vMax[i], v[i])
        next[i] = theta[i] * decay - stepSize * m[i] / (T.squareRoot(vMax[i]) / correction2 + eps)
    }
}
