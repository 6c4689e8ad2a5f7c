/// Scratch memory for passes over at most `capacity` rows at a time; sized once, reused for every
/// chunk, so the training loop allocates nothing.
final class Workspace<T: Scalar> {
    let capacity: Int
    private let widths: [Int]
    private let activations: [Buffer<T>]  // a_l = σ(z_l), capacity × n_l
    private let logits: Buffer<T>         // z_L: the losses work from the output layer's z
    private let deltas: [Buffer<T>]       // δ_l = ∂C/∂z_l (passes that backpropagate)
    /// z_l of the hidden layers whose σ' needs it (`Activation.derivativeNeedsZ`), in passes that
    /// backpropagate; nil for the other layers, which keep only a_l.
    private let preactivations: [Buffer<T>?]
    /// Gathered rows of X and of their targets for the chunk in use, and (training only) those of
    /// the next mini-batch, gathered while this one computes (`Network.gatherAhead`).
    private(set) var gathered: GatheredRows<T>
    private var gatheredAhead: GatheredRows<T>?
    /// The index rows held in `gatheredAhead`, until a chunk takes them.
    private var rowsAhead: UnsafeBufferPointer<Int>?
    /// The weights of the rows of the chunk in use, when they are scattered (`Network.chunkWeights`).
    let gatheredWeights: Buffer<T>
    /// Σℓ and correctly classified rows (with row weights: Σwℓ and their weight) of each output tile,
    /// added up in tile order.
    let lossPartials: Buffer<Double>
    let correctPartials: Buffer<Double>
    /// The clip of the cross-entropies' Σℓ (`Loss.total`): 0, or during a fit `TrainingOptions.reportedLossClip`.
    var lossClip: T = 0
    /// The parameter vector θ the passes read: the network's own, or during training the buffer
    /// that holds the latest step (see `Network.fit`).
    var theta: UnsafeMutablePointer<T>
    /// Training with dropout: the masks of the chunk in use (see `DropoutMasks`).
    let dropout: DropoutMasks<T>?

    /// `x` is the data the passes will read: sparse rows are gathered into room for the most entries
    /// `capacity` rows of x hold, and only when `gathersAhead` (shuffled training, the one pass that
    /// gathers); dense rows always have room for `capacity` rows. `dropout` (training only): p_l of each
    /// hidden layer, and the seed and stream of the masks.
    init(_ network: Network<T>, capacity: Int, backpropagates: Bool, gathersAhead: Bool = false, for x: Inputs<T>,
         dropout: (rates: [Double], seed: UInt64, stream: UInt64)? = nil) throws {
        self.capacity = capacity
        widths = network.layers.map(\.fanOut)
        activations = try widths.map { try Buffer(count: capacity * $0) }
        logits = try Buffer(count: capacity * network.outputCount)
        deltas = try backpropagates ? widths.map { try Buffer(count: capacity * $0) } : []
        preactivations = try network.layers.dropLast().map {
            backpropagates && $0.activation.derivativeNeedsZ ? try Buffer(count: capacity * $0.fanOut) : nil
        }
        gathered = try GatheredRows(network, capacity: capacity, for: x, gathersSparseRows: gathersAhead)
        gatheredAhead = gathersAhead ? try GatheredRows(network, capacity: capacity, for: x, gathersSparseRows: true) : nil
        gatheredWeights = try Buffer(count: capacity)
        lossPartials = try Buffer(count: Tiling.maximumCount, repeating: 0)
        correctPartials = try Buffer(count: Tiling.maximumCount, repeating: 0)
        theta = network.parameters.base
        if let dropout, dropout.rates.contains(where: { $0 > 0 }) {
            self.dropout = try DropoutMasks(rates: dropout.rates, seed: dropout.seed, stream: dropout.stream,
                                            capacity: capacity, widths: widths)
        } else {
            self.dropout = nil
        }
    }

    func activation(_ l: Int, rows: Int) -> Matrix<T> { activations[l].matrix(rows: rows, columns: widths[l]) }
    func outputLogits(rows: Int) -> Matrix<T> { logits.matrix(rows: rows, columns: widths[widths.count - 1]) }
    func delta(_ l: Int, rows: Int) -> Matrix<T> { deltas[l].matrix(rows: rows, columns: widths[l]) }
    /// z_l of hidden layer l, where this workspace keeps it.
    func preactivation(_ l: Int, rows: Int) -> Matrix<T>? {
        preactivations[l].map { $0.matrix(rows: rows, columns: widths[l]) }
    }

