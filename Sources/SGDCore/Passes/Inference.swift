/// What callers ask of a trained network: predictions, the mean loss and accuracy, and the gradient.
/// Rows are processed in chunks of at most `chunkRows`, through one workspace.
extension Network {
    /// Output activations for the rows of x, written into `output` (x.rows × outputs).
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func predict(_ x: Inputs<T>, into output: Matrix<T>) throws {
        try validate(x, nil)
        try require(output.rows == x.rows && output.columns == outputCount,
                    "out: expected \(x.rows) × \(outputCount) scalars, got \(output.rows) × \(output.columns)")
        let workspace = try Workspace(self, capacity: min(Self.chunkRows, max(x.rows, 1)), backpropagates: false, for: x)
        for start in stride(from: 0, to: x.rows, by: workspace.capacity) {
            let rows = start..<min(start + workspace.capacity, x.rows)
            let result = forward(x.rows(rows), workspace)
            output.rows(rows).base.update(from: result.base, count: result.count)
        }
    }

    /// Mean loss and number of correctly classified rows (nil when accuracy is undefined); with row
    /// `weights`, the weighted mean Σwℓ/Σw and the total weight of the correct rows.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func evaluate(_ x: Inputs<T>, _ y: Targets<T>,
                         weights: UnsafeBufferPointer<T>? = nil) throws -> (loss: Double, correct: Double?) {
        try validate(x, y)
        try require(x.rows > 0, "X: needs at least one row, got 0")
        try requirePositiveWeight(weights, rows: x.rows)
        let workspace = try Workspace(self, capacity: min(Self.chunkRows, x.rows), backpropagates: false, for: x)
        let result = evaluate(x, y, workspace: workspace, weights: weights?.baseAddress)
        return (result.loss, hasAccuracy ? result.correct : nil)
    }

    func evaluate(_ x: Inputs<T>, _ y: Targets<T>, workspace: Workspace<T>,
                  weights: UnsafePointer<T>? = nil) -> (loss: Double, correct: Double) {
        var lossSum = 0.0, correct = 0.0
        for start in stride(from: 0, to: x.rows, by: workspace.capacity) {
            let count = min(workspace.capacity, x.rows - start)
            let (xs, ys) = chunk(x, y, .range(0..<x.rows), start: start, count: count, workspace)
            forward(xs, workspace, targets: ys,
                    weights: chunkWeights(weights, .range(0..<x.rows), start: start, count: count, workspace))
            let totals = workspace.scoreTotals()
            lossSum += totals.loss
            correct += totals.correct
        }
        return (lossSum / selectionWeight(weights, .range(0..<x.rows)), correct)
    }

    /// ∇θ C of the mean loss over all rows (with row `weights`, of Σwℓ/Σw), laid out like `parameters`.
    /// Returns the loss.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func gradient(_ x: Inputs<T>, _ y: Targets<T>, into gradient: UnsafeMutablePointer<T>, count: Int,
                         weights: UnsafeBufferPointer<T>? = nil) throws -> Double {
        try validate(x, y)
        try require(x.rows > 0, "X: needs at least one row, got 0")
        try require(count == parameters.count, "gradient: expected \(parameters.count) scalars, got \(count)")
        try requirePositiveWeight(weights, rows: x.rows)
        let workspace = try Workspace(self, capacity: min(Self.chunkRows, x.rows), backpropagates: true, for: x)
        return accumulateGradient(x, y, .range(0..<x.rows), workspace: workspace, into: gradient,
                                  weights: weights?.baseAddress).loss
    }

    /// Checks row weights for a single pass over the rows: valid, and not all zero (the weighted mean
    /// would be 0/0).
    func requirePositiveWeight(_ weights: UnsafeBufferPointer<T>?, rows: Int, name: String = "sample_weight") throws {
        guard let weights else { return }
        try require(try validateWeights(weights, rows: rows, name: name) > 0,
                    "\(name): the weights sum to 0; at least one must be positive")
    }

    /// The gradient of the mean loss over `selection`, C = (1/n) Σℓ, or with row `weights` of
    /// C = Σwℓ / Σw, chunk by chunk into `gradient`: each chunk's δ_L carries the scale 1/n (1/Σw, and
    /// each row its w), so the chunks' gradients simply add up. Returns the mean loss, the number (the
    /// weight) of rows classified correctly and the selection's weight Σw (n without weights); when
    /// Σw = 0 nothing is computed and `gradient` is not written.
    /// With `next`, the rows of the next mini-batch are gathered meanwhile (`gatherAhead`).
    func accumulateGradient(_ x: Inputs<T>, _ y: Targets<T>, _ selection: RowSelection, workspace: Workspace<T>,
                            into gradient: UnsafeMutablePointer<T>, next: RowSelection? = nil,
                            weights: UnsafePointer<T>? = nil) -> (loss: Double, correct: Double, weight: Double) {
        let total = selection.count
        let weight = selectionWeight(weights, selection)
        guard weight > 0 else { return (0, 0, 0) }
        let scale = weights == nil ? 1 / T(total) : 1 / T(weight)
        var lossSum = 0.0, correct = 0.0
        for start in stride(from: 0, to: total, by: workspace.capacity) {
            let count = min(workspace.capacity, total - start)
            let (xs, ys) = chunk(x, y, selection, start: start, count: count, workspace)
            workspace.dropout?.firstRow = start
            forward(xs, workspace, targets: ys, deltaScale: scale,
                    weights: chunkWeights(weights, selection, start: start, count: count, workspace))
            let ahead = count == total ? next.flatMap { gatherAhead(x, y, $0, workspace) } : nil
            backward(xs, workspace, into: gradient, accumulate: start > 0, alongside: ahead)
            let totals = workspace.scoreTotals()
            lossSum += totals.loss
            correct += totals.correct
        }
        return (lossSum / weight, correct, weight)
    }
}
