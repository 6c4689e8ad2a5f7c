/// How one parameter θ moves given its gradient: each rule is a pure per-scalar update
/// (g, θ, state) → (θ′, state′), written exactly as torch.optim defines it, from the simplest to the
/// most elaborate. Its formula is in the doc comment of its update function in
/// SGDKernels/UpdateRule.swift (compiled once per instruction set); t counts steps from 1, η is the
/// learning rate and λ the weight decay. Its hyper-parameters are validated in SGDCore.
public enum UpdateRule: Equatable, Sendable {
    /// Stochastic gradient descent with momentum μ and dampening τ, classical or Nesterov (`sgdUpdate`).
    case sgd(momentum: Double, dampening: Double, nesterov: Bool)
    /// AdaGrad: steps scaled by the root of the summed squared gradients (`adaGradUpdate`).
    case adaGrad(epsilon: Double)
    /// RMSProp: steps scaled by the root of a running mean of squared gradients (`rmsPropUpdate`).
    case rmsProp(alpha: Double, epsilon: Double, momentum: Double)
    /// Adam, or AMSGrad, with L2 weight decay coupled into g or decoupled (AdamW) (`adamUpdate`); ε added
    /// after the bias correction of v (torch) or before it (scikit-learn: Kingma & Ba's efficient form).
    case adam(beta1: Double, beta2: Double, epsilon: Double, amsgrad: Bool, decoupledWeightDecay: Bool,
              epsilonBeforeBiasCorrection: Bool = false)

    /// Scalars of state per parameter.
    public var stateSlots: Int {
        switch self {
        case .sgd(let momentum, _, _): return momentum == 0 ? 0 : 1
        case .adaGrad: return 1
        case .rmsProp(_, _, let momentum): return momentum == 0 ? 1 : 2
        case .adam(_, _, _, let amsgrad, _, _): return amsgrad ? 3 : 2
        }
    }
}

/// One update of `count` consecutive scalars at step t: reads θ and ∇C, writes θ′ into `next` (which
/// may be θ itself) and the rule's state slots in place. Choices that are the same for every scalar
/// are made before each loop, so that the loops are straight-line arithmetic the compiler vectorises.
public struct UpdateOperands<T: Scalar> {
    public let theta: UnsafePointer<T>
    public let gradient: UnsafePointer<T>
    public let next: UnsafeMutablePointer<T>
    public let count: Int
    /// s, κ and κ₁ of the effective gradient.
    public let scale: T
    public let penalty: T
    public let l1Penalty: T
    /// The first state slot of these scalars; slot k is `slotStride` scalars further on per k.
    public let state: UnsafeMutablePointer<T>
    public let slotStride: Int
    /// η, and t ≥ 1.
    public let learningRate: Double
    public let step: Int

    public init(theta: UnsafePointer<T>, gradient: UnsafePointer<T>, next: UnsafeMutablePointer<T>, count: Int,
                scale: T, penalty: T, l1Penalty: T = 0, state: UnsafeMutablePointer<T>, slotStride: Int,
                learningRate: Double, step: Int) {
        (self.theta, self.gradient, self.next, self.count) = (theta, gradient, next, count)
        (self.scale, self.penalty, self.state, self.slotStride) = (scale, penalty, state, slotStride)
        self.l1Penalty = l1Penalty
        (self.learningRate, self.step) = (learningRate, step)
    }

    @inlinable public func slot(_ k: Int) -> UnsafeMutablePointer<T> { state + k * slotStride }

    /// g = s·(∇C + κθ + κ₁ sign θ) + λθ, the gradient every rule uses: s clips or normalises ∇C (1 when
    /// neither), κ is Nielsen's L2 term λ_L2/n and κ₁ the L1 term λ_L1/n (weights only, and only in
    /// `fit`; sign 0 = 0), λ the weight decay coupled into g (0 for AdamW, which decays θ itself).
    @inlinable @inline(__always)
    public func effectiveGradient(_ i: Int, weightDecay lambda: T) -> T {
        let sign: T = (theta[i] > 0 ? 1 : 0) - (theta[i] < 0 ? 1 : 0)
        return scale * (gradient[i] + penalty * theta[i] + l1Penalty * sign) + lambda * theta[i]
    }
}
