/// How `fit` trains: `batchSize` 1 is stochastic gradient descent, `batchSize` ≥ n batch gradient
/// descent; a last partial batch is used, not dropped.
public struct TrainingOptions: Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var shuffle: Bool
    /// The shuffle's random generator: `Random(seed:stream:)`.
    public var seed: UInt64
    public var stream: UInt64
    /// Nielsen's L2 regularisation: C = C₀ + λ/(2n) Σ w² over the weights (not the biases), n the
    /// number of training rows, so each weight's gradient gains (λ/n)·w.
    public var l2: Double
    /// Rescales the gradient to this global norm when it is longer (0: never).
    public var clipNorm: Double
    /// Divides the gradient by its global norm, so that plain SGD moves exactly η each step:
    /// Δθ = −η ∇C/‖∇C‖ (‖Δθ‖ = ε with η = ε).
    public var normalizeGradient: Bool
    /// Report every finished mini-batch to the progress handler.
    public var reportBatches: Bool

    public init(epochs: Int, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0, stream: UInt64 = 0,
                l2: Double = 0, clipNorm: Double = 0, normalizeGradient: Bool = false, reportBatches: Bool = false) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.stream = stream
        self.l2 = l2
        self.clipNorm = clipNorm
        self.normalizeGradient = normalizeGradient
        self.reportBatches = reportBatches
    }

    func validate() throws {
        try require(epochs >= 0, "epochs: expected at least 0, got \(epochs)")
        try require(batchSize >= 1, "batch_size: expected at least 1, got \(batchSize)")
        try require(l2.isFinite && l2 >= 0, "l2: expected a finite number ≥ 0, got \(l2)")
        try require(clipNorm.isFinite && clipNorm >= 0, "clip_norm: expected a finite number ≥ 0, got \(clipNorm)")
    }
}

/// What one epoch achieved. `loss` (of the data, without the L2 term) and `accuracy` are averaged
/// over the epoch's mini-batches as they were trained (the model changes during the epoch);
/// validation is measured at the epoch's end. `gradientNorms[l]` is the mean over the mini-batches of
/// the norm of layer l's gradient ‖(∂C/∂W_l, ∂C/∂b_l)‖.
public struct EpochRecord: Sendable {
    public var loss: Double
    public var accuracy: Double?
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var learningRate: Double
    public var seconds: Double
    public var gradientNorms: [Double]
}

/// What the training loop reports while it runs.
public enum TrainingEvent {
    /// At least every few milliseconds: `rows` of the epoch are done.
    case tick(epoch: Int, rows: Int)
    /// After every mini-batch, when `TrainingOptions.reportBatches`.
    case batchEnd(epoch: Int, batch: Int, loss: Double)
    case epochEnd(epoch: Int, record: EpochRecord)
}

/// Receives every event; may change the learning rate (from the next mini-batch on). Returning false
/// stops training at that point.
public typealias ProgressHandler = (_ event: TrainingEvent, _ learningRate: inout Double) -> Bool

/// How a `fit` ended: after `epochs` finished epochs, and why.
public struct FitResult: Sendable {
    public enum Ending: Sendable, Equatable {
        case completed
        /// The progress handler asked to stop; the model holds the last finished mini-batch's result.
        case stopped
        /// The loss or gradient stopped being finite; the model holds the weights from before the
        /// step that caused it and the optimizer's state was reset.
        case diverged(String)
    }

    public var epochs: Int
    public var ending: Ending
}

extension Network {
    /// Minimum time between two progress calls inside an epoch: often enough to honour Ctrl-C at once,
    /// rarely enough to cost nothing.
    static var progressInterval: Duration { .milliseconds(10) }

