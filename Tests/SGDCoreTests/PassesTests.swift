import Foundation
import XCTest
@testable import SGDCore

final class PassesTests: XCTestCase {
    func testGradientEqualsTheHandComputedExample() throws {
        let network = try HandExample.network()
        let x = try matrix(1, 2, HandExample.x)
        let y = try matrix(1, 1, [HandExample.y])
        let gradient = try Buffer<Double>(count: network.parameters.count)
        let loss = try network.gradient(.dense(x), .dense(y), into: gradient.base, count: gradient.count)
        let a2 = try predict(network, HandExample.x)[0]
        assertClose(loss, 0.5 * (a2 - 0.01) * (a2 - 0.01), relative: 1e-15)
        for (i, expected) in HandExample.gradient.enumerated() {
            assertClose(gradient.base[i], expected, relative: 1e-12, absolute: 1e-16, "θ[\(i)]")
        }
    }

    private func predict(_ network: Network<Double>, _ x: [Double]) throws -> [Double] {
        let input = try matrix(x.count / network.inputCount, network.inputCount, x)
        let output = try matrix(input.rows, network.outputCount,
                                [Double](repeating: 0, count: input.rows * network.outputCount))
        try network.predict(.dense(input), into: output)
        return elements(output)
    }

    /// δ_L = ∂(s·Σℓ)/∂z_L for every output/loss pairing the core accepts, against central differences
    /// of s·ℓ(σ(z)) in z: the fused cross-entropies and the others through σ' must agree alike.
    func testOutputDeltaIsTheScaledLossGradientInZ() throws {
        let z: [Double] = [0.4, -1.3, 2.0], y: [Double] = [0.2, 0.7, 0.1], scale = 0.3
        let pairs: [(Activation, Loss)] = Activation.allCases.filter { !$0.isHiddenOnly }.flatMap { output in
            [Loss.quadratic, .mse, .mae].map { (output, $0) } } + [(.sigmoid, .binaryCrossEntropy), (.softmax, .crossEntropy)]
        for (output, loss) in pairs {
            let network = try Network<Double>(sizes: [1, 3], hidden: .sigmoid, output: output, loss: loss)
            let targets = TargetRows<Double>.dense(try matrix(1, 3, y))
            func scaledLoss(_ z: [Double]) -> Double {
                let zMatrix = try! matrix(1, 3, z), a = try! matrix(1, 3, [Double](repeating: 0, count: 3))
                output.apply(zMatrix, into: a)
                return scale * loss.total(z: zMatrix, a: a, targets: targets)
            }
            let a = try matrix(1, 3, [Double](repeating: 0, count: 3))
            output.apply(try matrix(1, 3, z), into: a)
            let delta = try matrix(1, 3, [Double](repeating: 0, count: 3))
            network.outputDelta(delta, a: a, targets: targets, scale: scale)
            for j in z.indices {
                let numeric = centralDifference(at: z[j]) { value in
                    var shifted = z
                    shifted[j] = value
                    return scaledLoss(shifted)
                }
                assertClose(delta.base[j], numeric, relative: 1e-7, absolute: 1e-9, "\(output) \(loss) at \(j)")
            }
        }
    }

    /// A network of 3 inputs, a hidden layer of 4 units per activation in `hidden`, and 3 softmax outputs.
    private func randomNetwork(rows: Int, hidden: [Activation] = [.tanh]) throws -> (Network<Double>, Matrix<Double>, [Int]) {
        let network = try Network<Double>(sizes: [3] + hidden.map { _ in 4 } + [3], hidden: hidden, output: .softmax,
                                          loss: .crossEntropy)
        network.initialize(.normal, seed: 3)
        let x = try matrix(rows, 3, randomValues(rows * 3, seed: 4) as [Double])
        var random = Random(seed: 5)
        return (network, x, (0..<rows).map { _ in random.below(3) })
    }

    /// Also with one activation per hidden layer: gelu and silu backpropagate from the z their layers keep.
    func testWholeNetworkGradientMatchesFiniteDifferences() throws {
        for hidden: [Activation] in [[.tanh], [.gelu, .silu], [.leakyRelu, .elu, .softplus]] {
            try checkGradientAgainstFiniteDifferences(hidden: hidden)
        }
    }

