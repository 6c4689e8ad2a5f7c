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

    func testSameSeedSameModelOtherStreamOtherModel() throws {
        var results: [[Double]] = []
        for stream in [UInt64(0), 0, 1] {
            let p = try problem()
            _ = try p.network.fit(p.x, p.y, options: TrainingOptions(epochs: 3, batchSize: 7, seed: 9, stream: stream),
                                  optimizer: try sgd(0.5))
            results.append(parameters(p.network))
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertNotEqual(results[0], results[2])
    }

    func testL2AddsLambdaOverNTimesTheWeightsOnly() throws {
        let plain = try problem(), regularised = try problem()
        let initial = parameters(plain.network)
        let lambda = 2.0, eta = 0.5, n = Double(plain.x.rows)
        _ = try plain.network.fit(plain.x, plain.y, options: TrainingOptions(epochs: 1, batchSize: 40),
                                  optimizer: try sgd(eta))
        _ = try regularised.network.fit(regularised.x, regularised.y,
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

    func testClippingAndNormalisingBoundTheStep() throws {
        for options in [TrainingOptions(epochs: 1, batchSize: 40, clipNorm: 1e-3),
                        TrainingOptions(epochs: 1, batchSize: 40, normalizeGradient: true)] {
            let p = try problem()
            let before = parameters(p.network)
            _ = try p.network.fit(p.x, p.y, options: options, optimizer: try sgd(0.1))
            let step = norm(zip(parameters(p.network), before).map { $0 - $1 })
            assertClose(step, options.normalizeGradient ? 0.1 : 0.1 * 1e-3, relative: 1e-12)
        }
    }

    func testEpochRecordsCarryTheRateAndPerLayerGradientNorms() throws {
        let p = try problem()
        let gradient = try Buffer<Double>(count: p.network.parameters.count)
        _ = try p.network.gradient(p.x, p.y, into: gradient.base, count: gradient.count)
        let expected = p.network.layers.map { layer in
            norm(Array(UnsafeBufferPointer(start: gradient.base + layer.weightOffset, count: layer.parameterCount)))
        }
        var records: [EpochRecord] = []
        let optimizer = try sgd(0.5)
        let result = try p.network.fit(p.x, p.y, options: TrainingOptions(epochs: 3, batchSize: 40),
                                       optimizer: optimizer) { event in
            if case .epochEnd(_, let record) = event {
                records.append(record)
                XCTAssertNoThrow(try optimizer.setLearningRate(optimizer.learningRate / 2))  // the next epoch's rate
            }
            return true
        }
        XCTAssertEqual(result.ending, .completed)
        XCTAssertEqual(records.map(\.learningRate), [0.5, 0.25, 0.125])
        for (actual, wanted) in zip(records[0].gradientNorms, expected) { assertClose(actual, wanted, relative: 1e-12) }
    }

    func testTheHandlerStopsTraining() throws {
        let p = try problem()
        let result = try p.network.fit(p.x, p.y, options: TrainingOptions(epochs: 10, batchSize: 4),
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
        let result = try p.network.fit(p.x, p.y, options: TrainingOptions(epochs: 20, batchSize: 4, reportBatches: true),
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
            _ = try p.network.fit(p.x, p.y, options: TrainingOptions(epochs: 1, batchSize: 0), optimizer: try self.sgd(1))
        }.contains("batch_size"))
        XCTAssertTrue(coreErrorMessage {
            _ = try p.network.fit(p.x, p.y, options: TrainingOptions(epochs: 1, batchSize: 1, l2: -1),
                                  optimizer: try self.sgd(1))
        }.contains("l2"))
    }
}
