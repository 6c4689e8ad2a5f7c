/// Training targets for the rows of X: dense values (n × k) or class labels (n, one-hot for the loss).
public enum Targets<T: Scalar> {
    case dense(Matrix<T>)
    case labels(UnsafePointer<Int>, rows: Int)

    public var rows: Int {
        switch self {
        case .dense(let values): return values.rows
        case .labels(_, let rows): return rows
        }
    }
}

/// Scratch memory for passes over at most `capacity` rows at a time; sized once, reused for every
/// chunk, so the training loop allocates nothing.
final class Workspace<T: Scalar> {
    let capacity: Int
    let z: [Buffer<T>]           // z_l, capacity × n_l
    let a: [Buffer<T>]           // a_l = σ(z_l)
    let delta: [Buffer<T>]       // δ_l = ∂C/∂z_l
    let inputs: Buffer<T>        // gathered rows of X
    let denseTargets: Buffer<T>  // gathered rows of dense Y
    let labels: UnsafeMutablePointer<Int>        // gathered labels

    init(_ network: Network<T>, capacity: Int) throws {
        self.capacity = capacity
        let widths = network.layers.map(\.fanOut)
        z = try widths.map { try Buffer(count: capacity * $0) }
        a = try widths.map { try Buffer(count: capacity * $0) }
        delta = try widths.map { try Buffer(count: capacity * $0) }
        inputs = try Buffer(count: capacity * network.inputCount)
        denseTargets = try Buffer(count: capacity * network.outputCount)
        labels = .allocate(capacity: capacity)
    }

    deinit { labels.deallocate() }
}

/// Which rows of the data a pass uses: a contiguous range (read in place) or scattered indices
/// (gathered into the workspace chunk by chunk).
enum RowSelection {
    case range(Range<Int>)
    case indices(UnsafeBufferPointer<Int>)

    var count: Int {
        switch self {
        case .range(let range): return range.count
        case .indices(let indices): return indices.count
        }
    }
}

extension Network {
    /// Rows per chunk of work: large enough for efficient matrix products, small enough that the
    /// workspace stays a small fraction of the data.
    static var chunkRows: Int { 256 }

    /// Checks X and its targets against the network and for values the maths cannot use.
    public func validate(_ x: Matrix<T>, _ y: Targets<T>?, name: String = "X", targetName: String = "Y") throws {
        try require(x.columns == inputCount,
                    "\(name): expected \(inputCount) columns (the network's inputs), got \(x.columns)")
        for i in 0..<x.count where !x.base[i].isFinite {
            throw CoreError.invalidArgument(
                "\(name): contains \(x.base[i].isNaN ? "NaN" : "infinity") at row \(i / x.columns), column \(i % x.columns)")
        }
        guard let y else { return }
        try require(y.rows == x.rows, "\(targetName): expected \(x.rows) rows (as many as \(name)), got \(y.rows)")
        switch y {
        case .labels(let labels, let rows):
            try require(outputCount > 1, "\(targetName): class labels need at least 2 outputs; give targets of shape (n, 1)")
            for row in 0..<rows where labels[row] < 0 || labels[row] >= outputCount {
                let label = labels[row]
                throw CoreError.invalidArgument(
                    "\(targetName): label \(label) at row \(row) is outside 0...\(outputCount - 1) (the network has \(outputCount) outputs)")
            }
        case .dense(let values):
            try require(values.columns == outputCount,
                        "\(targetName): expected \(outputCount) columns (the network's outputs), got \(values.columns)")
            for i in 0..<values.count {
                let value = values.base[i]
                try require(value.isFinite,
                            "\(targetName): contains \(value.isNaN ? "NaN" : "infinity") at row \(i / values.columns), column \(i % values.columns)")
                try require(loss != .binaryCrossEntropy || (0...1).contains(value),
                            "\(targetName): binary_cross_entropy targets must lie in [0, 1], got \(value) at row \(i / values.columns)")
                try require(loss != .crossEntropy || value >= 0,
                            "\(targetName): cross_entropy targets must be non-negative, got \(value) at row \(i / values.columns)")
            }
        }
    }

