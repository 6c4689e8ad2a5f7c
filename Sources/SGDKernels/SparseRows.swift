import SGDNumerics

/// The first layer's products when X is sparse, one row of X at a time: each nonzero x_k adds x_k
/// times a row of a dense matrix, an update the width of the layer, written with explicit SIMD lanes
/// (the rows of W and of its gradient are contiguous). Multiplications and additions stay separate
/// (no FMA), so every instruction set gives the same bits.

@inline(__always)
private func addScaled<T: Scalar>(_ out: UnsafeMutablePointer<T>, _ scale: T, _ source: UnsafePointer<T>, _ width: Int) {
    let factor = SIMD8<T>(repeating: scale)
    var j = 0
    while j + 8 <= width {
        let raw = UnsafeMutableRawPointer(out + j)
        let sum = raw.loadUnaligned(as: SIMD8<T>.self) + factor * UnsafeRawPointer(source + j).loadUnaligned(as: SIMD8<T>.self)
        raw.storeBytes(of: sum, as: SIMD8<T>.self)
        j += 8
    }
    while j < width { out[j] += scale * source[j]; j += 1 }
}

/// out ← out + Σ_k x_k·m[j_k, 0..<width].
func addSparseRowProduct<T: Scalar>(_ out: UnsafeMutablePointer<T>, width: Int, _ row: SparseRow<T>,
                                    _ m: UnsafePointer<T>, stride: Int) {
    for k in 0..<row.count { addScaled(out, row.values[k], m + Int(row.columns[k]) * stride, width) }
}

/// m[j_k − first] ← m[j_k − first] + x_k·d for the nonzeros with j_k in first..<first + extent.
func scatterSparseRow<T: Scalar>(_ m: UnsafeMutablePointer<T>, stride: Int, first: Int, extent: Int,
                                 _ row: SparseRow<T>, _ d: UnsafePointer<T>, width: Int) {
    for k in 0..<row.count {
        let target = Int(row.columns[k]) - first
        if target >= 0 && target < extent { addScaled(m + target * stride, row.values[k], d, width) }
    }
}