    /// Claims the spare buffers to gather `indices` into ahead of their use; nil when there are none.
    func gatherAhead(_ indices: UnsafeBufferPointer<Int>) -> GatheredRows<T>? {
        guard let ahead = gatheredAhead, indices.count <= capacity else { return nil }
        rowsAhead = indices
        return ahead
    }

    /// Makes the rows gathered ahead the ones in use, if they are `indices`; any other request
    /// discards them.
    func takeGatheredAhead(_ indices: UnsafeBufferPointer<Int>) -> Bool {
        defer { rowsAhead = nil }
        guard let ahead = gatheredAhead, let rows = rowsAhead, rows.baseAddress == indices.baseAddress,
              rows.count == indices.count else { return false }
        (gathered, gatheredAhead) = (ahead, gathered)
        return true
    }

    /// Σℓ and correct rows of the last scored forward pass, added up in tile order.
    func scoreTotals() -> (loss: Double, correct: Double) {
        var lossSum = 0.0, correct = 0.0
        for t in 0..<Tiling.maximumCount {
            lossSum += lossPartials.base[t]
            correct += correctPartials.base[t]
        }
        return (lossSum, correct)
    }
}

/// Copies of scattered rows of X and of their targets (labels or dense rows), `capacity` rows each.
/// Sparse rows are copied as compressed rows: their values and columns, and offsets that
/// `layOutSparseRows` computes before the rows are copied.
final class GatheredRows<T: Scalar> {
    /// Dense X: capacity × inputs values; sparse X: the gathered rows' nonzero values.
    let inputs: Buffer<T>
    /// Sparse X: the gathered rows' column indices and capacity + 1 row offsets (else empty).
    let inputColumns: Buffer<Int32>
    let inputRowStarts: Buffer<Int64>
    let denseTargets: Buffer<T>
    let labels: Buffer<Int>

    init(_ network: Network<T>, capacity: Int, for x: Inputs<T>, gathersSparseRows: Bool) throws {
        switch x {
        case .dense:
            inputs = try Buffer(count: capacity * network.inputCount)
            (inputColumns, inputRowStarts) = (try Buffer(count: 0, repeating: 0), try Buffer(count: 0, repeating: 0))
        case .sparse(let x):
            let entries = gathersSparseRows ? x.largestEntries(rows: capacity) : 0
            inputs = try Buffer(count: entries)
            inputColumns = try Buffer(count: entries, repeating: 0)
            inputRowStarts = try Buffer(count: capacity + 1, repeating: 0)
        }
        denseTargets = try Buffer(count: capacity * network.outputCount)
        labels = try Buffer(count: capacity, repeating: 0)
    }

    /// Views of the first `count` rows, as gathered from x and y.
    func views(_ x: Inputs<T>, _ y: Targets<T>, count: Int) -> (x: Inputs<T>, y: TargetRows<T>) {
        let rows: Inputs<T> = switch x {
        case .dense(let x): .dense(inputs.matrix(rows: count, columns: x.columns))
        case .sparse(let x): .sparse(SparseMatrix(values: inputs.base, columnIndices: inputColumns.base,
                                                  rowStarts: inputRowStarts.base, rows: count, columns: x.columns,
                                                  storage: inputs.count))
        }
        switch y {
        case .dense(let values): return (rows, .dense(denseTargets.matrix(rows: count, columns: values.columns)))
        case .labels: return (rows, .labels(labels.base))
        }
    }

    /// For sparse x, the offsets of the rows `sources` once gathered (a running sum of their lengths),
    /// which `gather` needs before it copies any row; nothing for dense x.
    func layOutSparseRows(_ x: Inputs<T>, _ sources: UnsafeBufferPointer<Int>) {
        guard case .sparse(let x) = x else { return }
        inputRowStarts.base[0] = 0
        for (r, source) in sources.enumerated() {
            inputRowStarts.base[r + 1] = inputRowStarts.base[r] + x.rowStarts[source + 1] - x.rowStarts[source]
        }
    }

