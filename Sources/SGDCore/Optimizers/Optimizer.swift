/// An update rule with its learning rate, weight decay and per-parameter state for one parameter
/// vector of `count` scalars (possibly made of several arrays, updated together as one step).
public final class Optimizer<T: Scalar> {
    public let rule: UpdateRule
    /// η of the steps to come; changed only through `setLearningRate`, which validates it.
    public private(set) var learningRate: Double
    public let weightDecay: Double
    /// Steps taken so far (t of the last step).
    public private(set) var steps = 0
    /// The state, slot-major: slot s of parameter i is state[s·count + i].
    public private(set) var state: Buffer<T>
    public private(set) var count: Int
    private let kernels = ElementwiseKernels<T>.selected

    public init(rule: UpdateRule, learningRate: Double, weightDecay: Double) throws {
        try rule.validate()
        try Self.requireValid(learningRate: learningRate)
        try require(weightDecay.isFinite && weightDecay >= 0,
                    "weight_decay: expected a finite number ≥ 0, got \(weightDecay)")
        self.rule = rule
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.count = 0
        self.state = try Buffer(count: 0)
    }

    /// Sets η for the steps to come. A `fit` reads it before every step, so a progress handler may
    /// call this: the new rate applies from the next mini-batch.
    public func setLearningRate(_ rate: Double) throws {
        try Self.requireValid(learningRate: rate)
        learningRate = rate
    }

    private static func requireValid(learningRate rate: Double) throws {
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
        let (expected, overflow) = count.multipliedReportingOverflow(by: rule.stateSlots)
        try require(!overflow, "count: \(count) parameters is too many")
        try require(valueCount == expected, "state: expected \(expected) values for \(count) parameters, got \(valueCount)")
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
    /// writes θ′ into `next` (which may be θ itself) and the state in place, with the effective
    /// gradient g = s·(gradient + κθ + κ₁ sign θ) + λθ (`UpdateOperands.effectiveGradient`); returns
    /// whether every θ′ is finite. Disjoint ranges may be updated in parallel.
    @discardableResult
    func update(_ theta: UnsafePointer<T>, gradient: UnsafePointer<T>, into next: UnsafeMutablePointer<T>,
                offset: Int, count n: Int, gradientScale s: T = 1, penalty kappa: T = 0, l1Penalty kappa1: T = 0) -> Bool {
        let operands = UpdateOperands(theta: theta, gradient: gradient, next: next, count: n, scale: s, penalty: kappa,
                                      l1Penalty: kappa1, state: state.base + offset, slotStride: count,
                                      learningRate: learningRate, step: steps)
        return kernels.update(rule, operands, T(weightDecay))
    }
}
