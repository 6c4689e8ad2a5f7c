import Foundation
import XCTest
@testable import SGDCore

final class ModelTests: XCTestCase {
    private let zs: [Double] = [-2.5, -0.7, -0.1, 0.3, 1.2, 3.1]

    private func activate(_ activation: Activation, _ z: [Double]) throws -> [Double] {
        let input = try matrix(1, z.count, z)
        let output = try matrix(1, z.count, [Double](repeating: 0, count: z.count))
        activation.apply(input, into: output)
        return elements(output)
    }

    func testActivationsEqualTheirFormulas() throws {
        let expected: [Activation: (Double) -> Double] = [
            .sigmoid: { 1 / (1 + exp(-$0)) }, .relu: { max($0, 0) }, .tanh: { tanh($0) },
            .identity: { $0 }, .exp: { exp($0) }, .leakyRelu: { $0 > 0 ? $0 : 0.01 * $0 },
            .elu: { $0 > 0 ? $0 : expm1($0) }, .gelu: { $0 * erfc(-$0 / 2.0.squareRoot()) / 2 },
            .softplus: { log1p(exp($0)) }, .silu: { $0 / (1 + exp(-$0)) },
        ]
        for (activation, formula) in expected {
            for (value, z) in zip(try activate(activation, zs), zs) {
                assertClose(value, formula(z), relative: 1e-15, "\(activation)")
            }
        }
        let softmax = try activate(.softmax, zs)
        let normaliser = zs.map { exp($0) }.reduce(0, +)
        for (value, z) in zip(softmax, zs) { assertClose(value, exp(z) / normaliser, relative: 1e-14) }
    }

    func testSigmoidAndSoftmaxStayFiniteForHugeInputs() throws {
        XCTAssertEqual(try activate(.sigmoid, [-1000, 1000]), [0, 1])
        XCTAssertEqual(try activate(.softmax, [1000, -1000, 1000]), [0.5, 0, 0.5])
    }

    /// The new hidden activations and their σ' at |z| ≫ 1: their limits, never ∞ or NaN.
    func testHiddenActivationsAndDerivativesStayFiniteForHugeInputs() throws {
        let huge: [Double] = [-1e300, -1000, 1000, 1e300]
        let limits: [Activation: (values: [Double], slopes: [Double])] = [
            .leakyRelu: ([0.01 * -1e300, -10, 1000, 1e300], [0.01, 0.01, 1, 1]),
            .elu: ([-1, -1, 1000, 1e300], [0, 0, 1, 1]),
            .gelu: ([0, 0, 1000, 1e300], [0, 0, 1, 1]),
            .softplus: ([0, 0, 1000, 1e300], [0, 0, 1, 1]),
            .silu: ([0, 0, 1000, 1e300], [0, 0, 1, 1]),
        ]
        for (activation, limit) in limits {
            let a = try activate(activation, huge)
            XCTAssertEqual(a, limit.values, "\(activation)")
            let delta = try matrix(1, huge.count, [Double](repeating: 1, count: huge.count))
            activation.backpropagate(delta, a: try matrix(1, huge.count, a), z: try matrix(1, huge.count, huge))
            XCTAssertEqual(elements(delta), limit.slopes, "\(activation) σ'")
        }
    }

    /// δ ← δ ⊙ σ'(z), computed from a = σ(z) (softmax: the Jacobian-vector product), against central
    /// differences of Σ_j w_j σ(z)_j.
    func testBackpropagationThroughEachActivationMatchesFiniteDifferences() throws {
        let upstream: [Double] = [0.3, -1.1, 0.8, 0.5, -0.2, 1.7]
        for activation in Activation.allCases {
            let a = try activate(activation, zs)
            let aMatrix = try matrix(1, zs.count, a)
            let delta = try matrix(1, zs.count, upstream)
            activation.backpropagate(delta, a: aMatrix, z: try matrix(1, zs.count, zs))
            for i in zs.indices {
                let numeric = centralDifference(at: zs[i]) { value in
                    var shifted = zs
                    shifted[i] = value
                    return zip(upstream, try! activate(activation, shifted)).map(*).reduce(0, +)
                }
                assertClose(delta.base[i], numeric, relative: 1e-7, absolute: 1e-9, "\(activation) at \(i)")
            }
        }
    }

    /// Σ_rows ℓ and ∂(Σℓ)/∂a (or ∂/∂z for the fused losses) for one row of outputs.
    private func evaluate(_ loss: Loss, output: Activation, z: [Double], y: [Double]) throws -> (Double, [Double]) {
        let a = try activate(output, z)
        let zMatrix = try matrix(1, z.count, z)
        let aMatrix = try matrix(1, z.count, a)
        let yMatrix = try matrix(1, y.count, y)
        let delta = try matrix(1, z.count, [Double](repeating: 0, count: z.count))
        loss.gradient(a: aMatrix, targets: .dense(yMatrix), scale: 1, into: delta)
        return (loss.total(z: zMatrix, a: aMatrix, targets: .dense(yMatrix)), elements(delta))
    }

