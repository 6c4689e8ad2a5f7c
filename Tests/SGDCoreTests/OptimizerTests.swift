import XCTest
@testable import SGDCore

final class OptimizerTests: XCTestCase {
    /// θ after steps with gradients `gradients` from θ = 1, one scalar parameter.
    private func run(_ rule: UpdateRule, learningRate: Double = 0.1, weightDecay: Double = 0,
                     gradients: [Double]) throws -> Double {
        let optimizer = try Optimizer<Double>(rule: rule, learningRate: learningRate, weightDecay: weightDecay)
        try optimizer.reset(count: 1)
        let theta = try buffer([1.0]), g = try buffer([0.0])
        for value in gradients {
            g.base[0] = value
            try optimizer.step([(theta.base, UnsafePointer(g.base), 1)])
        }
        XCTAssertEqual(optimizer.steps, gradients.count)
        return theta.base[0]
    }

    private let sgd = UpdateRule.sgd(momentum: 0, dampening: 0, nesterov: false)

    func testPlainGradientDescentIsThetaMinusEtaG() throws {
        assertClose(try run(sgd, gradients: [0.5, -0.2]), 1 - 0.1 * 0.5 + 0.1 * 0.2, relative: 1e-15)
        // weight decay λ = 0.1 adds λθ to g: θ1 = 1 − 0.1(0.5 + 0.1)
        assertClose(try run(sgd, weightDecay: 0.1, gradients: [0.5]), 1 - 0.1 * 0.6, relative: 1e-15)
    }

    func testMomentumAndNesterovByHand() throws {
        // b1 = g1 = 0.5, θ1 = 1 − 0.05 = 0.95; b2 = 0.9·0.5 − 0.2 = 0.25, θ2 = 0.95 − 0.025
        assertClose(try run(.sgd(momentum: 0.9, dampening: 0, nesterov: false), gradients: [0.5, -0.2]), 0.925,
                    relative: 1e-15)
        // dampening τ = 0.5 applies from t = 2: b2 = 0.45 + 0.5·(−0.2) = 0.35, θ2 = 0.95 − 0.035
        assertClose(try run(.sgd(momentum: 0.9, dampening: 0.5, nesterov: false), gradients: [0.5, -0.2]), 0.915,
                    relative: 1e-15)
        // Nesterov: d1 = 0.5 + 0.9·0.5 = 0.95, θ1 = 0.905; b2 = 0.25, d2 = −0.2 + 0.225 = 0.025, θ2 = 0.9025
        assertClose(try run(.sgd(momentum: 0.9, dampening: 0, nesterov: true), gradients: [0.5, -0.2]), 0.9025,
                    relative: 1e-14)
    }

