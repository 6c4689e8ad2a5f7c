import XCTest
@testable import SGDCore

final class TrainingTests: XCTestCase {
    private struct Problem {
        let network: Network<Double>
        let x: Matrix<Double>
        let y: Targets<Double>
    }

    private func problem(rows: Int = 40, hidden: Activation = .sigmoid, output: Activation = .sigmoid,
                         loss: Loss = .quadratic, scale: Double = 1) throws -> Problem {
        let network = try Network<Double>(sizes: [3, 5, 2], hidden: hidden, output: output, loss: loss)
        network.initialize(.xavier, seed: 1)
        let x = try matrix(rows, 3, randomValues(rows * 3, seed: 2, scale: scale) as [Double])
        let targets: [Double] = randomValues(rows * 2, seed: 3).map { ($0 + 1) / 2 }
        return Problem(network: network, x: x, y: .dense(try matrix(rows, 2, targets)))
    }

    private func sgd(_ learningRate: Double) throws -> Optimizer<Double> {
        try Optimizer(rule: .sgd(momentum: 0, dampening: 0, nesterov: false), learningRate: learningRate, weightDecay: 0)
    }

    private func parameters(_ network: Network<Double>) -> [Double] {
        Array(UnsafeBufferPointer(start: network.parameters.base, count: network.parameters.count))
    }

    private func norm(_ values: [Double]) -> Double { values.map { $0 * $0 }.reduce(0, +).squareRoot() }

    func testOneStochasticStepEqualsTheHandComputedUpdate() throws {
        let network = try HandExample.network()
        let before = parameters(network)
        let x = try matrix(1, 2, HandExample.x)
        let y = try matrix(1, 1, [HandExample.y])
        let result = try network.fit(.dense(x), .dense(y), options: TrainingOptions(epochs: 1, batchSize: 1, shuffle: false),
                                     optimizer: try sgd(0.5))
        XCTAssertEqual(result.epochs, 1)
        XCTAssertEqual(result.ending, .completed)
        for (i, gradient) in HandExample.gradient.enumerated() {
            assertClose(network.parameters.base[i], before[i] - 0.5 * gradient, relative: 1e-14, "θ[\(i)]")
        }
    }