    /// Mini-batch gradient descent: for each epoch, a new seeded permutation of the rows (if
    /// `shuffle`), then for each batch of m rows the gradient g = (1/m)Σ_x ∇θ C_x, regularised,
    /// clipped or normalised as the options say, and one step of `optimizer`.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func fit(
        _ x: Matrix<T>, _ y: Targets<T>, validation: (x: Matrix<T>, y: Targets<T>)? = nil,
        options: TrainingOptions, optimizer: Optimizer<T>,
        progress: ProgressHandler = { _, _ in true }
    ) throws -> FitResult {
        try validate(x, y)
        if let validation { try validate(validation.x, validation.y, name: "validation X", targetName: "validation Y") }
        try require(x.rows > 0, "X: needs at least one row, got 0")
        try require(validation.map { $0.x.rows > 0 } ?? true, "validation X: needs at least one row, got 0")
        try options.validate()
        try optimizer.prepare(count: parameters.count)

        let n = x.rows
        let batchSize = min(options.batchSize, n)
        let workspace = try Workspace(self, capacity: min(Self.chunkRows, batchSize))
        let validationWorkspace = try validation.map { try Workspace(self, capacity: min(Self.chunkRows, $0.x.rows)) }
        let gradient = try Buffer<T>(count: parameters.count)
        let previous = try Buffer<T>(count: parameters.count)  // θ before the last step, to undo a divergent one
        previous.base.update(from: parameters.base, count: parameters.count)
        let order = try Buffer<Int>.indices(n)
        var layerSquares = [Double](repeating: 0, count: layers.count)
        var random = Random(seed: options.seed, stream: options.stream)
        let clock = ContinuousClock()
        var lastProgress = clock.now

        func diverged(_ epoch: Int, _ batch: Int, _ what: String) throws -> FitResult {
            parameters.base.update(from: previous.base, count: parameters.count)
            try optimizer.reset(count: parameters.count)
            return FitResult(epochs: epoch, ending: .diverged(
                "training diverged in epoch \(epoch + 1) (mini-batch \(batch + 1)): \(what). The weights from before the "
                + "divergent step are restored and the optimizer's state is reset; try a smaller learning rate "
                + "(it was \(optimizer.learningRate))"))
        }

        for epoch in 0..<options.epochs {
            let epochStart = clock.now
            let epochLearningRate = optimizer.learningRate
            if options.shuffle { random.shuffle(order.buffer) }
            var lossSum = 0.0, correct = 0
            var normSums = [Double](repeating: 0, count: layers.count)
            for (batch, batchStart) in stride(from: 0, to: n, by: batchSize).enumerated() {
                let count = min(batchSize, n - batchStart)
                let selection: RowSelection = options.shuffle
                    ? .indices(UnsafeBufferPointer(rebasing: order.buffer[batchStart..<(batchStart + count)]))
                    : .range(batchStart..<(batchStart + count))
                let result = accumulateGradient(x, y, selection, workspace: workspace, into: gradient.base)
                var squaredNorm = squaredLayerNorms(gradient.base, into: &layerSquares)
                guard result.loss.isFinite, squaredNorm.isFinite else {
                    return try diverged(epoch, batch, "the loss is \(result.loss) and the gradient's squared norm \(squaredNorm)")
                }
                for l in layers.indices { normSums[l] += layerSquares[l].squareRoot() }
                if options.l2 > 0 { squaredNorm = addWeightPenalty(options.l2 / Double(n), to: gradient.base) }
                let norm = squaredNorm.squareRoot()
                if options.normalizeGradient, norm > 0 {
                    scale(gradient.base, count: parameters.count, by: 1 / norm)
                } else if options.clipNorm > 0, norm > options.clipNorm {
                    scale(gradient.base, count: parameters.count, by: options.clipNorm / norm)
                }
                previous.base.update(from: parameters.base, count: parameters.count)
                optimizer.beginStep()
                optimizer.update(parameters.base, gradient: gradient.base, offset: 0, count: parameters.count)
                lossSum += result.loss * Double(count)
                correct += result.correct
                if options.reportBatches {
                    lastProgress = clock.now
                    if !progress(.batchEnd(epoch: epoch, batch: batch, loss: result.loss), &optimizer.learningRate) {
                        return FitResult(epochs: epoch, ending: .stopped)
                    }
                } else if clock.now - lastProgress >= Self.progressInterval {
                    lastProgress = clock.now
                    if !progress(.tick(epoch: epoch, rows: batchStart + count), &optimizer.learningRate) {
                        return FitResult(epochs: epoch, ending: .stopped)
                    }
                }
            }
            if !isFinite(parameters.base, count: parameters.count) {
                return try diverged(epoch, (n - 1) / batchSize, "the last step made some parameters \(T.nan) or infinite")
            }
            let batches = Double((n + batchSize - 1) / batchSize)
            var record = EpochRecord(
                loss: lossSum / Double(n), accuracy: hasAccuracy ? Double(correct) / Double(n) : nil,
                learningRate: epochLearningRate, seconds: 0, gradientNorms: normSums.map { $0 / batches })
            if let validation, let validationWorkspace {
                let result = evaluate(validation.x, validation.y, workspace: validationWorkspace)
                record.validationLoss = result.loss
                record.validationAccuracy = hasAccuracy ? Double(result.correct) / Double(validation.x.rows) : nil
            }
            record.seconds = (clock.now - epochStart).seconds
            lastProgress = clock.now
            if !progress(.epochEnd(epoch: epoch, record: record), &optimizer.learningRate) {
                return FitResult(epochs: epoch + 1, ending: .stopped)
            }
        }
        return FitResult(epochs: options.epochs, ending: .completed)
    }

    /// Σ g² over each layer's slice of `gradient` into `squares`; returns their total.
    func squaredLayerNorms(_ gradient: UnsafePointer<T>, into squares: inout [Double]) -> Double {
        var total = 0.0
        for (l, layer) in layers.enumerated() {
            let slice = gradient + layer.weightOffset
            squares[l] = Double(T.dot(count: layer.parameterCount, slice, slice))
            total += squares[l]
        }
        return total
    }

    /// g_W ← g_W + κ·W for every layer's weights; returns the new ‖g‖².
    func addWeightPenalty(_ kappa: Double, to gradient: UnsafeMutablePointer<T>) -> Double {
        let k = T(kappa)
        for (l, layer) in layers.enumerated() {
            let w = weights(l).base, g = gradient + layer.weightOffset
            for i in 0..<layer.fanIn * layer.fanOut { g[i] += k * w[i] }
        }
        return Double(T.dot(count: parameters.count, gradient, gradient))
    }
}

func scale<T: Scalar>(_ values: UnsafeMutablePointer<T>, count: Int, by factor: Double) {
    let f = T(factor)
    for i in 0..<count { values[i] *= f }
}

func isFinite<T: Scalar>(_ values: UnsafePointer<T>, count: Int) -> Bool {
    var sum: T = 0
    for i in 0..<count { sum += values[i] * 0 }  // 0·x is NaN exactly when x is NaN or infinite
    return !sum.isNaN
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
