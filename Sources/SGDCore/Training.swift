/// How `fit` trains: `batchSize` 1 is stochastic gradient descent, `batchSize` ≥ n batch gradient
/// descent; a last partial batch is used, not dropped.
public struct TrainingOptions: Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var shuffle: Bool
    /// The shuffle's random generator: `Random(seed:stream:)`.
    public var seed: UInt64
    public var stream: UInt64

    public init(epochs: Int, batchSize: Int, learningRate: Double, shuffle: Bool = true,
                seed: UInt64 = 0, stream: UInt64 = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.shuffle = shuffle
        self.seed = seed
        self.stream = stream
    }
}

/// What one epoch achieved. `loss` and `accuracy` are averaged over the epoch's mini-batches as they
/// were trained (the model changes during the epoch); validation is measured at the epoch's end.
public struct EpochRecord: Sendable {
    public var loss: Double
    public var accuracy: Double?
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var seconds: Double
}

/// Called after every epoch with its record, and every few milliseconds between mini-batches with
/// nil; returning false stops training at that point.
public typealias ProgressHandler = (_ epoch: Int, _ record: EpochRecord?) -> Bool

extension Network {
    /// Minimum time between two progress calls inside an epoch: often enough to honour Ctrl-C at once,
    /// rarely enough to cost nothing.
    static var progressInterval: Duration { .milliseconds(10) }

    /// Mini-batch gradient descent: for each epoch, a new seeded permutation of the rows (if
    /// `shuffle`), then for each batch of m rows θ ← θ − η·(1/m)Σ_x ∇θ C_x. Returns the number of
    /// finished epochs and whether `progress` stopped training (the model then holds the result of the
    /// last finished mini-batch).
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func fit(
        _ x: Matrix<T>, _ y: Targets<T>, validation: (x: Matrix<T>, y: Targets<T>)? = nil,
        options: TrainingOptions, progress: ProgressHandler = { _, _ in true }
    ) throws -> (epochs: Int, stopped: Bool) {
        try validate(x, y)
        if let validation { try validate(validation.x, validation.y, name: "validation X", targetName: "validation Y") }
        try require(x.rows > 0, "X: needs at least one row, got 0")
        try require(validation.map { $0.x.rows > 0 } ?? true, "validation X: needs at least one row, got 0")
        try require(options.epochs >= 0, "epochs: must be at least 0, got \(options.epochs)")
        try require(options.batchSize >= 1, "batch_size: must be at least 1, got \(options.batchSize)")
        try require(options.learningRate.isFinite && options.learningRate > 0,
                    "lr: must be a finite number above 0, got \(options.learningRate)")

        let n = x.rows
        let batchSize = min(options.batchSize, n)
        let workspace = try Workspace(self, capacity: min(Self.chunkRows, batchSize))
        let validationWorkspace = try validation.map { try Workspace(self, capacity: min(Self.chunkRows, $0.x.rows)) }
        let gradient = try Buffer<T>(count: parameters.count)
        let order = try Buffer<Int>.indices(n)
        let descent = GradientDescent(learningRate: T(options.learningRate))
        var random = Random(seed: options.seed, stream: options.stream)
        let clock = ContinuousClock()
        var lastProgress = clock.now

        for epoch in 0..<options.epochs {
            let epochStart = clock.now
            if options.shuffle { random.shuffle(order.buffer) }
            var lossSum = 0.0, correct = 0
            for batchStart in stride(from: 0, to: n, by: batchSize) {
                let count = min(batchSize, n - batchStart)
                let selection: RowSelection = options.shuffle
                    ? .indices(UnsafeBufferPointer(rebasing: order.buffer[batchStart..<(batchStart + count)]))
                    : .range(batchStart..<(batchStart + count))
                let batch = accumulateGradient(x, y, selection, workspace: workspace, into: gradient.base)
                descent.step(parameters.base, gradient: gradient.base, count: parameters.count)
                lossSum += batch.loss * Double(count)
                correct += batch.correct
                if clock.now - lastProgress >= Self.progressInterval {
                    lastProgress = clock.now
                    if !progress(epoch, nil) { return (epoch, true) }
                }
            }
            var record = EpochRecord(loss: lossSum / Double(n), accuracy: hasAccuracy ? Double(correct) / Double(n) : nil,
                                     seconds: 0)
            if let validation, let validationWorkspace {
                let result = evaluate(validation.x, validation.y, workspace: validationWorkspace)
                record.validationLoss = result.loss
                record.validationAccuracy = hasAccuracy ? Double(result.correct) / Double(validation.x.rows) : nil
            }
            record.seconds = (clock.now - epochStart).seconds
            lastProgress = clock.now
            if !progress(epoch, record) { return (epoch + 1, true) }
        }
        return (options.epochs, false)
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
