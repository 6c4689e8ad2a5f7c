import Foundation
import XCTest
@testable import SGDCore

final class NetworkTests: XCTestCase {
    /// A 2-2-1 sigmoid network with the quadratic cost, weights set by hand.
    private func handNetwork() throws -> Network<Double> {
        let network = try Network<Double>(sizes: [2, 2, 1], hidden: .sigmoid, output: .sigmoid, loss: .quadratic)
        // θ = [W1 (2×2), b1, W2 (2×1), b2]
        let theta: [Double] = [0.15, 0.25, 0.20, 0.30, 0.35, 0.35, 0.40, 0.45, 0.60]
        for (i, value) in theta.enumerated() { network.parameters.base[i] = value }
        return network
    }

    private func sigma(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

    /// The backpropagation equations worked by hand for x = (0.05, 0.10), y = 0.01.
    private func handGradient() -> [Double] {
        let x1 = 0.05, x2 = 0.10, y = 0.01
        let z11 = x1 * 0.15 + x2 * 0.20 + 0.35, z12 = x1 * 0.25 + x2 * 0.30 + 0.35
        let a11 = sigma(z11), a12 = sigma(z12)
        let z2 = a11 * 0.40 + a12 * 0.45 + 0.60
        let a2 = sigma(z2)
        let delta2 = (a2 - y) * a2 * (1 - a2)                 // δ_L = ∂C/∂a ⊙ σ'(z_L)
        let delta11 = delta2 * 0.40 * a11 * (1 - a11)         // δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ σ'(z_l)
        let delta12 = delta2 * 0.45 * a12 * (1 - a12)
        return [x1 * delta11, x1 * delta12, x2 * delta11, x2 * delta12,  // ∂W1 = xᵀ δ1
                delta11, delta12,                                        // ∂b1 = δ1
                a11 * delta2, a12 * delta2,                              // ∂W2 = a1ᵀ δ2
                delta2]                                                  // ∂b2 = δ2
    }

    func testGradientEqualsTheHandComputedExample() throws {
        let network = try handNetwork()
        let x = try matrix(1, 2, [0.05, 0.10])
        let y = try matrix(1, 1, [0.01])
        let gradient = try Buffer<Double>(count: network.parameters.count)
        let loss = try network.gradient(x, .dense(y), into: gradient.base, count: gradient.count)
        let a2 = try predict(network, [0.05, 0.10])[0]
        assertClose(loss, 0.5 * (a2 - 0.01) * (a2 - 0.01), relative: 1e-15)
        for (i, expected) in handGradient().enumerated() {
            assertClose(gradient.base[i], expected, relative: 1e-12, absolute: 1e-16, "θ[\(i)]")
        }
    }

    func testOneStochasticStepEqualsTheHandComputedUpdate() throws {
        let network = try handNetwork()
        let before = Array(UnsafeBufferPointer(start: network.parameters.base, count: network.parameters.count))
        let x = try matrix(1, 2, [0.05, 0.10])
        let y = try matrix(1, 1, [0.01])
        let optimizer = try Optimizer<Double>(rule: .sgd(momentum: 0, dampening: 0, nesterov: false),
                                              learningRate: 0.5, weightDecay: 0)
        let result = try network.fit(x, .dense(y), options: TrainingOptions(epochs: 1, batchSize: 1, shuffle: false),
                                     optimizer: optimizer)
        XCTAssertEqual(result.epochs, 1)
        XCTAssertEqual(result.ending, .completed)
        for (i, gradient) in handGradient().enumerated() {
            assertClose(network.parameters.base[i], before[i] - 0.5 * gradient, relative: 1e-14, "θ[\(i)]")
        }
    }

    private func predict(_ network: Network<Double>, _ x: [Double]) throws -> [Double] {
        let input = try matrix(x.count / network.inputCount, network.inputCount, x)
        let output = try matrix(input.rows, network.outputCount,
                                           [Double](repeating: 0, count: input.rows * network.outputCount))
        try network.predict(input, into: output)
        return elements(output)
    }

    private func randomNetwork(rows: Int) throws -> (Network<Double>, Matrix<Double>, [Int]) {
        let network = try Network<Double>(sizes: [3, 4, 3], hidden: .tanh, output: .softmax, loss: .crossEntropy)
        network.initialize(.normal, seed: 3)
        let x = try matrix(rows, 3, randomValues(rows * 3, seed: 4) as [Double])
        var random = Random(seed: 5)
        return (network, x, (0..<rows).map { _ in random.below(3) })
    }

    func testWholeNetworkGradientMatchesFiniteDifferences() throws {
        let (network, x, labels) = try randomNetwork(rows: 7)
        let gradient = try Buffer<Double>(count: network.parameters.count)
        try labels.withUnsafeBufferPointer { labels in
            let targets = Targets<Double>.labels(labels.baseAddress!, rows: labels.count)
            _ = try network.gradient(x, targets, into: gradient.base, count: gradient.count)
            for i in 0..<network.parameters.count {
                let saved = network.parameters.base[i]
                let numeric = centralDifference(at: saved) { value in
                    network.parameters.base[i] = value
                    return try! network.evaluate(x, targets).loss
                }
                network.parameters.base[i] = saved
                assertClose(gradient.base[i], numeric, relative: 1e-7, absolute: 1e-9, "θ[\(i)]")
            }
        }
    }

    /// The core works through rows in chunks of 256: a batch spanning chunks must still give the mean.
    func testGradientOverManyChunksIsTheMeanOfPerRowGradients() throws {
        let rows = 600
        let (network, x, labels) = try randomNetwork(rows: rows)
        let count = network.parameters.count
        let whole = try Buffer<Double>(count: count), single = try Buffer<Double>(count: count)
        var mean = [Double](repeating: 0, count: count)
        try labels.withUnsafeBufferPointer { labels in
            _ = try network.gradient(x, .labels(labels.baseAddress!, rows: rows), into: whole.base, count: count)
            for r in 0..<rows {
                _ = try network.gradient(x.rows(r..<(r + 1)), .labels(labels.baseAddress! + r, rows: 1),
                                         into: single.base, count: count)
                for i in 0..<count { mean[i] += single.base[i] / Double(rows) }
            }
        }
        for i in 0..<count { assertClose(whole.base[i], mean[i], relative: 1e-12, absolute: 1e-15, "θ[\(i)]") }
    }

    func testInvalidInputIsAnErrorNotATrap() throws {
        let network = try Network<Double>(sizes: [2, 3], hidden: .sigmoid, output: .softmax, loss: .crossEntropy)
        let nanInput = try matrix(2, 2, [1, .nan, 0, 0])
        let x = try matrix(2, 2, [1, 2, 3, 4])
        let wrongWidth = try matrix(1, 3, [1, 2, 3])
        let out = try matrix(2, 3, [Double](repeating: 0, count: 6))
        XCTAssertTrue(coreErrorMessage { try network.predict(nanInput, into: out) }.contains("NaN at row 0, column 1"))
        XCTAssertTrue(coreErrorMessage { try network.predict(wrongWidth, into: out) }.contains("expected 2 columns"))
        let labels = [0, 7]
        labels.withUnsafeBufferPointer { labels in
            XCTAssertTrue(coreErrorMessage {
                _ = try network.evaluate(x, .labels(labels.baseAddress!, rows: 2))
            }.contains("label 7 at row 1 is outside 0...2"))
        }
        XCTAssertTrue(coreErrorMessage {
            _ = try Network<Double>(sizes: [2, -1], hidden: .sigmoid, output: .sigmoid, loss: .mse)
        }.contains("size 1 must be between 1"))
        XCTAssertTrue(coreErrorMessage {
            _ = try Network<Float>(sizes: [2, 3], hidden: "sigmod", output: "sigmoid", loss: "mse", initializer: "auto",
                                   seed: 0)
        }.contains("hidden: unknown name 'sigmod'"))
    }
}
