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

    /// Σℓ and correct rows of the last scored forward pass, added up in tile order.
    func scoreTotals() -> (loss: Double, correct: Int) {
        var lossSum = 0.0, correct = 0
        for t in 0..<Tiling.maximumCount {
            lossSum += lossPartials.base[t]
            correct += correctPartials.base[t]
        }
        return (lossSum, correct)
    }
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
            WorkerPool.shared.run(tiles) { _, rows in
                for r in rows {
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
}
