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
    private let widths: [Int]
    private let activations: [Buffer<T>]  // a_l = σ(z_l), capacity × n_l
    private let logits: Buffer<T>         // z_L: the losses work from the output layer's z
    private let deltas: [Buffer<T>]       // δ_l = ∂C/∂z_l (passes that backpropagate)
    let inputs: Buffer<T>                 // gathered rows of X
    let denseTargets: Buffer<T>           // gathered rows of dense Y
    let labels: Buffer<Int>               // gathered labels
    /// Σℓ and correctly classified rows of each output tile, added up in tile order.
    let lossPartials: Buffer<Double>
    let correctPartials: Buffer<Int>
    /// The parameter vector θ the passes read: the network's own, or during training the buffer
    /// that holds the latest step (see `Network.fit`).
    var theta: UnsafeMutablePointer<T>

    init(_ network: Network<T>, capacity: Int, backpropagates: Bool) throws {
        self.capacity = capacity
        widths = network.layers.map(\.fanOut)
        activations = try widths.map { try Buffer(count: capacity * $0) }
        logits = try Buffer(count: capacity * network.outputCount)
        deltas = try backpropagates ? widths.map { try Buffer(count: capacity * $0) } : []
        inputs = try Buffer(count: capacity * network.inputCount)
        denseTargets = try Buffer(count: capacity * network.outputCount)
        labels = try Buffer(count: capacity, repeating: 0)
        lossPartials = try Buffer(count: Tiling.maximumCount, repeating: 0)
        correctPartials = try Buffer(count: Tiling.maximumCount, repeating: 0)
        theta = network.parameters.base
    }

    func activation(_ l: Int, rows: Int) -> Matrix<T> { activations[l].matrix(rows: rows, columns: widths[l]) }
    func outputLogits(rows: Int) -> Matrix<T> { logits.matrix(rows: rows, columns: widths[widths.count - 1]) }
    func delta(_ l: Int, rows: Int) -> Matrix<T> { deltas[l].matrix(rows: rows, columns: widths[l]) }
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

    /// Multiply-adds below which a product is not split into tiles: each tile is a BLAS call that
    /// repacks the shared operand (measured: splitting costs 2–5% per halving of tile size).
    static var minimumProductTile: Int { 1 << 21 }

    /// Elements below which copying or summing is not split.
    static var minimumElementwiseTile: Int { 1 << 15 }

    /// Checks X and its targets against the network and for values the maths cannot use. A
    /// vectorised pass over the data first; only a problem found is then located for the message.
    public func validate(_ x: Matrix<T>, _ y: Targets<T>?, name: String = "X", targetName: String = "Y") throws {
        try require(x.columns == inputCount,
                    "\(name): expected \(inputCount) columns (the network's inputs), got \(x.columns)")
        try requireFinite(x, name)
        guard let y else { return }
        try require(y.rows == x.rows, "\(targetName): expected \(x.rows) rows (as many as \(name)), got \(y.rows)")
        switch y {
        case .labels(let labels, let rows):
            try require(outputCount > 1, "\(targetName): class labels need at least 2 outputs; give targets of shape (n, 1)")
            var smallest = Int.max, largest = Int.min
            for row in 0..<rows { smallest = min(smallest, labels[row]); largest = max(largest, labels[row]) }
            guard rows == 0 || (smallest >= 0 && largest < outputCount) else {
                let row = (0..<rows).first { labels[$0] < 0 || labels[$0] >= outputCount }!
                throw CoreError.invalidArgument(
                    "\(targetName): label \(labels[row]) at row \(row) is outside 0...\(outputCount - 1) (the network has \(outputCount) outputs)")
            }
        case .dense(let values):
            try require(values.columns == outputCount,
                        "\(targetName): expected \(outputCount) columns (the network's outputs), got \(values.columns)")
            try requireFinite(values, targetName)
            let (smallest, largest) = extremes(values.base, count: values.count)
            if loss == .binaryCrossEntropy, smallest < 0 || largest > 1 {
                let i = (0..<values.count).first { !(0...1).contains(values.base[$0]) }!
                throw CoreError.invalidArgument(
                    "\(targetName): binary_cross_entropy targets must lie in [0, 1], got \(values.base[i]) at row \(i / values.columns)")
            }
            if loss == .crossEntropy, smallest < 0 {
                let i = (0..<values.count).first { values.base[$0] < 0 }!
                throw CoreError.invalidArgument(
                    "\(targetName): cross_entropy targets must be non-negative, got \(values.base[i]) at row \(i / values.columns)")
            }
        }
    }

    /// Throws, naming the first NaN or infinity of m (a C-contiguous matrix) and where it is.
    private func requireFinite(_ m: Matrix<T>, _ name: String) throws {
        guard let i = firstNonFinite(m.base, count: m.count) else { return }
        throw CoreError.invalidArgument(
            "\(name): contains \(m.base[i].isNaN ? "NaN" : "infinity") at row \(i / m.columns), column \(i % m.columns)")
    }

    /// Rows start..<start+count of `selection` and their targets: views for a range, copies gathered
    /// into the workspace (in parallel row tiles) for indices.
    func chunk(_ x: Matrix<T>, _ y: Targets<T>, _ selection: RowSelection, start: Int, count: Int,
               _ workspace: Workspace<T>) -> (x: Matrix<T>, y: TargetRows<T>) {
        switch (selection, y) {
        case (.range(let range), .dense(let values)):
            let rows = (range.lowerBound + start)..<(range.lowerBound + start + count)
            return (x.rows(rows), .dense(values.rows(rows)))
        case (.range(let range), .labels(let labels, _)):
            let rows = (range.lowerBound + start)..<(range.lowerBound + start + count)
            return (x.rows(rows), .labels(labels + rows.lowerBound))
        case (.indices(let indices), _):
            let gathered = workspace.inputs.matrix(rows: count, columns: x.columns)
            let targets: TargetRows<T>
            switch y {
            case .dense(let values): targets = .dense(workspace.denseTargets.matrix(rows: count, columns: values.columns))
            case .labels: targets = .labels(workspace.labels.base)
            }
            let tiles = Tiling(extent: count, workPerUnit: x.columns, minimumWork: Self.minimumElementwiseTile)
            WorkerPool.shared.run(tiles.count) { t in
                for r in tiles.range(t) {
                    let source = indices[start + r]
                    gathered.row(r).update(from: x.row(source), count: x.columns)
                    switch (y, targets) {
                    case (.dense(let values), .dense(let copy)):
                        copy.row(r).update(from: values.row(source), count: values.columns)
                    case (.labels(let labels, _), _):
                        workspace.labels.base[r] = labels[source]
                    default:
                        break
                    }
                }
            }
            return (gathered, targets)
        }
    }

    /// Forward pass: a_0 = x, then z_l = a_{l−1}·W_l + b_l and a_l = σ_l(z_l), with θ = workspace.theta.
    /// Hidden layers are computed in tiles of columns (each tile a product, its bias and its activation
    /// while it is in cache), the output layer in tiles of rows, so that softmax and the loss see whole
    /// rows. With `targets`, each output tile also scores its rows (`score`). Returns a_L.
    @discardableResult
    func forward(_ x: Matrix<T>, _ workspace: Workspace<T>, targets: TargetRows<T>? = nil, scale: T = 0) -> Matrix<T> {
        let m = x.rows, pool = WorkerPool.shared
        var input = x
        for l in 0..<(layers.count - 1) {
            let layer = layers[l], a = workspace.activation(l, rows: m)
            let w = layer.weights(in: workspace.theta), b = layer.biases(in: workspace.theta)
            let tiles = Tiling(extent: layer.fanOut, workPerUnit: m * layer.fanIn,
                               minimumWork: Self.minimumProductTile, granule: 16)
            pool.run(tiles.count) { t in
                let columns = tiles.range(t), block = a.columns(columns)
                block.assignAffine(input, w.columns(columns), bias: b + columns.lowerBound)  // z = a_{l−1}W + b
                layer.activation.apply(block, into: block)                                   // a = σ(z), in place
            }
            input = a
        }
        let last = layers.count - 1, layer = layers[last]
        let z = workspace.outputLogits(rows: m), a = workspace.activation(last, rows: m)
        let w = layer.weights(in: workspace.theta), b = layer.biases(in: workspace.theta)
        let tiles = Tiling(extent: m, workPerUnit: layer.fanIn * layer.fanOut, minimumWork: Self.minimumProductTile)
        pool.run(tiles.count) { t in
            let rows = tiles.range(t)
            z.rows(rows).assignAffine(input.rows(rows), w, bias: b)
            layer.activation.apply(z.rows(rows), into: a.rows(rows))
            if let targets {
                (workspace.lossPartials.base[t], workspace.correctPartials.base[t]) =
                    score(rows, targets: targets, scale: scale, workspace: workspace)
            }
        }
        if targets != nil {
            for t in tiles.count..<Tiling.maximumCount { (workspace.lossPartials.base[t], workspace.correctPartials.base[t]) = (0, 0) }
        }
        return a
    }

    /// For output rows `rows`: Σℓ, the number classified correctly, and δ_L = ∂(scale·Σℓ)/∂z_L
    /// (the fused cross-entropies directly; the other losses as ∂C/∂a ⊙ σ'(z_L)).
    private func score(_ rows: Range<Int>, targets: TargetRows<T>, scale: T, workspace: Workspace<T>) -> (Double, Int) {
        let last = layers.count - 1
        let z = workspace.outputLogits(rows: rows.upperBound).rows(rows)
        let a = workspace.activation(last, rows: rows.upperBound).rows(rows)
        let y = targets.rows(rows)
        let delta = workspace.delta(last, rows: rows.upperBound).rows(rows)
        let lossSum = loss.evaluate(z: z, a: a, targets: y, scale: scale, delta: delta)
        if !loss.isFusedWithOutput { output.backpropagate(delta, a: a) }
        var correct = 0
        if hasAccuracy {
            for r in 0..<a.rows where predictedClass(a.row(r), columns: a.columns) == y.targetClass(r, columns: a.columns) {
                correct += 1
            }
        }
        return (lossSum, correct)
    }

    /// Σℓ and correct rows of the last scored forward pass, added up in tile order.
    private func scoreTotals(_ workspace: Workspace<T>) -> (loss: Double, correct: Int) {
        var lossSum = 0.0, correct = 0
        for t in 0..<Tiling.maximumCount {
            lossSum += workspace.lossPartials.base[t]
            correct += workspace.correctPartials.base[t]
        }
        return (lossSum, correct)
    }

    /// Backpropagation from δ_L (left in the workspace by a scored forward pass), layer by layer:
    ///     ∂C/∂W_l = a_{l−1}ᵀ·δ_l,  ∂C/∂b_l = Σ_rows δ_l,  δ_{l−1} = (δ_l·W_lᵀ) ⊙ σ'(z_{l−1})
    /// each split into tiles (rows of ∂W_l, columns of ∂b_l and of δ_{l−1}) that run as one phase.
    /// Writes the gradient into `gradient`, or adds to it when `accumulate`.
    func backward(_ x: Matrix<T>, _ workspace: Workspace<T>, into gradient: UnsafeMutablePointer<T>, accumulate: Bool) {
        let m = x.rows
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l]
            let delta = workspace.delta(l, rows: m)
            let input = l == 0 ? x : workspace.activation(l - 1, rows: m)
            let w = layer.weights(in: workspace.theta)
            let weightGradient = layer.weights(in: gradient), biasGradient = layer.biases(in: gradient)
            // Rows of ∂W_l and columns of δ_{l−1} both run over the layer's inputs, with equal work.
            let inputTiles = Tiling(extent: layer.fanIn, workPerUnit: m * layer.fanOut,
                                    minimumWork: Self.minimumProductTile, granule: 16)
            let biasTiles = Tiling(extent: layer.fanOut, workPerUnit: m, minimumWork: Self.minimumElementwiseTile)
            let deltaTasks = l > 0 ? inputTiles.count : 0
            WorkerPool.shared.run(inputTiles.count + biasTiles.count + deltaTasks) { task in
                if task < inputTiles.count {
                    let rows = inputTiles.range(task), block = weightGradient.rows(rows)
                    if !accumulate { block.fill(0) }
                    block.addProduct(input.columns(rows), delta, transposeA: true)          // ∂W = aᵀδ
                } else if task < inputTiles.count + biasTiles.count {
                    let columns = biasTiles.range(task - inputTiles.count)
                    delta.columns(columns).sumRows(into: biasGradient + columns.lowerBound,  // ∂b = Σ δ
                                                   accumulate: accumulate)
                } else {
                    let columns = inputTiles.range(task - inputTiles.count - biasTiles.count)
                    let previous = workspace.delta(l - 1, rows: m).columns(columns)
                    previous.assignProduct(delta, w.rows(columns), transposeB: true)         // δ_{l−1} = δ_l W_lᵀ
                    layers[l - 1].activation.backpropagate(previous, a: input.columns(columns))  // ⊙ σ'
                }
            }
        }
    }

    /// The gradient of the mean loss over `selection`, processed chunk by chunk into `gradient`.
    /// Returns the mean loss and the number of rows classified correctly.
    func accumulateGradient(_ x: Matrix<T>, _ y: Targets<T>, _ selection: RowSelection, workspace: Workspace<T>,
                            into gradient: UnsafeMutablePointer<T>) -> (loss: Double, correct: Int) {
        let total = selection.count
        let scale = 1 / T(total)
        var lossSum = 0.0, correct = 0
        for start in stride(from: 0, to: total, by: workspace.capacity) {
            let count = min(workspace.capacity, total - start)
            let (xs, ys) = chunk(x, y, selection, start: start, count: count, workspace)
            forward(xs, workspace, targets: ys, scale: scale)
            backward(xs, workspace, into: gradient, accumulate: start > 0)
            let totals = scoreTotals(workspace)
            lossSum += totals.loss
            correct += totals.correct
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
        let workspace = try Workspace(self, capacity: min(Self.chunkRows, max(x.rows, 1)), backpropagates: false)
        for start in stride(from: 0, to: x.rows, by: workspace.capacity) {
            let rows = start..<min(start + workspace.capacity, x.rows)
            let result = forward(x.rows(rows), workspace)
            output.rows(rows).base.update(from: result.base, count: result.count)
        }
    }

    /// Mean loss and number of correctly classified rows (nil when accuracy is undefined).
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func evaluate(_ x: Matrix<T>, _ y: Targets<T>) throws -> (loss: Double, correct: Int?) {
        try validate(x, y)
        try require(x.rows > 0, "X: needs at least one row, got 0")
        let workspace = try Workspace(self, capacity: min(Self.chunkRows, x.rows), backpropagates: true)
        let result = evaluate(x, y, workspace: workspace)
        return (result.loss, hasAccuracy ? result.correct : nil)
    }

    func evaluate(_ x: Matrix<T>, _ y: Targets<T>, workspace: Workspace<T>) -> (loss: Double, correct: Int) {
        var lossSum = 0.0, correct = 0
        for start in stride(from: 0, to: x.rows, by: workspace.capacity) {
            let count = min(workspace.capacity, x.rows - start)
            let (xs, ys) = chunk(x, y, .range(0..<x.rows), start: start, count: count, workspace)
            forward(xs, workspace, targets: ys)
            let totals = scoreTotals(workspace)
            lossSum += totals.loss
            correct += totals.correct
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
        let workspace = try Workspace(self, capacity: min(Self.chunkRows, x.rows), backpropagates: true)
        return accumulateGradient(x, y, .range(0..<x.rows), workspace: workspace, into: gradient).loss
    }
}