    /// Rows start..<start+count of `selection` in x: a view for a range, a copy in the workspace for indices.
    func chunkInputs(_ x: Matrix<T>, _ selection: RowSelection, start: Int, count: Int,
                     _ workspace: Workspace<T>) -> Matrix<T> {
        switch selection {
        case .range(let range):
            return x.rows((range.lowerBound + start)..<(range.lowerBound + start + count))
        case .indices(let indices):
            let gathered = workspace.inputs.matrix(rows: count, columns: x.columns)
            for r in 0..<count { gathered.row(r).update(from: x.row(indices[start + r]), count: x.columns) }
            return gathered
        }
    }

    /// The targets of the same rows, likewise.
    func chunkTargets(_ y: Targets<T>, _ selection: RowSelection, start: Int, count: Int,
                      _ workspace: Workspace<T>) -> TargetRows<T> {
        switch (selection, y) {
        case (.range(let range), .dense(let values)):
            return .dense(values.rows((range.lowerBound + start)..<(range.lowerBound + start + count)))
        case (.range(let range), .labels(let labels, _)):
            return .labels(labels + range.lowerBound + start)
        case (.indices(let indices), .dense(let values)):
            let gathered = workspace.denseTargets.matrix(rows: count, columns: values.columns)
            for r in 0..<count { gathered.row(r).update(from: values.row(indices[start + r]), count: values.columns) }
            return .dense(gathered)
        case (.indices(let indices), .labels(let labels, _)):
            for r in 0..<count { workspace.labels[r] = labels[indices[start + r]] }
            return .labels(workspace.labels)
        }
    }

    /// Forward pass: a_0 = x, then z_l = a_{l−1}·W_l + b_l and a_l = σ_l(z_l). Returns a_L.
    @discardableResult
    func forward(_ x: Matrix<T>, _ workspace: Workspace<T>) -> Matrix<T> {
        var input = x
        for (l, layer) in layers.enumerated() {
            let z = workspace.z[l].matrix(rows: x.rows, columns: layer.fanOut)
            let a = workspace.a[l].matrix(rows: x.rows, columns: layer.fanOut)
            let b = biases(l)
            for r in 0..<x.rows { z.row(r).update(from: b, count: layer.fanOut) }
            z.assignProduct(input, weights(l), beta: 1)
            layer.activation.apply(z, into: a)
            input = a
        }
        return input
    }

    /// Backpropagation on one chunk. Adds (or, if `!accumulate`, writes) into `gradient` the gradient of
    /// scale·Σ_rows ℓ with respect to θ:
    ///     δ_L = ∂C/∂a_L ⊙ σ'(z_L)              (or a − y for the fused cross-entropies)
    ///     δ_l = (δ_{l+1}·W_{l+1}ᵀ) ⊙ σ'(z_l)
    ///     ∂C/∂W_l = a_{l−1}ᵀ·δ_l,  ∂C/∂b_l = Σ_rows δ_l
    /// Returns Σ_rows ℓ and the number of rows classified correctly.
    func backpropagate(_ x: Matrix<T>, _ y: TargetRows<T>, scale: T, workspace: Workspace<T>,
                       into gradient: UnsafeMutablePointer<T>, accumulate: Bool) -> (loss: Double, correct: Int) {
        let last = layers.count - 1
        let output = forward(x, workspace)
        let (lossSum, correct) = scoreOutput(output, y, scale: scale, workspace: workspace)
        for l in stride(from: last, through: 0, by: -1) {
            let layer = layers[l]
            let delta = workspace.delta[l].matrix(rows: x.rows, columns: layer.fanOut)
            if l < last {
                delta.assignProduct(workspace.delta[l + 1].matrix(rows: x.rows, columns: layers[l + 1].fanOut),
                                    weights(l + 1), transposeB: true)
            }
            if l < last || !loss.isFusedWithOutput {
                layer.activation.backpropagate(delta, z: workspace.z[l].matrix(rows: x.rows, columns: layer.fanOut),
                                               a: workspace.a[l].matrix(rows: x.rows, columns: layer.fanOut))
            }
            let input = l == 0 ? x : workspace.a[l - 1].matrix(rows: x.rows, columns: layer.fanIn)
            let weightGradient = Matrix(gradient + layer.weightOffset, rows: layer.fanIn, columns: layer.fanOut)
            weightGradient.assignProduct(input, delta, transposeA: true, beta: accumulate ? 1 : 0)
            let biasGradient = gradient + layer.biasOffset
            if !accumulate { biasGradient.update(repeating: 0, count: layer.fanOut) }
            for r in 0..<x.rows {
                let row = delta.row(r)
                for j in 0..<layer.fanOut { biasGradient[j] += row[j] }
            }
        }
        return (lossSum, correct)
    }