    func testSameSeedSameModelOtherStreamOtherModel() throws {
        var results: [[Double]] = []
        for stream in [UInt64(0), 0, 1] {
            let p = try problem()
            _ = try p.network.fit(.dense(p.x), p.y, options: TrainingOptions(epochs: 3, batchSize: 7, seed: 9, stream: stream),
                                  optimizer: try sgd(0.5))
            results.append(parameters(p.network))
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertNotEqual(results[0], results[2])
    }

    /// A shuffled fit reads the rows of X in the order its seeded generator deals them: the same as an
    /// unshuffled fit, epoch by epoch, of the rows put in that order beforehand (read in place). This
    /// checks the gather, and the gather of each next mini-batch while the current one computes,
    /// against plain views, with labels and with dense targets, and with a short last batch.
    func testShuffledTrainingEqualsTrainingOnRowsPermutedInTheGeneratorsOrder() throws {
        let (rows, epochs, batch, seed, stream): (Int, Int, Int, UInt64, UInt64) = (23, 3, 4, 5, 2)
        let xValues: [Double] = randomValues(rows * 3, seed: 4)
        let labels = (0..<rows).map { ($0 * 7) % 3 }
        let dense: [Double] = randomValues(rows * 3, seed: 6).map { ($0 + 1) / 2 }
        for useLabels in [true, false] {
            let make = { () throws -> Network<Double> in
                let network = try Network<Double>(sizes: [3, 4, 3], hidden: .tanh, output: .softmax, loss: .crossEntropy)
                network.initialize(.xavier, seed: 1)
                return network
            }
            let targets = { (order: [Int]) throws -> Targets<Double> in
                if useLabels {
                    let buffer = try Buffer<Int>(count: rows, repeating: 0)
                    for (r, source) in order.enumerated() { buffer.base[r] = labels[source] }
                    keepAlive(buffer)
                    return .labels(UnsafePointer(buffer.base), rows: rows)
                }
                return .dense(try matrix(rows, 3, order.flatMap { dense[($0 * 3)..<($0 * 3 + 3)] }))
            }
            let momentum = UpdateRule.sgd(momentum: 0.9, dampening: 0, nesterov: false)
            let shuffled = try make(), shuffledOptimizer = try Optimizer<Double>(rule: momentum, learningRate: 0.1, weightDecay: 0)
            let identity = Array(0..<rows)
            _ = try shuffled.fit(.dense(try matrix(rows, 3, xValues)), try targets(identity),
                                 options: TrainingOptions(epochs: epochs, batchSize: batch, shuffle: true, seed: seed,
                                                          stream: stream), optimizer: shuffledOptimizer)
            let reference = try make(), referenceOptimizer = try Optimizer<Double>(rule: momentum, learningRate: 0.1, weightDecay: 0)
            var random = Random(seed: seed, stream: stream)
            var order = identity
            for _ in 0..<epochs {
                order.withUnsafeMutableBufferPointer { random.shuffle($0) }
                let x = try matrix(rows, 3, order.flatMap { xValues[($0 * 3)..<($0 * 3 + 3)] })
                _ = try reference.fit(.dense(x), try targets(order), options: TrainingOptions(epochs: 1, batchSize: batch, shuffle: false),
                                      optimizer: referenceOptimizer)
            }
            XCTAssertEqual(parameters(shuffled), parameters(reference), useLabels ? "labels" : "dense targets")
        }
    }

    func testL2AddsLambdaOverNTimesTheWeightsOnly() throws {
        let plain = try problem(), regularised = try problem()
        let initial = parameters(plain.network)
        let lambda = 2.0, eta = 0.5, n = Double(plain.x.rows)
        _ = try plain.network.fit(.dense(plain.x), plain.y, options: TrainingOptions(epochs: 1, batchSize: 40),
                                  optimizer: try sgd(eta))
        _ = try regularised.network.fit(.dense(regularised.x), regularised.y,
                                        options: TrainingOptions(epochs: 1, batchSize: 40, l2: lambda),
                                        optimizer: try sgd(eta))
        let after = parameters(plain.network), regularisedAfter = parameters(regularised.network)
        for layer in plain.network.layers {
            for i in layer.weightOffset..<layer.biasOffset {  // weights: W − η(g + λ/n W)
                assertClose(regularisedAfter[i], after[i] - eta * lambda / n * initial[i], relative: 1e-13)
            }
            for i in layer.biasOffset..<(layer.weightOffset + layer.parameterCount) {  // biases: untouched by λ
                XCTAssertEqual(regularisedAfter[i], after[i])
            }
        }
    }

    func testL1AddsLambdaOverNTimesTheSignOfTheWeightsOnly() throws {
        let plain = try problem(), regularised = try problem()
        for p in [plain, regularised] { p.network.parameters.base[1] = 0 }  // sign 0 = 0: no L1 term
        let initial = parameters(plain.network)
        let lambda = 2.0, eta = 0.5, n = Double(plain.x.rows)
        _ = try plain.network.fit(.dense(plain.x), plain.y, options: TrainingOptions(epochs: 1, batchSize: 40),
                                  optimizer: try sgd(eta))
        _ = try regularised.network.fit(.dense(regularised.x), regularised.y,
                                        options: TrainingOptions(epochs: 1, batchSize: 40, l1: lambda),
                                        optimizer: try sgd(eta))
        let after = parameters(plain.network), regularisedAfter = parameters(regularised.network)
        for layer in plain.network.layers {
            for i in layer.weightOffset..<layer.biasOffset {  // weights: W − η(g + λ/n sign W)
                let sign: Double = initial[i] > 0 ? 1 : initial[i] < 0 ? -1 : 0
                assertClose(regularisedAfter[i], after[i] - eta * lambda / n * sign, relative: 1e-13)
            }
            for i in layer.biasOffset..<(layer.weightOffset + layer.parameterCount) {  // biases: untouched by λ
                XCTAssertEqual(regularisedAfter[i], after[i])
            }
        }
    }

    /// Rates of 0 are no dropout, bit for bit; a positive rate changes training, reproducibly.
    func testDropoutIsSeededAndZeroRatesChangeNothing() throws {
        var results: [[Double]] = []
        for dropout in [[], [0.0], [0.5], [0.5]] {
            let p = try problem(rows: 300)  // two chunks per batch: the masks continue across chunks
            _ = try p.network.fit(.dense(p.x), p.y, options: TrainingOptions(epochs: 2, batchSize: 300, seed: 4,
                                                                             dropout: dropout),
                                  optimizer: try sgd(0.5))
            results.append(parameters(p.network))
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertNotEqual(results[1], results[2])
        XCTAssertEqual(results[2], results[3])
    }

    func testClippingAndNormalisingBoundTheStep() throws {
        for options in [TrainingOptions(epochs: 1, batchSize: 40, clipNorm: 1e-3),
                        TrainingOptions(epochs: 1, batchSize: 40, normalizeGradient: true)] {
            let p = try problem()
            let before = parameters(p.network)
            _ = try p.network.fit(.dense(p.x), p.y, options: options, optimizer: try sgd(0.1))
            let step = norm(zip(parameters(p.network), before).map { $0 - $1 })
            assertClose(step, options.normalizeGradient ? 0.1 : 0.1 * 1e-3, relative: 1e-12)
        }
    }

    func testEpochRecordsCarryTheRateAndPerLayerGradientNorms() throws {
        let p = try problem()
        let gradient = try Buffer<Double>(count: p.network.parameters.count)
        _ = try p.network.gradient(.dense(p.x), p.y, into: gradient.base, count: gradient.count)
        let expected = p.network.layers.map { layer in
            norm(Array(UnsafeBufferPointer(start: gradient.base + layer.weightOffset, count: layer.parameterCount)))
        }
        var records: [EpochRecord] = []
        let optimizer = try sgd(0.5)
        let result = try p.network.fit(.dense(p.x), p.y, options: TrainingOptions(epochs: 3, batchSize: 40),
                                       optimizer: optimizer) { event in
            if case .epochEnd(_, let record) = event {
                records.append(record)
                try! optimizer.setLearningRate(optimizer.learningRate / 2)  // the handler sets the next epoch's rate
            }
            return true
        }
        XCTAssertEqual(result.ending, .completed)
        XCTAssertEqual(records.map(\.learningRate), [0.5, 0.25, 0.125])
        XCTAssertEqual(optimizer.learningRate, 0.0625)
        for (actual, wanted) in zip(records[0].gradientNorms, expected) { assertClose(actual, wanted, relative: 1e-12) }
    }

    func testTheReportedLossClipsTheProbabilitiesNotTheGradient() throws {
        // Large inputs saturate the outputs: many probabilities beyond [c, 1 − c], where the clip changes the loss.
        let clip = 0.01
        for loss in [Loss.binaryCrossEntropy, .crossEntropy] {
            let clipped = try problem(hidden: .identity, output: loss == .crossEntropy ? .softmax : .sigmoid, loss: loss,
                                   scale: 50)
            let exact = try problem(hidden: .identity, output: loss == .crossEntropy ? .softmax : .sigmoid, loss: loss,
                                   scale: 50)
            let a = try matrix(40, 2, [Double](repeating: 0, count: 80))
            try clipped.network.predict(.dense(clipped.x), into: a)
            guard case .dense(let y) = clipped.y else { return XCTFail("dense targets expected") }
            var wanted = 0.0
            for r in 0..<40 {
                for j in 0..<2 {
                    let p = min(max(a.row(r)[j], clip), 1 - clip), t = y.row(r)[j]
                    wanted -= loss == .crossEntropy ? t * log(p) : t * log(p) + (1 - t) * log(1 - p)
                }
            }
            var reported: [Double] = []
            for (p, c) in [(clipped, clip), (exact, 0)] {
                _ = try p.network.fit(.dense(p.x), p.y, options: TrainingOptions(epochs: 1, batchSize: 40, reportedLossClip: c),
                                      optimizer: try sgd(0.1)) { event in
                    if case .epochEnd(_, let record) = event { reported.append(record.loss) }
                    return true
                }
            }
            assertClose(reported[0], wanted / 40, relative: 1e-12, "\(loss)")
            XCTAssertGreaterThan(abs(reported[1] - reported[0]), 0.1, "\(loss): the clip bites")
            XCTAssertEqual(parameters(clipped.network), parameters(exact.network), "\(loss): the same step")
        }
    }

    func testARateSetInAHandlerAppliesFromTheNextMiniBatch() throws {
        let p = try problem()
        let optimizer = try sgd(0.5)
        var snapshots: [[Double]] = []
        let result = try p.network.fit(.dense(p.x), p.y, options: TrainingOptions(epochs: 1, batchSize: 10, reportBatches: true),
                                       optimizer: optimizer) { event in
            if case .batchEnd(_, let batch, _) = event {
                snapshots.append(self.parameters(p.network))
                if batch == 1 { try! optimizer.setLearningRate(0) }
            }
            return true
        }
        XCTAssertEqual(result.ending, .completed)
        XCTAssertEqual(snapshots.count, 4)
        XCTAssertNotEqual(snapshots[0], snapshots[1])  // η = 0.5 in mini-batch 1
        XCTAssertEqual(snapshots[1], snapshots[2])     // η = 0 from mini-batch 2 on
        XCTAssertEqual(snapshots[2], snapshots[3])
    }

    func testTheHandlerStopsTraining() throws {
        let p = try problem()
        let result = try p.network.fit(.dense(p.x), p.y, options: TrainingOptions(epochs: 10, batchSize: 4),
                                       optimizer: try sgd(0.5)) { event in
            if case .epochEnd(let epoch, _) = event { return epoch < 1 }
            return true
        }
        XCTAssertEqual(result.epochs, 2)
        XCTAssertEqual(result.ending, .stopped)
    }

    func testDivergenceRestoresTheWeightsBeforeTheDivergentStep() throws {
        let p = try problem(hidden: .identity, output: .identity, loss: .mse, scale: 1e3)
        let optimizer = try Optimizer<Double>(rule: .sgd(momentum: 0.9, dampening: 0, nesterov: false),
                                              learningRate: 1, weightDecay: 0)
        var snapshots = [parameters(p.network)]
        let result = try p.network.fit(.dense(p.x), p.y, options: TrainingOptions(epochs: 20, batchSize: 4, reportBatches: true),
                                       optimizer: optimizer) { event in
            if case .batchEnd = event { snapshots.append(self.parameters(p.network)) }
            return true
        }
        guard case .diverged(let message) = result.ending else { return XCTFail("expected divergence, got \(result)") }
        XCTAssertTrue(message.contains("smaller learning rate"), message)
        // The step that would have made the gradient or θ non-finite is not taken: θ is the one the
        // last finished mini-batch left, and finite.
        XCTAssertEqual(parameters(p.network), snapshots[snapshots.count - 1])
        XCTAssertTrue(parameters(p.network).allSatisfy(\.isFinite))
        XCTAssertGreaterThan(snapshots.count, 2)
        XCTAssertEqual(optimizer.steps, 0)
    }

    func testBadOptionsAreErrors() throws {
        let p = try problem()
        XCTAssertTrue(coreErrorMessage {
            _ = try p.network.fit(.dense(p.x), p.y, options: TrainingOptions(epochs: 1, batchSize: 0), optimizer: try self.sgd(1))
        }.contains("batch_size"))
        XCTAssertTrue(coreErrorMessage {
            _ = try p.network.fit(.dense(p.x), p.y, options: TrainingOptions(epochs: 1, batchSize: 1, l2: -1),
                                  optimizer: try self.sgd(1))
        }.contains("l2"))
        for options in [TrainingOptions(epochs: 1, batchSize: 1, l1: -1), TrainingOptions(epochs: 1, batchSize: 1, l1: .nan),
                        TrainingOptions(epochs: 1, batchSize: 1, dropout: [1]),
                        TrainingOptions(epochs: 1, batchSize: 1, dropout: [.nan]),
                        TrainingOptions(epochs: 1, batchSize: 1, dropout: [0.5, 0.5])] {
            let message = coreErrorMessage { _ = try p.network.fit(.dense(p.x), p.y, options: options, optimizer: try self.sgd(1)) }
            XCTAssertTrue(message.contains(options.l1 != 0 ? "l1" : "dropout"), message)
        }
    }
}
