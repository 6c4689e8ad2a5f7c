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

/// Receives every event, with the loop paused at a consistent point: the handler may set the
/// optimizer's rate (`setLearningRate`), which applies from the next mini-batch on. Returning false
/// stops training at that point.
public typealias ProgressHandler = (_ event: TrainingEvent) -> Bool

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
    ///
    /// A step reads θ and writes θ′ into a second buffer; the two then swap roles. A step that would
    /// make θ′ non-finite is therefore simply not taken, without copying θ before every step. The
    /// network's own buffer (the one NumPy sees) holds θ whenever control leaves the core: at every
    /// progress event but ticks, and on return.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func fit(
        _ x: Matrix<T>, _ y: Targets<T>, validation: (x: Matrix<T>, y: Targets<T>)? = nil,
        options: TrainingOptions, optimizer: Optimizer<T>,
        progress: ProgressHandler = { _ in true }
    ) throws -> FitResult {
        try validate(x, y)
        if let validation { try validate(validation.x, validation.y, name: "validation_data X", targetName: "validation_data Y") }
        try require(x.rows > 0, "X: needs at least one row, got 0")
        try require(validation.map { $0.x.rows > 0 } ?? true, "validation_data X: needs at least one row, got 0")
        try options.validate()
        try optimizer.prepare(count: parameters.count)

        let n = x.rows
        let batchSize = min(options.batchSize, n)
        let workspace = try Workspace(self, capacity: min(Self.chunkRows, batchSize), backpropagates: true)
        let validationWorkspace = try validation.map {
            try Workspace(self, capacity: min(Self.chunkRows, $0.x.rows), backpropagates: true)
        }
        let gradient = try Buffer<T>(count: parameters.count)
        let stepper = try Stepper(self, options: options, rows: n)
        let otherHalf = try Buffer<T>(count: parameters.count)
        var spare = otherHalf.base
        func publish() {
            guard workspace.theta != parameters.base else { return }
            parameters.base.update(from: workspace.theta, count: parameters.count)
            spare = workspace.theta
            workspace.theta = parameters.base
        }
        defer { publish() }
        let order = try Buffer<Int>.indices(n)
        var random = Random(seed: options.seed, stream: options.stream)
        let clock = ContinuousClock()
        var lastProgress = clock.now

        func diverged(_ epoch: Int, _ batch: Int, _ what: String) throws -> FitResult {
            try optimizer.reset(count: parameters.count)  // θ itself is the one from before the divergent step
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
                guard result.loss.isFinite else { return try diverged(epoch, batch, "the loss is \(result.loss)") }
                let stepIsFinite = stepper.step(optimizer, gradient: gradient.base, from: workspace.theta, into: spare)
                guard stepIsFinite else {
                    return try diverged(epoch, batch, "the step made the gradient or some parameters \(T.nan) or infinite")
                }
                (workspace.theta, spare) = (spare, workspace.theta)
                for l in layers.indices { normSums[l] += stepper.layerSquares[l].squareRoot() }
                lossSum += result.loss * Double(count)
                correct += result.correct
                if options.reportBatches {
                    publish()
                    lastProgress = clock.now
                    if !progress(.batchEnd(epoch: epoch, batch: batch, loss: result.loss)) {
                        return FitResult(epochs: epoch, ending: .stopped)
                    }
                } else if clock.now - lastProgress >= Self.progressInterval {
                    lastProgress = clock.now
                    if !progress(.tick(epoch: epoch, rows: batchStart + count)) {
                        return FitResult(epochs: epoch, ending: .stopped)
                    }
                }
            }
            publish()
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
            if !progress(.epochEnd(epoch: epoch, record: record)) {
                return FitResult(epochs: epoch + 1, ending: .stopped)
            }
        }
        return FitResult(epochs: options.epochs, ending: .completed)
    }
}

/// One optimizer step over the whole parameter vector, in shape-fixed tiles run in parallel, with
/// the per-layer squared gradient norms the history reports. Sized once per fit.
final class Stepper<T: Scalar> {
    private let network: Network<T>
    private let tiles: Tiling
    private let l2: Double, clipNorm: Double, normalize: Bool
    private let rows: Int
    /// Per tile and layer (tile-major): Σg², Σg·W and ΣW² over the tile's part of the layer.
    private let squares: Buffer<Double>, crossTerms: Buffer<Double>, weightSquares: Buffer<Double>
    private let finiteTiles: Buffer<Bool>
    /// ‖∂C/∂(W_l, b_l)‖² of the last step, before regularisation and clipping.
    private(set) var layerSquares: [Double]