    /// The loss of the output a_L (and ∂(scale·Σℓ)/∂ into δ_L), and the count of correct classes.
    func scoreOutput(_ output: Matrix<T>, _ y: TargetRows<T>, scale: T, workspace: Workspace<T>) -> (Double, Int) {
        let last = layers.count - 1
        let lossSum = loss.evaluate(
            z: workspace.z[last].matrix(rows: output.rows, columns: output.columns), a: output, targets: y,
            scale: scale, delta: workspace.delta[last].matrix(rows: output.rows, columns: output.columns))
        var correct = 0
        if hasAccuracy {
            for r in 0..<output.rows
            where predictedClass(output.row(r), columns: output.columns) == y.targetClass(r, columns: output.columns) {
                correct += 1
            }
        }
        return (lossSum, correct)
    }

    /// The gradient of the mean loss over `selection`, processed chunk by chunk into `gradient`.
    func accumulateGradient(_ x: Matrix<T>, _ y: Targets<T>, _ selection: RowSelection, workspace: Workspace<T>,
                            into gradient: UnsafeMutablePointer<T>) -> (loss: Double, correct: Int) {
        let total = selection.count
        let scale = 1 / T(total)
        var lossSum = 0.0, correct = 0
        for start in stride(from: 0, to: total, by: workspace.capacity) {
            let count = min(workspace.capacity, total - start)
            let xs = chunkInputs(x, selection, start: start, count: count, workspace)
            let ys = chunkTargets(y, selection, start: start, count: count, workspace)
            let result = backpropagate(xs, ys, scale: scale, workspace: workspace, into: gradient, accumulate: start > 0)
            lossSum += result.loss
            correct += result.correct
        }
        return (lossSum / Double(total), correct)
    }

    /// Output activations for the rows of x, written into `output` (x.rows × outputs).
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func predict(_ x: Matrix<T>, into output: Matrix<T>) throws {
        try validate(x, nil)
        try require(output.rows == x.rows && output.columns == outputCount,
                    "out: expected \(x.rows) × \(outputCount) scalars, got \(output.rows) × \(output.columns)")
        let workspace = try Workspace(self, capacity: min(Self.chunkRows, max(x.rows, 1)))
        for start in stride(from: 0, to: x.rows, by: workspace.capacity) {
            let count = min(workspace.capacity, x.rows - start)
            let result = forward(x.rows(start..<(start + count)), workspace)
            output.rows(start..<(start + count)).base.update(from: result.base, count: result.count)
        }
    }

    /// Mean loss and number of correctly classified rows (nil when accuracy is undefined).
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func evaluate(_ x: Matrix<T>, _ y: Targets<T>) throws -> (loss: Double, correct: Int?) {
        try validate(x, y)
        try require(x.rows > 0, "X: needs at least one row, got 0")
        let workspace = try Workspace(self, capacity: min(Self.chunkRows, x.rows))
        let result = evaluate(x, y, workspace: workspace)
        return (result.loss, hasAccuracy ? result.correct : nil)
    }

    func evaluate(_ x: Matrix<T>, _ y: Targets<T>, workspace: Workspace<T>) -> (loss: Double, correct: Int) {
        var lossSum = 0.0, correct = 0
        for start in stride(from: 0, to: x.rows, by: workspace.capacity) {
            let count = min(workspace.capacity, x.rows - start)
            let output = forward(x.rows(start..<(start + count)), workspace)
            let ys = chunkTargets(y, .range(0..<x.rows), start: start, count: count, workspace)
            let (chunkLoss, chunkCorrect) = scoreOutput(output, ys, scale: 0, workspace: workspace)
            lossSum += chunkLoss
            correct += chunkCorrect
        }
        return (lossSum / Double(x.rows), correct)
    }

    /// ∇θ C of the mean loss over all rows, laid out like `parameters`. Returns the loss.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func gradient(_ x: Matrix<T>, _ y: Targets<T>, into gradient: UnsafeMutablePointer<T>, count: Int) throws -> Double {
        try validate(x, y)
        try require(x.rows > 0, "X: needs at least one row, got 0")
        try require(count == parameters.count, "gradient: expected \(parameters.count) scalars, got \(count)")
        let workspace = try Workspace(self, capacity: min(Self.chunkRows, x.rows))
        return accumulateGradient(x, y, .range(0..<x.rows), workspace: workspace, into: gradient).loss
    }
}
