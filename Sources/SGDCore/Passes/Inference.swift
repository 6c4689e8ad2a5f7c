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

    /// Mean loss and number of correctly classified rows (nil when accuracy is undefined).
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func evaluate(_ x: Inputs<T>, _ y: Targets<T>) throws -> (loss: Double, correct: Int?) {
        try validate(x, y)
        try require(x.rows > 0, "X: needs at least one row, got 0")
        let workspace = try Workspace(self, capacity: min(Self.chunkRows, x.rows), backpropagates: false, for: x)
        let result = evaluate(x, y, workspace: workspace)
        return (result.loss, hasAccuracy ? result.correct : nil)
    }

    func evaluate(_ x: Inputs<T>, _ y: Targets<T>, workspace: Workspace<T>) -> (loss: Double, correct: Int) {
        var lossSum = 0.0, correct = 0
        for start in stride(from: 0, to: x.rows, by: workspace.capacity) {
            let count = min(workspace.capacity, x.rows - start)
            let (xs, ys) = chunk(x, y, .range(0..<x.rows), start: start, count: count, workspace)
            forward(xs, workspace, targets: ys)
            let totals = workspace.scoreTotals()
            lossSum += totals.loss
            correct += totals.correct
        }
        return (lossSum / Double(x.rows), correct)
    }

    /// ∇θ C of the mean loss over all rows, laid out like `parameters`. Returns the loss.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func gradient(_ x: Inputs<T>, _ y: Targets<T>, into gradient: UnsafeMutablePointer<T>, count: Int) throws -> Double {
        try validate(x, y)
        try require(x.rows > 0, "X: needs at least one row, got 0")
        try require(count == parameters.count, "gradient: expected \(parameters.count) scalars, got \(count)")
        let workspace = try Workspace(self, capacity: min(Self.chunkRows, x.rows), backpropagates: true, for: x)
        return accumulateGradient(x, y, .range(0..<x.rows), workspace: workspace, into: gradient).loss
    }

    /// The gradient of the mean loss over `selection`, C = (1/n) Σℓ, chunk by chunk into `gradient`:
    /// each chunk's δ_L carries the scale 1/n, so the chunks' gradients simply add up. Returns the
    /// mean loss and the number of rows classified correctly.
    /// With `next`, the rows of the next mini-batch are gathered meanwhile (`gatherAhead`).
    func accumulateGradient(_ x: Inputs<T>, _ y: Targets<T>, _ selection: RowSelection, workspace: Workspace<T>,
                            into gradient: UnsafeMutablePointer<T>, next: RowSelection? = nil) -> (loss: Double, correct: Int) {
        let total = selection.count
        let scale = 1 / T(total)
        var lossSum = 0.0, correct = 0
        for start in stride(from: 0, to: total, by: workspace.capacity) {
            let count = min(workspace.capacity, total - start)
            let (xs, ys) = chunk(x, y, selection, start: start, count: count, workspace)
            forward(xs, workspace, targets: ys, deltaScale: scale)
            let ahead = count == total ? next.flatMap { gatherAhead(x, y, $0, workspace) } : nil
            backward(xs, workspace, into: gradient, accumulate: start > 0, alongside: ahead)
            let totals = workspace.scoreTotals()
            lossSum += totals.loss
            correct += totals.correct
        }
        return (lossSum / Double(total), correct)
    }
}
