/// The cost C on a batch of n rows with k outputs is the mean over the rows of a per-row loss ℓ:
///
///     quadratic              ℓ = ½ ‖y − a‖²                        C = 1/(2n) Σ ‖y − a‖²
///     mse                    ℓ = (1/k) Σ_j (y_j − a_j)²            C = mean of all (y − a)²
///     mae                    ℓ = (1/k) Σ_j |y_j − a_j|             C = mean of all |y − a|
///     binary_cross_entropy   ℓ = −Σ_j [y_j log a_j + (1 − y_j) log(1 − a_j)]   (sigmoid output)
///     cross_entropy          ℓ = −Σ_j y_j log a_j                             (softmax output)
///
/// The two cross-entropies are computed from z (log-sum-exp), never from a rounded a.
public enum Loss: String, CaseIterable, Sendable {
    case quadratic, mse, mae
    case binaryCrossEntropy = "binary_cross_entropy"
    case crossEntropy = "cross_entropy"

    /// Rejects output/loss pairings that make no sense.
    static func validate(hidden: Activation, output: Activation, loss: Loss, outputs: Int) throws {
        try require(hidden != .softmax,
                    "hidden: softmax is an output activation (it couples the units of a layer); use sigmoid, relu, tanh or identity")
        try require(output != .softmax || outputs >= 2,
                    "output: softmax needs at least 2 outputs, the network has \(outputs) (softmax of one value is always 1); use sigmoid")
        try require(loss != .binaryCrossEntropy || output == .sigmoid,
                    "loss: binary_cross_entropy needs output='sigmoid', got output='\(output.rawValue)'")
        try require(loss != .crossEntropy || output == .softmax,
                    "loss: cross_entropy needs output='softmax', got output='\(output.rawValue)'"
                    + (output == .sigmoid ? " (for sigmoid outputs use binary_cross_entropy)" : ""))
    }

    /// Whether δ_L = ∂C/∂z is computed directly from (a − y) instead of ∂C/∂a ⊙ σ'(z).
    var isFusedWithOutput: Bool { self == .binaryCrossEntropy || self == .crossEntropy }

    /// Writes into `delta` the gradient of `scale`·Σ_rows ℓ with respect to z (fused losses) or to a
    /// (the others), and returns Σ_rows ℓ.
    func evaluate<T: Scalar>(
        z: Matrix<T>, a: Matrix<T>, targets y: TargetRows<T>, scale: T, delta: Matrix<T>
    ) -> Double {
        let k = a.columns
        var total = 0.0
        for r in 0..<a.rows {
            let zr = z.row(r), ar = a.row(r), dr = delta.row(r)
            var rowLoss: T = 0
            switch self {
            case .quadratic, .mse:
                let factor: T = self == .quadratic ? 1 : 2 / T(k)
                for j in 0..<k {
                    let difference = ar[j] - y[r, j]
                    rowLoss += difference * difference
                    dr[j] = scale * factor * difference
                }
                rowLoss *= self == .quadratic ? T(0.5) : 1 / T(k)
            case .mae:
                for j in 0..<k {
                    let difference = ar[j] - y[r, j]
                    rowLoss += abs(difference)
                    dr[j] = difference == 0 ? 0 : (difference > 0 ? scale / T(k) : -scale / T(k))
                }
                rowLoss /= T(k)
            case .binaryCrossEntropy:
                // −[y log σ(z) + (1−y) log(1−σ(z))] = max(z, 0) − z·y + log(1 + e^(−|z|))
                for j in 0..<k {
                    let zj = zr[j], yj = y[r, j]
                    rowLoss += max(zj, 0) - zj * yj + T.log1p(T.exp(-abs(zj)))
                    dr[j] = scale * (ar[j] - yj)
                }
            case .crossEntropy:
                // log a_j = z_j − m − log Σ e^(z − m), m = max z
                var largest = zr[0]
                for j in 1..<k { largest = max(largest, zr[j]) }
                var sumExp: T = 0
                for j in 0..<k { sumExp += T.exp(zr[j] - largest) }
                let logNormaliser = largest + T.log(sumExp)
                var targetMass: T = 0
                for j in 0..<k {
                    let yj = y[r, j]
                    targetMass += yj
                    if yj != 0 { rowLoss -= yj * (zr[j] - logNormaliser) }
                }
                for j in 0..<k { dr[j] = scale * (ar[j] * targetMass - y[r, j]) }
            }
            total += Double(rowLoss)
        }
        return total
    }
}

/// The targets of a block of rows: dense values, or class labels read as one-hot rows.
public enum TargetRows<T: Scalar> {
    case dense(Matrix<T>)
    case labels(UnsafePointer<Int>)

    @inline(__always) subscript(row: Int, column: Int) -> T {
        switch self {
        case .dense(let values): return values[row, column]
        case .labels(let labels): return labels[row] == column ? 1 : 0
        }
    }

    /// The targets of a block of rows.
    func rows(_ range: Range<Int>) -> TargetRows {
        switch self {
        case .dense(let values): return .dense(values.rows(range))
        case .labels(let labels): return .labels(labels + range.lowerBound)
        }
    }

    /// The class of a row: its label, or the argmax of its dense targets (k ≥ 2), or y ≥ ½ (k = 1).
    @inline(__always) func targetClass(_ row: Int, columns: Int) -> Int {
        switch self {
        case .labels(let labels): return labels[row]
        case .dense(let values): return predictedClass(values.row(row), columns: columns)
        }
    }
}

/// argmax over the row; for a single output, 1 when it is at least ½.
@inline(__always)
func predictedClass<T: Scalar>(_ row: UnsafePointer<T>, columns: Int) -> Int {
    if columns == 1 { return row[0] >= 0.5 ? 1 : 0 }
    var best = 0
    for j in 1..<columns where row[j] > row[best] { best = j }
    return best
}
