#if canImport(Glibc)
import Glibc
#endif

/// How one parameter θ moves given its gradient g. Each rule is a pure elementwise update
/// (g, θ, state) → (θ, state), written exactly as torch.optim defines it; t counts steps from 1,
/// η is the learning rate and λ the weight decay.
public enum UpdateRule: Equatable, Sendable {
    /// Stochastic gradient descent with momentum μ, dampening τ:
    ///     g ← g + λθ
    ///     b ← g (t = 1), else b ← μb + (1 − τ)g          (only when μ ≠ 0)
    ///     d ← g + μb (Nesterov) or b (classical), or g when μ = 0
    ///     θ ← θ − ηd
    case sgd(momentum: Double, dampening: Double, nesterov: Bool)
    /// AdaGrad:  g ← g + λθ;  s ← s + g²;  θ ← θ − η g / (√s + ε)
    case adaGrad(epsilon: Double)
    /// RMSProp:  g ← g + λθ;  v ← αv + (1 − α)g²;
    ///           μ = 0: θ ← θ − η g / (√v + ε);   μ > 0: b ← μb + g / (√v + ε), θ ← θ − ηb
    case rmsProp(alpha: Double, epsilon: Double, momentum: Double)
    /// Adam (decoupled: AdamW):
    ///     g ← g + λθ (Adam)  or  θ ← θ(1 − ηλ) (AdamW)
    ///     m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  v̂max ← max(v̂max, v) (AMSGrad)
    ///     θ ← θ − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)      (AMSGrad: √v̂max instead of √v)
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
}

/// An update rule with its learning rate, weight decay and per-parameter state for one parameter
/// vector of `count` scalars (possibly made of several arrays, updated together as one step).
public final class Optimizer<T: Scalar> {
    public let rule: UpdateRule
    public private(set) var learningRate: Double
    public let weightDecay: Double
    /// Steps taken so far (t of the last step).
    public private(set) var steps = 0
    /// The state, slot-major: slot s of parameter i is state[s·count + i].
    public private(set) var state: Buffer<T>
    public private(set) var count: Int

    public init(rule: UpdateRule, learningRate: Double, weightDecay: Double) throws {
        try rule.validate()
        try Self.requireValidLearningRate(learningRate)
        try require(weightDecay.isFinite && weightDecay >= 0,
                    "weight_decay: expected a finite number ≥ 0, got \(weightDecay)")
        self.rule = rule
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.count = 0
        self.state = try Buffer(count: 0)
    }

    /// The rate of the next steps; also while a fit runs, from its progress handler.
    public func setLearningRate(_ rate: Double) throws {
        try Self.requireValidLearningRate(rate)
        learningRate = rate
    }

    private static func requireValidLearningRate(_ rate: Double) throws {
        try require(rate.isFinite && rate >= 0, "lr: expected a finite number ≥ 0, got \(rate)")
    }

