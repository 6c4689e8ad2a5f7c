#if canImport(Glibc)
import Glibc
#endif
import SGDNumerics

/// θ′ = the rule's update of `operands` with weight decay λ; whether every θ′ is finite (checked as
/// each is written, saving a pass over θ′).
func update<T: Scalar>(_ rule: UpdateRule, _ operands: UpdateOperands<T>, weightDecay lambda: T) -> Bool {
    switch rule {
    case .sgd(let momentum, let dampening, let nesterov):
        return sgdUpdate(operands, weightDecay: lambda, momentum: momentum, dampening: dampening, nesterov: nesterov)
    case .adaGrad(let epsilon):
        return adaGradUpdate(operands, weightDecay: lambda, epsilon: epsilon)
    case .rmsProp(let alpha, let epsilon, let momentum):
        return rmsPropUpdate(operands, weightDecay: lambda, alpha: alpha, epsilon: epsilon, momentum: momentum)
    case .adam(let beta1, let beta2, let epsilon, let amsgrad, let decoupled, let epsilonFirst):
        return adamUpdate(operands, weightDecay: lambda, beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad,
                          decoupled: decoupled, epsilonBeforeBiasCorrection: epsilonFirst)
    }
}

/// SGD (torch.optim.SGD), with g = ∇C + λθ:
///
///     b ← g  (t = 1),  b ← μb + (1 − τ)g  (t > 1)        only when μ ≠ 0
///     d = g + μb (Nesterov),  b (classical),  g (μ = 0)
///     θ ← θ − ηd
private func sgdUpdate<T: Scalar>(_ p: UpdateOperands<T>, weightDecay lambda: T, momentum: Double, dampening: Double,
                                  nesterov: Bool) -> Bool {
    var nonFinite: UInt8 = 0  // any θ′ NaN or infinite: an integer OR, which vectorises
    let eta = T(p.learningRate), theta = p.theta, next = p.next
    guard momentum != 0 else {
        for i in 0..<p.count {
            next[i] = theta[i] - eta * p.effectiveGradient(i, weightDecay: lambda)
            nonFinite |= next[i].isFinite ? 0 : 1
        }
        return nonFinite == 0
    }
    let mu = T(momentum), b = p.slot(0)
    let (keep, add) = p.step == 1 ? (T(0), T(1)) : (mu, 1 - T(dampening))
    let (fromGradient, fromBuffer) = nesterov ? (T(1), mu) : (T(0), T(1))
    for i in 0..<p.count {
        let g = p.effectiveGradient(i, weightDecay: lambda)
        b[i] = keep * b[i] + add * g
        next[i] = theta[i] - eta * (fromGradient * g + fromBuffer * b[i])
        nonFinite |= next[i].isFinite ? 0 : 1
    }
    return nonFinite == 0
}

/// AdaGrad (torch.optim.Adagrad), with g = ∇C + λθ:
///
///     s ← s + g²
///     θ ← θ − η g / (√s + ε)
private func adaGradUpdate<T: Scalar>(_ p: UpdateOperands<T>, weightDecay lambda: T, epsilon: Double) -> Bool {
    var nonFinite: UInt8 = 0  // any θ′ NaN or infinite: an integer OR, which vectorises
    let eta = T(p.learningRate), eps = T(epsilon), theta = p.theta, next = p.next, sum = p.slot(0)
    for i in 0..<p.count {
        let g = p.effectiveGradient(i, weightDecay: lambda)
        sum[i] += g * g
        next[i] = theta[i] - eta * g / (T.squareRoot(sum[i]) + eps)
        nonFinite |= next[i].isFinite ? 0 : 1
    }
    return nonFinite == 0
}