    func testLossesEqualTheirDefinitions() throws {
        let z: [Double] = [0.4, -1.3, 2.0], y: [Double] = [0.2, 0.7, 0.1], k = 3.0
        let a = try activate(.sigmoid, z)
        let squares = zip(y, a).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
        assertClose(try evaluate(.quadratic, output: .sigmoid, z: z, y: y).0, squares / 2, relative: 1e-15)
        assertClose(try evaluate(.mse, output: .sigmoid, z: z, y: y).0, squares / k, relative: 1e-15)
        assertClose(try evaluate(.mae, output: .sigmoid, z: z, y: y).0,
                    zip(y, a).map { abs($0 - $1) }.reduce(0, +) / k, relative: 1e-15)
        assertClose(try evaluate(.binaryCrossEntropy, output: .sigmoid, z: z, y: y).0,
                    -zip(y, a).map { $0 * log($1) + (1 - $0) * log(1 - $1) }.reduce(0, +),
                    relative: 1e-14)
        let softmax = try activate(.softmax, z)
        assertClose(try evaluate(.crossEntropy, output: .softmax, z: z, y: y).0,
                    -zip(y, softmax).map { $0 * log($1) }.reduce(0, +), relative: 1e-14)
        // half the Poisson deviance y log(y/a) − y + a with a = e^z, and 0 log 0 = 0
        let counts: [Double] = [0, 2, 5], rates = z.map { exp($0) }
        assertClose(try evaluate(.poisson, output: .exp, z: z, y: counts).0,
                    zip(counts, rates).map { ($0 > 0 ? $0 * log($0 / $1) : 0) - $0 + $1 }.reduce(0, +), relative: 1e-14)
        XCTAssertEqual(try evaluate(.poisson, output: .exp, z: [log(3), 0], y: [3, 1]).0, 0, accuracy: 1e-15)
    }

    /// With row weights, Σwℓ and each row's δ scaled by its w (a weight of 0 leaves its row out).
    func testRowWeightsScaleEachRowsLossAndGradient() throws {
        let z: [Double] = [0.4, -1.3, 2.0, 0.1, 0.5, -0.6], y: [Double] = [0.2, 0.7, 0.1, 1, 0, 0.5]
        let weights: [Double] = [2.5, 0]
        for (loss, output) in [(Loss.quadratic, Activation.tanh), (.poisson, .exp), (.binaryCrossEntropy, .sigmoid)] {
            let zMatrix = try matrix(2, 3, z), a = try matrix(2, 3, try activate(output, z)), t = try matrix(2, 3, y)
            let plain = try matrix(2, 3, [Double](repeating: 0, count: 6))
            let weighted = try matrix(2, 3, [Double](repeating: 0, count: 6))
            loss.gradient(a: a, targets: .dense(t), scale: 0.5, into: plain)
            let total = weights.withUnsafeBufferPointer { w in
                loss.gradient(a: a, targets: .dense(t), scale: 0.5, into: weighted, weights: w.baseAddress)
                return loss.total(z: zMatrix, a: a, targets: .dense(t), weights: w.baseAddress)
            }
            let firstRow = loss.total(z: zMatrix.rows(0..<1), a: a.rows(0..<1), targets: .dense(t.rows(0..<1)))
            assertClose(total, 2.5 * firstRow, relative: 1e-15, "\(loss)")
            for j in 0..<3 {
                assertClose(weighted.base[j], 2.5 * plain.base[j], relative: 1e-15, "\(loss) at \(j)")
                XCTAssertEqual(weighted.base[3 + j], 0, "\(loss) at \(3 + j)")
            }
        }
    }

    func testLossDerivativesMatchFiniteDifferences() throws {
        let z: [Double] = [0.4, -1.3, 2.0], y: [Double] = [0.2, 0.7, 0.1]
        let cases: [(Loss, Activation)] = [(.quadratic, .tanh), (.mse, .identity), (.mae, .sigmoid),
                                            (.binaryCrossEntropy, .sigmoid), (.crossEntropy, .softmax),
                                            (.poisson, .exp)]
        for (loss, output) in cases {
            let (_, delta) = try evaluate(loss, output: output, z: z, y: y)
            for j in z.indices {
                let numeric: Double
                if loss.isFusedWithOutput {  // δ is ∂ℓ/∂z
                    numeric = centralDifference(at: z[j]) { value in
                        var shifted = z
                        shifted[j] = value
                        return try! self.evaluate(loss, output: output, z: shifted, y: y).0
                    }
                } else {  // δ is ∂ℓ/∂a: perturb a through the identity
                    let a = try activate(output, z)
                    numeric = centralDifference(at: a[j]) { value in
                        var shifted = a
                        shifted[j] = value
                        return try! self.evaluate(loss, output: .identity, z: shifted, y: y).0
                    }
                }
                assertClose(delta[j], numeric, relative: 1e-7, absolute: 1e-9, "\(loss) at \(j)")
            }
        }
    }