    func testAdaptiveMethodsFirstStepByHand() throws {
        // AdaGrad: s = 0.25, θ = 1 − 0.1·0.5/(0.5 + 1e-10)
        assertClose(try run(.adaGrad(epsilon: 1e-10), gradients: [0.5]), 1 - 0.05 / (0.5 + 1e-10), relative: 1e-15)
        // RMSProp α = 0.9: v = 0.1·0.25 = 0.025, θ = 1 − 0.1·0.5/(√0.025 + 1e-8)
        assertClose(try run(.rmsProp(alpha: 0.9, epsilon: 1e-8, momentum: 0), gradients: [0.5]),
                    1 - 0.05 / (0.025.squareRoot() + 1e-8), relative: 1e-15)
        // Adam: m = 0.05, v = 0.00025; step size 0.1/(1 − 0.9) = 1; denominator √v/√(1 − 0.999) + ε = 0.5 + ε
        let adam = UpdateRule.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, amsgrad: false, decoupledWeightDecay: false)
        assertClose(try run(adam, gradients: [0.5]), 1 - 0.05 / (0.5 + 1e-8), relative: 1e-14)
        // AdamW, λ = 0.1: θ ← θ(1 − 0.1·0.1) first, then the same Adam step
        let adamW = UpdateRule.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, amsgrad: false, decoupledWeightDecay: true)
        assertClose(try run(adamW, weightDecay: 0.1, gradients: [0.5]), 0.99 - 0.05 / (0.5 + 1e-8), relative: 1e-14)
    }

    func testAMSGradUsesTheLargestSecondMoment() throws {
        let ams = UpdateRule.adam(beta1: 0, beta2: 0.5, epsilon: 0.5, amsgrad: true, decoupledWeightDecay: false)
        // β1 = 0: m = g. t1: v = 0.5·4 = 2, v̂max = 2, θ1 = 1 − 0.1·2/(√2/√0.5 + 0.5) = 1 − 0.2/2.5
        // t2: v = 1 + 0.5·0.01 = 1.005 < v̂max = 2: θ2 = θ1 − 0.1·0.1/(√2/√0.75 + 0.5)
        let expected = 1 - 0.2 / 2.5 - 0.01 / ((2.0 / 0.75).squareRoot() + 0.5)
        assertClose(try run(ams, gradients: [2, 0.1]), expected, relative: 1e-14)
    }

    func testSeveralArraysAreOneVectorAndStateSurvivesRestore() throws {
        let rule = UpdateRule.sgd(momentum: 0.9, dampening: 0, nesterov: false)
        let optimizer = try Optimizer<Double>(rule: rule, learningRate: 0.1, weightDecay: 0)
        try optimizer.reset(count: 3)
        let a = try buffer([1.0, 2.0]), b = try buffer([3.0]), g = try buffer([1.0, 1.0, 1.0])
        try optimizer.step([(a.base, UnsafePointer(g.base), 2), (b.base, UnsafePointer(g.base + 2), 1)])
        XCTAssertEqual(Array(UnsafeBufferPointer(start: optimizer.state.base, count: 3)), [1, 1, 1])
        let copy = try Optimizer<Double>(rule: rule, learningRate: 0.1, weightDecay: 0)
        try copy.restore(count: 3, steps: optimizer.steps, values: optimizer.state.base, valueCount: 3)
        let c = try buffer([1.0, 2.0, 3.0])
        try copy.step([(c.base, UnsafePointer(g.base), 3)])
        try optimizer.step([(a.base, UnsafePointer(g.base), 2), (b.base, UnsafePointer(g.base + 2), 1)])
        XCTAssertEqual([c.base[0], c.base[2]], [1 - 0.19, 3 - 0.19])  // b = 0.9 + 1, not a fresh start
        XCTAssertEqual([a.base[0], b.base[0]], [1 - 0.1 - 0.19, 3 - 0.1 - 0.19])
        XCTAssertTrue(coreErrorMessage { try optimizer.step([(a.base, UnsafePointer(g.base), 2)]) }
            .contains("state is for 3 values, got 2"))
    }

    /// The rate is validated like the constructor's, a refused rate changes nothing, and a new rate
    /// applies from the next step.
    func testLearningRateChangesOnlyThroughItsValidatedSetter() throws {
        let optimizer = try Optimizer<Double>(rule: sgd, learningRate: 0.1, weightDecay: 0)
        try optimizer.reset(count: 1)
        for rate in [-1, Double.nan, .infinity] {
            let message = coreErrorMessage { try optimizer.setLearningRate(rate) }
            XCTAssertEqual(message, "lr: expected a finite number ≥ 0, got \(rate)")
            XCTAssertEqual(message, coreErrorMessage { _ = try Optimizer<Double>(rule: sgd, learningRate: rate, weightDecay: 0) })
        }
        XCTAssertEqual(optimizer.learningRate, 0.1)
        let theta = try buffer([1.0]), g = try buffer([1.0])
        try optimizer.step([(theta.base, UnsafePointer(g.base), 1)])
        try optimizer.setLearningRate(0.5)
        try optimizer.step([(theta.base, UnsafePointer(g.base), 1)])
        XCTAssertEqual(theta.base[0], 1 - 0.1 - 0.5)
    }

    /// A saved state whose size overflows (a damaged model file) is an error, and leaves the state as it was.
    func testRestoringAnImpossibleStateIsAnError() throws {
        let adam = UpdateRule.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, amsgrad: false, decoupledWeightDecay: false)
        let optimizer = try Optimizer<Double>(rule: adam, learningRate: 0.1, weightDecay: 0)
        try optimizer.reset(count: 2)
        let values = try buffer([1.0, 2, 3, 4])
        XCTAssertEqual(coreErrorMessage {
            try optimizer.restore(count: Int.max / 2 + 1, steps: 1, values: values.base, valueCount: 4)
        }, "count: \(Int.max / 2 + 1) parameters is too many")
        XCTAssertTrue(coreErrorMessage { try optimizer.restore(count: 3, steps: 1, values: values.base, valueCount: 4) }
            .contains("expected 6 values for 3 parameters, got 4"))
        XCTAssertEqual(optimizer.count, 2)
    }

    func testInvalidHyperParametersAreErrors() {
        XCTAssertTrue(coreErrorMessage {
            _ = try Optimizer<Float>(rule: .sgd(momentum: 0, dampening: 0, nesterov: true), learningRate: 1, weightDecay: 0)
        }.contains("nesterov"))
        XCTAssertTrue(coreErrorMessage {
            _ = try Optimizer<Float>(rule: .adam(beta1: 1, beta2: 0.9, epsilon: 1e-8, amsgrad: false, decoupledWeightDecay: false),
                                     learningRate: 1, weightDecay: 0)
        }.contains("betas[0]"))
        XCTAssertTrue(coreErrorMessage {
            _ = try Optimizer<Float>(rule: .adaGrad(epsilon: 0), learningRate: .nan, weightDecay: 0)
        }.contains("eps"))
    }
}