    /// Row r ← row sources[r] of x (and of y), for r in `rows` (after `layOutSparseRows` for sparse x).
    func gather(_ x: Inputs<T>, _ y: Targets<T>, _ sources: UnsafeBufferPointer<Int>, rows: Range<Int>) {
        let copies = views(x, y, count: sources.count)
        for r in rows {
            let source = sources[r]
            switch (x, copies.x) {
            case (.dense(let x), .dense(let copy)):
                copy.row(r).update(from: x.row(source), count: x.columns)
            case (.sparse(let x), .sparse):
                let from = Int(x.rowStarts[source]), to = Int(inputRowStarts.base[r])
                let count = Int(x.rowStarts[source + 1]) - from
                (inputs.base + to).update(from: x.values + from, count: count)
                (inputColumns.base + to).update(from: x.columnIndices + from, count: count)
            default:
                break
            }
            switch (y, copies.y) {
            case (.dense(let values), .dense(let copy)):
                copy.row(r).update(from: values.row(source), count: values.columns)
            case (.labels(let labels, _), _):
                self.labels.base[r] = labels[source]
            default:
                break
            }
        }
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

    /// A job that gathers the rows of the next mini-batch `next` into the workspace's spare buffers, to
    /// run beside the current one's work (its rows are scattered over all the data: copying them is
    /// memory latency, which the other core hides); nil when the rows are read in place, when the
    /// batch is more than one chunk, or too small to pay for the hand-off. Two tiles, which fill the
    /// gaps between the phase's product tiles (one tile made that phase as long as the gather and the
    /// products one after the other).
    func gatherAhead(_ x: Inputs<T>, _ y: Targets<T>, _ next: RowSelection, _ workspace: Workspace<T>) -> PhaseJob? {
        // Fewer values than this are copied faster than a hand-off to the other core costs (measured on
        // 784-128-10: gathering one to four rows ahead made batches of 1 to 4 rows 10–15% slower).
        let minimumValues = 1 << 12
        guard case .indices(let sources) = next, sources.count * x.valuesPerRow >= minimumValues,
              let buffers = workspace.gatherAhead(sources) else { return nil }
        buffers.layOutSparseRows(x, sources)
        return PhaseJob("gather the next mini-batch's rows", tiles: Tiling(extent: sources.count, count: 2)) { rows in
            buffers.gather(x, y, sources, rows: rows)
        }
    }

    /// The weights of rows start..<start+count of `selection` (nil without weights): in place for a range,
    /// gathered into the workspace for indices.
    func chunkWeights(_ weights: UnsafePointer<T>?, _ selection: RowSelection, start: Int, count: Int,
                      _ workspace: Workspace<T>) -> UnsafePointer<T>? {
        guard let weights else { return nil }
        switch selection {
        case .range(let range):
            return weights + range.lowerBound + start
        case .indices(let indices):
            for r in 0..<count { workspace.gatheredWeights.base[r] = weights[indices[start + r]] }
            return UnsafePointer(workspace.gatheredWeights.base)
        }
    }

    /// Σw over the rows of `selection`, or their count without weights.
    func selectionWeight(_ weights: UnsafePointer<T>?, _ selection: RowSelection) -> Double {
        guard let weights else { return Double(selection.count) }
        switch selection {
        case .range(let range): return range.reduce(0.0) { $0 + Double(weights[$1]) }
        case .indices(let indices): return indices.reduce(0.0) { $0 + Double(weights[$1]) }
        }
    }

    /// Rows start..<start+count of `selection` and their targets: views for a range, copies gathered
    /// into the workspace (in parallel row tiles) for indices, unless `gatherAhead` already did.
    func chunk(_ x: Inputs<T>, _ y: Targets<T>, _ selection: RowSelection, start: Int, count: Int,
               _ workspace: Workspace<T>) -> (x: Inputs<T>, y: TargetRows<T>) {
        switch (selection, y) {
        case (.range(let range), .dense(let values)):
            let rows = (range.lowerBound + start)..<(range.lowerBound + start + count)
            return (x.rows(rows), .dense(values.rows(rows)))
        case (.range(let range), .labels(let labels, _)):
            let rows = (range.lowerBound + start)..<(range.lowerBound + start + count)
            return (x.rows(rows), .labels(labels + rows.lowerBound))
        case (.indices(let indices), _):
            let sources = UnsafeBufferPointer(rebasing: indices[start..<(start + count)])
            if workspace.takeGatheredAhead(sources) { return workspace.gathered.views(x, y, count: count) }
            workspace.gathered.layOutSparseRows(x, sources)
            let tiles = Tiling(extent: count, workPerUnit: x.valuesPerRow, minimumWork: Self.minimumElementwiseTile)
            WorkerPool.shared.run(tiles) { _, rows in workspace.gathered.gather(x, y, sources, rows: rows) }
            return workspace.gathered.views(x, y, count: count)
        }
    }
}