/// RMSProp (torch.optim.RMSprop), with g = ∇C + λθ:
///
///     v ← αv + (1 − α)g²
///     θ ← θ − η g / (√v + ε)                           μ = 0
///     b ← μb + g / (√v + ε),  θ ← θ − ηb               μ > 0
private func rmsPropUpdate<T: Scalar>(_ p: UpdateOperands<T>, weightDecay lambda: T, alpha: Double, epsilon: Double,
                                      momentum: Double) -> Bool {
    var nonFinite: UInt8 = 0  // any θ′ NaN or infinite: an integer OR, which vectorises
    let eta = T(p.learningRate), a = T(alpha), eps = T(epsilon), theta = p.theta, next = p.next, v = p.slot(0)
    guard momentum != 0 else {
        for i in 0..<p.count {
            let g = p.effectiveGradient(i, weightDecay: lambda)
            v[i] = a * v[i] + (1 - a) * g * g
            next[i] = theta[i] - eta * g / (T.squareRoot(v[i]) + eps)
            nonFinite |= next[i].isFinite ? 0 : 1
        }
        return nonFinite == 0
    }
    let mu = T(momentum), b = p.slot(1)
    for i in 0..<p.count {
        let g = p.effectiveGradient(i, weightDecay: lambda)
        v[i] = a * v[i] + (1 - a) * g * g
        b[i] = mu * b[i] + g / (T.squareRoot(v[i]) + eps)
        next[i] = theta[i] - eta * b[i]
        nonFinite |= next[i].isFinite ? 0 : 1
    }
    return nonFinite == 0
}

/// Adam (torch.optim.Adam), AMSGrad and AdamW (torch.optim.AdamW):
///
///     g = ∇C + λθ (Adam)           or   θ ← θ(1 − ηλ), g = ∇C (AdamW)
///     m ← β₁m + (1 − β₁)g
///     v ← β₂v + (1 − β₂)g²
///     v̂ = v, or with AMSGrad v̂ ← max(v̂, v)
///     θ ← θ − (η / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
///
/// or with ε before the bias correction (scikit-learn's MLPs; Kingma & Ba's efficient form):
///
///     θ ← θ − (η √(1 − β₂ᵗ) / (1 − β₁ᵗ)) · m / (√v̂ + ε)
private func adamUpdate<T: Scalar>(_ p: UpdateOperands<T>, weightDecay lambda: T, beta1: Double, beta2: Double,
                                   epsilon: Double, amsgrad: Bool, decoupled: Bool,
                                   epsilonBeforeBiasCorrection: Bool) -> Bool {
    var nonFinite: UInt8 = 0  // any θ′ NaN or infinite: an integer OR, which vectorises
    let b1 = T(beta1), b2 = T(beta2), eps = T(epsilon), theta = p.theta, next = p.next
    let t = Double(p.step)
    let root2 = (1 - pow(beta2, t)).squareRoot()
    let (stepSize, correction2) = epsilonBeforeBiasCorrection
        ? (T(p.learningRate * root2 / (1 - pow(beta1, t))), T(1))
        : (T(p.learningRate / (1 - pow(beta1, t))), T(root2))
    let (coupled, decay) = decoupled ? (T(0), 1 - T(p.learningRate) * lambda) : (lambda, T(1))
    let m = p.slot(0), v = p.slot(1)
    guard amsgrad else {
        for i in 0..<p.count {
            let g = p.effectiveGradient(i, weightDecay: coupled)
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            next[i] = theta[i] * decay - stepSize * m[i] / (T.squareRoot(v[i]) / correction2 + eps)
            nonFinite |= next[i].isFinite ? 0 : 1
        }
        return nonFinite == 0
    }
    let vMax = p.slot(2)
    for i in 0..<p.count {
        let g = p.effectiveGradient(i, weightDecay: coupled)
        m[i] = b1 * m[i] + (1 - b1) * g
        v[i] = b2 * v[i] + (1 - b2) * g * g
        vMax[i] = max(vMax[i], v[i])
        next[i] = theta[i] * decay - stepSize * m[i] / (T.squareRoot(vMax[i]) / correction2 + eps)
        nonFinite |= next[i].isFinite ? 0 : 1
    }
    return nonFinite == 0
}
