extension Network {
    /// Minimum time between two progress calls inside an epoch: often enough to honour Ctrl-C at once,
    /// rarely enough to cost nothing.
    static var progressInterval: Duration { .milliseconds(10) }

    /// Mini-batch gradient descent: for each epoch, a new seeded permutation of the rows (if
    /// `shuffle`), then for each batch of m rows the gradient g = (1/m)Σ_x ∇θ C_x, regularised,
    /// clipped or normalised as the options say, and one step of `optimizer`. With `dropout`, each
    /// batch's forward and backward passes drop hidden units with masks keyed by the batch's number in
    /// the fit (epoch·batches + batch) and the options' seed and stream (`DropoutMasks`).
    ///
    /// With row `weights` w (shuffled with their rows), a batch's gradient is that of Σ_x w_x C_x / Σ_x w_x
    /// and its L2 term κ = λ/n is scaled by m/Σ_x w_x (scikit-learn's: each batch's penalty is divided by
    /// its weight where it is otherwise divided by its rows); a batch whose weights sum to 0 has no cost
    /// to descend and is skipped (no step). The epoch's loss is scikit-learn's Σ_batches m·C_batch / n,
    /// its accuracy the weight of the correct rows over Σw. `validationWeights` weight the validation
    /// loss and accuracy alike.
    ///
    /// A step reads θ and writes θ′ into a second buffer; the two then swap roles. A step that would
    /// make θ′ non-finite is therefore simply not taken, without copying θ before every step. The
    /// network's own buffer (the one NumPy sees) holds θ whenever control leaves the core: at every
    /// progress event but ticks, and on return.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func fit(
        _ x: Inputs<T>, _ y: Targets<T>, validation: (x: Inputs<T>, y: Targets<T>)? = nil,
        options: TrainingOptions, optimizer: Optimizer<T>,
        weights rowWeights: UnsafeBufferPointer<T>? = nil, validationWeights: UnsafeBufferPointer<T>? = nil,
        progress: ProgressHandler = { _ in true }
    ) throws -> FitResult {
        try validate(x, y)
        if let validation { try validate(validation.x, validation.y, name: "validation_data X", targetName: "validation_data Y") }
        try require(x.rows > 0, "X: needs at least one row, got 0")
        try require(validation.map { $0.x.rows > 0 } ?? true, "validation_data X: needs at least one row, got 0")
        try requirePositiveWeight(rowWeights, rows: x.rows)
        try require(validationWeights == nil || validation != nil, "validation sample_weight: given without validation data")
        try requirePositiveWeight(validationWeights, rows: validation?.x.rows ?? 0, name: "validation sample_weight")
        let weights = rowWeights?.baseAddress
        let totalWeight = selectionWeight(weights, .range(0..<x.rows))
        try options.validate(hiddenLayers: layers.count - 1)
        try optimizer.prepare(count: parameters.count)

        let n = x.rows
        let batchSize = min(options.batchSize, n)
        let workspace = try Workspace(self, capacity: min(Self.chunkRows, batchSize), backpropagates: true,
                                      gathersAhead: options.shuffle, for: x,
                                      dropout: (options.dropout, options.seed, options.stream))
        workspace.lossClip = T(options.reportedLossClip)
        let validationWorkspace = try validation.map {
            try Workspace(self, capacity: min(Self.chunkRows, $0.x.rows), backpropagates: false, for: $0.x)
        }
        let gradient = try Buffer<T>(count: parameters.count)
        let step = try GradientStep(self, options: options, rows: n, batchRows: batchSize)
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

        let batches = (n + batchSize - 1) / batchSize
        for epoch in 0..<options.epochs {
            let epochStart = clock.now
            let epochLearningRate = optimizer.learningRate
            if options.shuffle { random.shuffle(order.buffer) }
            var lossSum = 0.0, correct = 0.0
            var normSums = [Double](repeating: 0, count: layers.count)
            func batchRows(from start: Int) -> RowSelection {
                let rows = start..<min(start + batchSize, n)
                return options.shuffle ? .indices(UnsafeBufferPointer(rebasing: order.buffer[rows])) : .range(rows)
            }
            for (batch, batchStart) in stride(from: 0, to: n, by: batchSize).enumerated() {
                let count = min(batchSize, n - batchStart)
                workspace.dropout?.batch = UInt64(epoch) &* UInt64(batches) &+ UInt64(batch)
                let next = batchStart + batchSize < n ? batchRows(from: batchStart + batchSize) : nil
                let result = accumulateGradient(x, y, batchRows(from: batchStart), workspace: workspace,
                                                into: gradient.base, next: next, weights: weights)
                guard result.loss.isFinite else { return try diverged(epoch, batch, "the loss is \(result.loss)") }
                if result.weight > 0 {
                    let stepIsFinite = step.take(optimizer, gradient: gradient.base, from: workspace.theta, into: spare,
                                                 penaltyScale: weights == nil ? 1 : Double(count) / result.weight)
                    guard stepIsFinite else {
                        return try diverged(epoch, batch, "the step made the gradient or some parameters \(T.nan) or infinite")
                    }
                    (workspace.theta, spare) = (spare, workspace.theta)
                    for l in layers.indices { normSums[l] += step.layerSquares[l].squareRoot() }
                }
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
            var record = EpochRecord(
                loss: lossSum / Double(n), accuracy: hasAccuracy ? correct / totalWeight : nil,
                learningRate: epochLearningRate, seconds: 0, gradientNorms: normSums.map { $0 / Double(batches) })
            if let validation, let validationWorkspace {
                let result = evaluate(validation.x, validation.y, workspace: validationWorkspace,
                                      weights: validationWeights?.baseAddress)
                guard result.loss.isFinite else {  // finite weights whose outputs overflow on the validation rows
                    try optimizer.reset(count: parameters.count)
                    return FitResult(epochs: epoch, ending: .diverged(
                        "training diverged in epoch \(epoch + 1): the validation loss is \(result.loss) (the weights are "
                        + "finite, but the network's outputs overflow on the validation data). The network holds the "
                        + "weights after the epoch's last step and the optimizer's state is reset; try a smaller "
                        + "learning rate, scaled inputs or more regularisation"))
                }
                record.validationLoss = result.loss
                record.validationAccuracy = hasAccuracy
                    ? result.correct / selectionWeight(validationWeights?.baseAddress, .range(0..<validation.x.rows)) : nil
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

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