    /// Fresh state (zeros, t = 0) for a parameter vector of `count` scalars.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func reset(count: Int) throws {
        try require(count >= 0, "count: expected at least 0, got \(count)")
        let (size, overflow) = count.multipliedReportingOverflow(by: rule.stateSlots)
        try require(!overflow, "count: \(count) parameters is too many")
        if size != state.count { state = try Buffer(count: size) } else { state.base.update(repeating: 0, count: size) }
        self.count = count
        steps = 0
    }

    /// Restores saved state: `values` holds stateSlots·count scalars, slot-major, after `steps` steps.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func restore(count: Int, steps: Int, values: UnsafePointer<T>, valueCount: Int) throws {
        try require(steps >= 0, "steps: expected at least 0, got \(steps)")
        try require(valueCount == count * rule.stateSlots,
                    "state: expected \(count * rule.stateSlots) values for \(count) parameters, got \(valueCount)")
        try reset(count: count)
        state.base.update(from: values, count: valueCount)
        self.steps = steps
    }

    /// Binds fresh state to a parameter vector of `count` scalars unless it already has that size.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func prepare(count: Int) throws {
        if count != self.count || steps == 0 { try reset(count: count) }
    }

    /// One step on the parameter vector made of `segments` (parameters, gradient, length), in order,
    /// in place: t ← t + 1, then each scalar's update. The gradient is not modified.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func step(_ segments: [(parameters: UnsafeMutablePointer<T>, gradient: UnsafePointer<T>, count: Int)]) throws {
        let total = segments.reduce(0) { $0 + $1.count }
        try require(total == count, "parameters: this optimizer's state is for \(count) values, got \(total); call reset()")
        beginStep()
        var offset = 0
        for segment in segments {
            update(segment.parameters, gradient: segment.gradient, into: segment.parameters, offset: offset,
                   count: segment.count)
            offset += segment.count
        }
    }

    /// t ← t + 1, saturating: a restored count may be anything up to Int.max, and must not trap.
    @inline(__always) func beginStep() { if steps < Int.max { steps += 1 } }

    /// The update of scalars offset..<offset+n of the parameter vector, for step t = steps: reads θ,
    /// writes θ′ into `next` (which may be θ itself) and the state in place. The gradient used is
    /// g = s·(gradient + κθ): `gradientScale` s clips or normalises, `penalty` κ is Nielsen's L2 term.
    /// Choices that are the same for every scalar are made before each loop, so that the loops are
    /// straight-line arithmetic the compiler vectorises. Disjoint ranges may be updated in parallel.
    func update(_ theta: UnsafePointer<T>, gradient: UnsafePointer<T>, into next: UnsafeMutablePointer<T>,
                offset: Int, count n: Int, gradientScale s: T = 1, penalty kappa: T = 0) {
        let eta = T(learningRate), lambda = T(weightDecay)
        func slot(_ slot: Int) -> UnsafeMutablePointer<T> { state.base + slot * count + offset }
        switch rule {
        case .sgd(let momentum, let dampening, let nesterov):
            guard momentum != 0 else {
                for i in 0..<n { next[i] = theta[i] - eta * (s * (gradient[i] + kappa * theta[i]) + lambda * theta[i]) }
                return
            }
            let mu = T(momentum), b = slot(0)
            // b ← g at t = 1 (no history yet), else b ← μb + (1 − τ)g
            let (keep, add) = steps == 1 ? (T(0), T(1)) : (mu, 1 - T(dampening))
            // d = g + μb (Nesterov) or d = b (classical)
            let (fromGradient, fromBuffer) = nesterov ? (T(1), mu) : (T(0), T(1))
            for i in 0..<n {
                let g = s * (gradient[i] + kappa * theta[i]) + lambda * theta[i]
                b[i] = keep * b[i] + add * g
                next[i] = theta[i] - eta * (fromGradient * g + fromBuffer * b[i])
            }
        case .adaGrad(let epsilon):
            let eps = T(epsilon), sum = slot(0)
            for i in 0..<n {
                let g = s * (gradient[i] + kappa * theta[i]) + lambda * theta[i]
                sum[i] += g * g
                next[i] = theta[i] - eta * g / (T.squareRoot(sum[i]) + eps)
            }
        case .rmsProp(let alpha, let epsilon, let momentum):
            let a = T(alpha), eps = T(epsilon), v = slot(0)
            if momentum == 0 {
                for i in 0..<n {
                    let g = s * (gradient[i] + kappa * theta[i]) + lambda * theta[i]
                    v[i] = a * v[i] + (1 - a) * g * g
                    next[i] = theta[i] - eta * g / (T.squareRoot(v[i]) + eps)
                }
            } else {
                let mu = T(momentum), b = slot(1)
                for i in 0..<n {
                    let g = s * (gradient[i] + kappa * theta[i]) + lambda * theta[i]
                    v[i] = a * v[i] + (1 - a) * g * g
                    b[i] = mu * b[i] + g / (T.squareRoot(v[i]) + eps)
                    next[i] = theta[i] - eta * b[i]
                }
            }
        case .adam(let beta1, let beta2, let epsilon, let amsgrad, let decoupled):
            let b1 = T(beta1), b2 = T(beta2), eps = T(epsilon)
            let t = Double(steps)
            let stepSize = T(learningRate / (1 - pow(beta1, t)))
            let correction2 = T((1 - pow(beta2, t)).squareRoot())
            // Adam adds λθ to g; AdamW shrinks θ by (1 − ηλ) instead.
            let (coupled, decay) = decoupled ? (T(0), 1 - eta * lambda) : (lambda, T(1))
            let m = slot(0), v = slot(1)
            if amsgrad {
                let vMax = slot(2)
                for i in 0..<n {
                    let g = s * (gradient[i] + kappa * theta[i]) + coupled * theta[i]
                    m[i] = b1 * m[i] + (1 - b1) * g
                    v[i] = b2 * v[i] + (1 - b2) * g * g
                    vMax[i] = max(vMax[i], v[i])
                    next[i] = theta[i] * decay - stepSize * m[i] / (T.squareRoot(vMax[i]) / correction2 + eps)
                }
            } else {
                for i in 0..<n {
                    let g = s * (gradient[i] + kappa * theta[i]) + coupled * theta[i]
                    m[i] = b1 * m[i] + (1 - b1) * g
                    v[i] = b2 * v[i] + (1 - b2) * g * g
                    next[i] = theta[i] * decay - stepSize * m[i] / (T.squareRoot(v[i]) / correction2 + eps)
                }
            }
        }
    }
}