    private func checkGradientAgainstFiniteDifferences(hidden: [Activation]) throws {
        let (network, x, labels) = try randomNetwork(rows: 7, hidden: hidden)
        let gradient = try Buffer<Double>(count: network.parameters.count)
        try labels.withUnsafeBufferPointer { labels in
            let targets = Targets<Double>.labels(labels.baseAddress!, rows: labels.count)
            _ = try network.gradient(.dense(x), targets, into: gradient.base, count: gradient.count)
            for i in 0..<network.parameters.count {
                let saved = network.parameters.base[i]
                let numeric = centralDifference(at: saved) { value in
                    network.parameters.base[i] = value
                    return try! network.evaluate(.dense(x), targets).loss
                }
                network.parameters.base[i] = saved
                assertClose(gradient.base[i], numeric, relative: 1e-7, absolute: 1e-9, "\(hidden) θ[\(i)]")
            }
        }
    }

    /// The core works through rows in chunks of 256: a batch spanning chunks must still give the mean.
    func testGradientOverManyChunksIsTheMeanOfPerRowGradients() throws {
        let rows = 600
        let (network, x, labels) = try randomNetwork(rows: rows, hidden: [.gelu, .silu])  // z kept across chunks
        let count = network.parameters.count
        let whole = try Buffer<Double>(count: count), single = try Buffer<Double>(count: count)
        var mean = [Double](repeating: 0, count: count)
        try labels.withUnsafeBufferPointer { labels in
            _ = try network.gradient(.dense(x), .labels(labels.baseAddress!, rows: rows), into: whole.base, count: count)
            for r in 0..<rows {
                _ = try network.gradient(.dense(x.rows(r..<(r + 1))), .labels(labels.baseAddress! + r, rows: 1),
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
        XCTAssertTrue(coreErrorMessage { try network.predict(.dense(nanInput), into: out) }.contains("NaN at row 0, column 1"))
        XCTAssertTrue(coreErrorMessage { try network.predict(.dense(wrongWidth), into: out) }.contains("expected 2 columns"))
        let labels = [0, 7]
        labels.withUnsafeBufferPointer { labels in
            XCTAssertTrue(coreErrorMessage {
                _ = try network.evaluate(.dense(x), .labels(labels.baseAddress!, rows: 2))
            }.contains("label 7 at row 1 is outside 0...2"))
        }
    }

    /// X·W₁ and X_batchᵀ·δ₁ from the nonzeros equal the dense products: the same 3 × 4 X (one row empty,
    /// one with its columns unsorted and one repeated, which adds up) given both ways.
    func testSparseInputsGiveTheDenseGradient() throws {
        let network = try Network<Double>(sizes: [4, 3, 2], hidden: .tanh, output: .softmax, loss: .crossEntropy)
        network.initialize(.xavier, seed: 3)
        let values: [Double] = [0.5, -1.5, 2.0, 0.25, 0.75], columns: [Int32] = [3, 0, 0, 2, 2]
        let rowStarts: [Int64] = [0, 2, 2, 5]
        let dense = try matrix(3, 4, [-1.5, 0, 0, 0.5, 0, 0, 0, 0, 2.0, 0, 1.0, 0])
        let labels = [1, 0, 1]
        let count = network.parameters.count
        let fromDense = try Buffer<Double>(count: count), fromSparse = try Buffer<Double>(count: count)
        try values.withUnsafeBufferPointer { values in
            try columns.withUnsafeBufferPointer { columns in
                try rowStarts.withUnsafeBufferPointer { rowStarts in
                    try labels.withUnsafeBufferPointer { labels in
                        let sparse = SparseMatrix(values: values.baseAddress!, columnIndices: columns.baseAddress!,
                                                  rowStarts: rowStarts.baseAddress!, rows: 3, columns: 4, storage: 5)
                        let y = Targets<Double>.labels(labels.baseAddress!, rows: 3)
                        let denseLoss = try network.gradient(.dense(dense), y, into: fromDense.base, count: count)
                        let sparseLoss = try network.gradient(.sparse(sparse), y, into: fromSparse.base, count: count)
                        assertClose(sparseLoss, denseLoss, relative: 1e-15)
                    }
                }
            }
        }
        for i in 0..<count { assertClose(fromSparse.base[i], fromDense.base[i], relative: 1e-14, absolute: 1e-16, "θ[\(i)]") }
    }

    /// A sparse structure that points outside its arrays or the columns is refused before any entry is read.
    func testInvalidSparseStructureIsAnErrorNotATrap() throws {
        let network = try Network<Double>(sizes: [2, 3], hidden: .sigmoid, output: .softmax, loss: .crossEntropy)
        let out = try matrix(2, 3, [Double](repeating: 0, count: 6))
        let values: [Double] = [1, 2, 3]
        let cases: [([Int32], [Int64], String)] = [
            ([0, 5, 1], [0, 1, 3], "column index 5 (entry 1) is outside 0...1"),
            ([0, -1, 1], [0, 1, 3], "column index -1"),
            ([0, 1, 1], [0, 2, 1], "indptr decreases at row 1"),
            ([0, 1, 1], [0, 1, 4], "beyond the 3 stored entries"),
            ([0, 1, 1], [-1, 1, 3], "indptr[0] is -1"),
        ]
        for (columns, rowStarts, expected) in cases {
            values.withUnsafeBufferPointer { values in
                columns.withUnsafeBufferPointer { columns in
                    rowStarts.withUnsafeBufferPointer { rowStarts in
                        let x = SparseMatrix(values: values.baseAddress!, columnIndices: columns.baseAddress!,
                                             rowStarts: rowStarts.baseAddress!, rows: 2, columns: 2, storage: 3)
                        XCTAssertTrue(coreErrorMessage { try network.predict(.sparse(x), into: out) }.contains(expected),
                                      expected)
                    }
                }
            }
        }
    }

    /// Poisson targets below 0 and bad row weights (wrong count, negative, NaN, all 0) are refused.
    func testPoissonTargetsAndRowWeightsOutsideTheirDomainAreErrors() throws {
        let network = try Network<Double>(sizes: [2, 1], hidden: .relu, output: .exp, loss: .poisson)
        let x = try matrix(2, 2, [1, 2, 3, 4]), counts = try matrix(2, 1, [2, -1])
        XCTAssertTrue(coreErrorMessage { _ = try network.evaluate(.dense(x), .dense(counts)) }
            .contains("poisson targets must be non-negative, got -1.0 at row 1"))
        let y = try matrix(2, 1, [2, 1])
        let cases: [([Double], String)] = [([1], "expected 2 weights (one per row), got 1"),
                                           ([1, -2], "weights must be non-negative, got -2.0 at row 1"),
                                           ([.nan, 1], "contains NaN at row 0"), ([0, 0], "the weights sum to 0")]
        for (weights, message) in cases {
            weights.withUnsafeBufferPointer { weights in
                XCTAssertTrue(coreErrorMessage { _ = try network.evaluate(.dense(x), .dense(y), weights: weights) }
                    .contains("sample_weight: \(message)"), message)
            }
        }
    }

    /// With row weights, the gradient over many chunks is the weighted mean of the per-row gradients.
    func testWeightedGradientOverManyChunksIsTheWeightedMeanOfPerRowGradients() throws {
        let rows = 300
        let (network, x, labels) = try randomNetwork(rows: rows)
        let count = network.parameters.count
        let weights = (0..<rows).map { Double($0 % 7) / 3 }, total = weights.reduce(0, +)
        let whole = try Buffer<Double>(count: count), single = try Buffer<Double>(count: count)
        var mean = [Double](repeating: 0, count: count)
        try labels.withUnsafeBufferPointer { labels in
            try weights.withUnsafeBufferPointer { weights in
                _ = try network.gradient(.dense(x), .labels(labels.baseAddress!, rows: rows), into: whole.base, count: count,
                                         weights: weights)
            }
            for r in 0..<rows {
                _ = try network.gradient(.dense(x.rows(r..<(r + 1))), .labels(labels.baseAddress! + r, rows: 1),
                                         into: single.base, count: count)
                for i in 0..<count { mean[i] += weights[r] * single.base[i] / total }
            }
        }
        for i in 0..<count { assertClose(whole.base[i], mean[i], relative: 1e-12, absolute: 1e-15, "θ[\(i)]") }
    }
}
