/// Inverted dropout of the hidden activations while training: unit j of row r of hidden layer l is
/// kept with probability 1 − p_l, and kept units are scaled by 1/(1 − p_l), so that E[ã_l] = a_l and
/// the full network needs no rescaling afterwards:
///
///     ã_l = a_l ⊙ m_l / (1 − p_l),          m_l ~ Bernoulli(1 − p_l) per row and unit
///     δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ σ'(z_l) ⊙ m_l / (1 − p_l)
///
/// The next layer and ∂W_{l+1} = ã_lᵀ δ_{l+1} read ã_l; σ'(z_l) needs a_l, which is kept beside it.
///
/// Each mask value is a pure function of (seed, stream, batch, layer, row, unit) — SplitMix64 outputs
/// keyed by the counters (`DropoutMasks.rowKey`, `uniform`) — so any tiling of the rows and units, on
/// any number of threads, draws the same masks: unit j of the row at position r of mini-batch b of
/// the fit with stream s is kept iff u ≥ p_l, with
///
///     k = mix(mix(mix(mix(seed ⊕ s·D) + b·G) + (l+1)·G) + (r+1)·G),   u = ⌊mix(k + (j+1)·G) / 2¹¹⌋ · 2⁻⁵³
///
/// (mix the SplitMix64 finaliser, G = 0x9E3779B97F4A7C15, D = 0xD1B54A32D192ED03, arithmetic mod 2⁶⁴).
final class DropoutMasks<T: Scalar> {
    /// p_l of each hidden layer (0: that layer is not dropped).
    let rates: [Double]
    private let streamKey: UInt64
    /// The mini-batch being trained (counted from 0 in each fit) and the position in it of the first
    /// row of the chunk in the workspace.
    var batch: UInt64 = 0
    var firstRow = 0
    /// Per hidden layer with p_l > 0 (capacity × n_l): a_l before dropout, and m_l / (1 − p_l).
    private let undropped: [Buffer<T>?]
    private let scales: [Buffer<T>?]
    private let widths: [Int]

    init(rates: [Double], seed: UInt64, stream: UInt64, capacity: Int, widths: [Int]) throws {
        self.rates = rates
        self.widths = widths
        streamKey = splitMixFinal(seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        undropped = try rates.indices.map { rates[$0] > 0 ? try Buffer(count: capacity * widths[$0]) : nil }
        scales = try rates.indices.map { rates[$0] > 0 ? try Buffer(count: capacity * widths[$0]) : nil }
    }

    /// (a_l before dropout, m_l / (1 − p_l)) of hidden layer l, or nil when it is not dropped.
    func layer(_ l: Int, rows: Int) -> (undropped: Matrix<T>, scales: Matrix<T>)? {
        guard l < rates.count, let undropped = undropped[l], let scales = scales[l] else { return nil }
        return (undropped.matrix(rows: rows, columns: widths[l]), scales.matrix(rows: rows, columns: widths[l]))
    }

    /// ã_l = a_l ⊙ m_l / (1 − p_l) in place over `units` of all the chunk's rows of `a`, keeping a_l and
    /// the factors for backpropagation.
    func apply(_ l: Int, to a: Matrix<T>, units: Range<Int>) {
        guard let (undropped, scales) = layer(l, rows: a.rows) else { return }
        let p = rates[l], kept = T(1 / (1 - p))
        let aTile = a.columns(units), undroppedTile = undropped.columns(units), scaleTile = scales.columns(units)
        for r in 0..<a.rows {
            let key = rowKey(layer: l, row: firstRow + r)
            let values = aTile.row(r), before = undroppedTile.row(r), factors = scaleTile.row(r)
            for (j, unit) in units.enumerated() {
                factors[j] = uniform(key, unit: unit) >= p ? kept : 0
                before[j] = values[j]
                values[j] *= factors[j]
            }
        }
    }

    /// δ ← δ ⊙ m_l / (1 − p_l) over the block `units` of hidden layer l's δ.
    func backpropagate(_ l: Int, _ delta: Matrix<T>, units: Range<Int>) {
        guard let (_, scales) = layer(l, rows: delta.rows) else { return }
        let scaleTile = scales.columns(units)
        for r in 0..<delta.rows {
            let d = delta.row(r), factors = scaleTile.row(r)
            for j in 0..<delta.columns { d[j] *= factors[j] }
        }
    }

    private func rowKey(layer l: Int, row r: Int) -> UInt64 {
        let batchKey = splitMixFinal(streamKey &+ batch &* splitMixIncrement)
        let layerKey = splitMixFinal(batchKey &+ UInt64(l + 1) &* splitMixIncrement)
        return splitMixFinal(layerKey &+ UInt64(r + 1) &* splitMixIncrement)
    }

    private func uniform(_ rowKey: UInt64, unit j: Int) -> Double {
        Double(splitMixFinal(rowKey &+ UInt64(j + 1) &* splitMixIncrement) >> 11) * 0x1.0p-53
    }
}