    init(_ network: Network<T>, options: TrainingOptions, rows: Int) throws {
        self.network = network
        tiles = Tiling(extent: network.parameters.count, workPerUnit: 1, minimumWork: Network<T>.minimumElementwiseTile,
                       granule: 16)
        (l2, clipNorm, normalize, self.rows) = (options.l2, options.clipNorm, options.normalizeGradient, rows)
        let partials = tiles.count * network.layers.count
        squares = try Buffer(count: partials, repeating: 0)
        crossTerms = try Buffer(count: partials, repeating: 0)
        weightSquares = try Buffer(count: partials, repeating: 0)
        finiteTiles = try Buffer(count: tiles.count, repeating: true)
        layerSquares = [Double](repeating: 0, count: network.layers.count)
    }

    /// θ′ = the optimizer's update of θ with g = s·(∇C + κW): κ = λ/n is Nielsen's L2 term (weights
    /// only) and s rescales the result to norm `clipNorm` when longer, or to norm 1 when normalising.
    /// Returns whether the gradient and θ′ are finite; θ is never written.
    func step(_ optimizer: Optimizer<T>, gradient: UnsafePointer<T>, from theta: UnsafePointer<T>,
              into next: UnsafeMutablePointer<T>) -> Bool {
        let layers = network.layers.count, kappa = l2 / Double(rows)
        let needsNormFirst = clipNorm > 0 || normalize
        var scale = 1.0
        if needsNormFirst {
            WorkerPool.shared.run(tiles.count) { t in
                forEachSegment(of: t) { l, segment, isWeights in
                    let g = gradient + segment.lowerBound, w = theta + segment.lowerBound, n = segment.count
                    squares.base[t * layers + l] += Double(T.dot(count: n, g, g))
                    if isWeights && kappa > 0 {
                        crossTerms.base[t * layers + l] += Double(T.dot(count: n, g, w))
                        weightSquares.base[t * layers + l] += Double(T.dot(count: n, w, w))
                    }
                }
            }
            // ‖g + κW‖² = ‖g‖² + 2κ g·W + κ²‖W‖², without forming g + κW
            var total = 0.0
            for l in 0..<layers {
                for t in 0..<tiles.count {
                    let i = t * layers + l
                    total += squares.base[i] + 2 * kappa * crossTerms.base[i] + kappa * kappa * weightSquares.base[i]
                }
            }
            let norm = total.squareRoot()
            if normalize, norm > 0 { scale = 1 / norm } else if clipNorm > 0, norm > clipNorm { scale = clipNorm / norm }
        }
        optimizer.beginStep()
        let s = T(scale), penalty = T(kappa)
        WorkerPool.shared.run(tiles.count) { t in
            forEachSegment(of: t) { l, segment, isWeights in
                let offset = segment.lowerBound, n = segment.count
                if !needsNormFirst { squares.base[t * layers + l] += Double(T.dot(count: n, gradient + offset, gradient + offset)) }
                optimizer.update(theta + offset, gradient: gradient + offset, into: next + offset, offset: offset, count: n,
                                 gradientScale: s, penalty: isWeights ? penalty : 0)
            }
            let range = tiles.range(t)
            finiteTiles.base[t] = allFinite(next + range.lowerBound, count: range.count)
        }
        var finite = true
        for l in 0..<layers {
            layerSquares[l] = 0
            for t in 0..<tiles.count { layerSquares[l] += squares.base[t * layers + l] }
            finite = finite && layerSquares[l].isFinite
        }
        for t in 0..<tiles.count { finite = finite && finiteTiles.base[t] }
        squares.base.update(repeating: 0, count: squares.count)
        crossTerms.base.update(repeating: 0, count: crossTerms.count)
        weightSquares.base.update(repeating: 0, count: weightSquares.count)
        return finite
    }

    /// Calls body(layer, range, isWeights) for each layer's weights and biases within tile t.
    private func forEachSegment(of t: Int, _ body: (Int, Range<Int>, Bool) -> Void) {
        let tile = tiles.range(t)
        for (l, layer) in network.layers.enumerated() {
            let weights = (layer.weightOffset..<layer.biasOffset).clamped(to: tile)
            let biases = (layer.biasOffset..<(layer.weightOffset + layer.parameterCount)).clamped(to: tile)
            if !weights.isEmpty { body(l, weights, true) }
            if !biases.isEmpty { body(l, biases, false) }
        }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