    func testCrossEntropiesStayFiniteWhereNaiveFormulasOverflow() throws {
        assertClose(try evaluate(.binaryCrossEntropy, output: .sigmoid, z: [800], y: [0]).0, 800, relative: 1e-15)
        assertClose(try evaluate(.crossEntropy, output: .softmax, z: [1000, -1000], y: [0, 1]).0, 2000, relative: 1e-15)
    }

    /// The gradient is linear in its scale, and class labels read as one-hot rows.
    func testLossGradientScalesAndLabelsAreOneHotRows() throws {
        let z: [Double] = [0.4, -1.3, 2.0], labels = [1]
        let zMatrix = try matrix(1, 3, z), a = try matrix(1, 3, try activate(.softmax, z))
        let oneHot = try matrix(1, 3, [0.0, 1, 0])
        for loss in Loss.allCases {
            let unit = try matrix(1, 3, [Double](repeating: 0, count: 3))
            let scaled = try matrix(1, 3, [Double](repeating: 0, count: 3))
            loss.gradient(a: a, targets: .dense(oneHot), scale: 1, into: unit)
            labels.withUnsafeBufferPointer { labels in
                loss.gradient(a: a, targets: .labels(labels.baseAddress!), scale: 0.25, into: scaled)
                XCTAssertEqual(loss.total(z: zMatrix, a: a, targets: .labels(labels.baseAddress!)),
                               loss.total(z: zMatrix, a: a, targets: .dense(oneHot)), "\(loss)")
            }
            for j in 0..<3 { assertClose(scaled.base[j], 0.25 * unit.base[j], relative: 1e-15, "\(loss) at \(j)") }
        }
    }

    func testInvalidNetworksAreErrorsNotTraps() {
        XCTAssertTrue(coreErrorMessage {
            _ = try Network<Double>(sizes: [2, -1], hidden: .sigmoid, output: .sigmoid, loss: .mse)
        }.contains("size 1 must be between 1"))
        XCTAssertTrue(coreErrorMessage {
            _ = try Network<Float>(sizes: [2, 3], hidden: "sigmod", output: "sigmoid", loss: "mse", initializer: "auto",
                                   seed: 0)
        }.contains("hidden: unknown name 'sigmod'"))
    }

    /// Each initializer's weights have its distribution's spread, and only `normal` draws biases.
    func testInitializersDrawTheirDistributions() throws {
        let (fanIn, fanOut) = (400, 300)
        for initializer in Initializer.allCases {
            let network = try Network<Double>(sizes: [fanIn, fanOut], hidden: .relu, output: .identity, loss: .mse)
            network.initialize(initializer, seed: 1)
            let layer = network.layers[0]
            let w = UnsafeBufferPointer(start: network.parameters.base, count: fanIn * fanOut)
            let b = UnsafeBufferPointer(start: network.parameters.base + layer.biasOffset, count: fanOut)
            let deviation = (w.map { $0 * $0 }.reduce(0, +) / Double(w.count)).squareRoot()
            let expected = switch initializer {
            case .normal: 1.0
            case .xavier: (2 / Double(fanIn + fanOut)).squareRoot()  // U(±√(6/(in+out))) has variance 2/(in+out)
            case .he: (2 / Double(fanIn)).squareRoot()
            }
            assertClose(deviation, expected, relative: 0.01, "\(initializer)")
            XCTAssertEqual(b.allSatisfy { $0 == 0 }, initializer != .normal, "\(initializer)")
        }
    }

    func testSenselessPairingsAreRejected() {
        XCTAssertTrue(coreErrorMessage {
            _ = try Network<Double>(sizes: [2, 3], hidden: .sigmoid, output: .sigmoid, loss: .crossEntropy)
        }.contains("use binary_cross_entropy"))
        XCTAssertTrue(coreErrorMessage {
            _ = try Network<Double>(sizes: [2, 3], hidden: .tanh, output: .softmax, loss: .binaryCrossEntropy)
        }.contains("needs output='sigmoid'"))
        XCTAssertTrue(coreErrorMessage {
            _ = try Network<Double>(sizes: [2, 3, 3], hidden: .softmax, output: .softmax, loss: .crossEntropy)
        }.contains("softmax is an output activation"))
        XCTAssertTrue(coreErrorMessage {
            _ = try Network<Double>(sizes: [2, 1], hidden: .relu, output: .identity, loss: .poisson)
        }.contains("poisson needs output='exp'"))
        XCTAssertTrue(coreErrorMessage {
            _ = try Network<Double>(sizes: [2, 3, 1], hidden: .exp, output: .exp, loss: .poisson)
        }.contains("exp is an output activation"))
    }
}
