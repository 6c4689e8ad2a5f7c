/// The cost C on a batch of n rows with k outputs is the mean over the rows of a per-row loss ℓ, or
/// with per-row weights wᵢ ≥ 0 the weighted mean C = Σ wᵢℓᵢ / Σ wᵢ (unit weights give the plain mean).
/// The gradient δ starts backpropagation: ∂ℓ/∂a, or for the cross-entropies and the Poisson loss
/// directly ∂ℓ/∂z, which their output activation turns into a − y (ℓ is then computed from z, never
/// from a rounded a):
///
///     quadratic              ℓ = ½ ‖y − a‖²                                  ∂ℓ/∂a = a − y
///     mse                    ℓ = (1/k) Σ_j (y_j − a_j)²                      ∂ℓ/∂a = (2/k)(a − y)
///     mae                    ℓ = (1/k) Σ_j |y_j − a_j|                       ∂ℓ/∂a = (1/k) sign(a − y)
///     binary_cross_entropy   ℓ = −Σ_j [y_j log a_j + (1 − y_j) log(1 − a_j)]  ∂ℓ/∂z = a − y  (sigmoid output)
///     cross_entropy          ℓ = −Σ_j y_j log a_j                            ∂ℓ/∂z = a Σ_j y_j − y  (softmax)
///     poisson                ℓ = Σ_j [e^(z_j) − y_j z_j + y_j log y_j − y_j]  ∂ℓ/∂z = a − y  (exp output, y ≥ 0)
///
/// so C = 1/(2n) Σ ‖y − a‖² for quadratic, the mean of all (y − a)² for mse, of all |y − a| for mae.
/// poisson is half the Poisson deviance, y log(y/a) − y + a with a = e^z (0 log 0 = 0): it is 0 where
/// a = y, as scikit-learn reports it.
public enum Loss: String, CaseIterable, Sendable {
    case quadratic, mse, mae
    case binaryCrossEntropy = "binary_cross_entropy"
    case crossEntropy = "cross_entropy"
    case poisson

    /// Each of `hidden` may serve a hidden layer (also when a network without hidden layers names one: a
    /// typo is refused, not ignored).
    static func validate(hidden: [Activation]) throws {
        let hiddenNames = Activation.allCases.filter { !$0.isOutputOnly }.map(\.rawValue).joined(separator: ", ")
        for (l, activation) in hidden.enumerated() {
            let argument = hidden.count == 1 ? "hidden" : "hidden[\(l)]"
            try require(activation != .softmax,
                        "\(argument): softmax is an output activation (it couples the units of a layer); use one of \(hiddenNames)")
            try require(activation != .exp,
                        "\(argument): exp is an output activation (the Poisson loss's rate); use one of \(hiddenNames)")
        }
    }

    /// Rejects output/loss pairings that make no sense.
    static func validate(hidden: [Activation], output: Activation, loss: Loss, outputs: Int) throws {
        try validate(hidden: hidden)
        try require(!output.isHiddenOnly,
                    "output: \(output.rawValue) is a hidden activation; use sigmoid, relu, tanh, identity, softmax or exp")
        try require(output != .softmax || outputs >= 2,
                    "output: softmax needs at least 2 outputs, the network has \(outputs) (softmax of one value is always 1); use sigmoid")
        try require(loss != .binaryCrossEntropy || output == .sigmoid,
                    "loss: binary_cross_entropy needs output='sigmoid', got output='\(output.rawValue)'")
        try require(loss != .crossEntropy || output == .softmax,
                    "loss: cross_entropy needs output='softmax', got output='\(output.rawValue)'"
                    + (output == .sigmoid ? " (for sigmoid outputs use binary_cross_entropy)" : ""))
        try require(loss != .poisson || output == .exp, "loss: poisson needs output='exp', got output='\(output.rawValue)'")
    }

    /// Whether δ_L = ∂C/∂z is computed directly from (a − y) instead of ∂C/∂a ⊙ σ'(z).
    var isFusedWithOutput: Bool { self == .binaryCrossEntropy || self == .crossEntropy || self == .poisson }

    /// Σ_rows ℓ over a block of output rows, or Σ_rows wᵢℓᵢ with `weights` (those of the block's rows);
    /// the cross-entropies and the Poisson loss from z (log-sum-exp), never from a rounded a — unless
    /// `clip` c > 0: then the cross-entropies from a clipped to [c, 1 − c], as scikit-learn reports its
    /// loss (ℓ ≤ −log c per output even for a confidently wrong a).
    func total<T: Scalar>(z: Matrix<T>, a: Matrix<T>, targets y: TargetRows<T>, weights: UnsafePointer<T>? = nil,
                          clip: T = 0) -> Double {
        let k = a.columns
        var total = 0.0
        for r in 0..<a.rows {
            let zr = z.row(r), ar = a.row(r)
            var rowLoss: T = 0
            switch self {
            case .quadratic, .mse:
                for j in 0..<k {
                    let difference = ar[j] - y[r, j]
                    rowLoss += difference * difference
                }
                rowLoss *= self == .quadratic ? T(0.5) : 1 / T(k)
            case .mae:
                for j in 0..<k { rowLoss += abs(ar[j] - y[r, j]) }
                rowLoss /= T(k)
            case .binaryCrossEntropy where clip > 0:
                for j in 0..<k {
                    let p = min(max(ar[j], clip), 1 - clip), yj = y[r, j]
                    rowLoss -= yj * T.log(p) + (1 - yj) * T.log(1 - p)
                }
            case .crossEntropy where clip > 0:
                for j in 0..<k where y[r, j] != 0 { rowLoss -= y[r, j] * T.log(min(max(ar[j], clip), 1 - clip)) }
            case .binaryCrossEntropy:
                // −[y log σ(z) + (1−y) log(1−σ(z))] = max(z, 0) − z·y + log(1 + e^(−|z|))
                for j in 0..<k {
                    let zj = zr[j], yj = y[r, j]
                    rowLoss += max(zj, 0) - zj * yj + T.log1p(T.exp(-abs(zj)))
                }
            case .crossEntropy:
                // log a_j = z_j − m − log Σ e^(z − m), m = max z
                var largest = zr[0]
                for j in 1..<k { largest = max(largest, zr[j]) }
                var sumExp: T = 0
                for j in 0..<k { sumExp += T.exp(zr[j] - largest) }
                let logNormaliser = largest + T.log(sumExp)
                for j in 0..<k {
                    let yj = y[r, j]
                    if yj != 0 { rowLoss -= yj * (zr[j] - logNormaliser) }
                }
            case .poisson:
                for j in 0..<k {
                    let zj = zr[j], yj = y[r, j]
                    rowLoss += ar[j] - yj * zj + (yj > 0 ? yj * T.log(yj) - yj : 0)  // a = e^z
                }
            }
            total += weights.map { Double(rowLoss) * Double($0[r]) } ?? Double(rowLoss)
        }
        return total
    }

    /// δ ← ∂(scale·Σ_rows ℓ)/∂a for the elementwise losses, ∂(scale·Σ_rows ℓ)/∂z for the fused
    /// ones (the right-hand column of the table above); with `weights`, row i's δ is scaled by wᵢ too.
    func gradient<T: Scalar>(a: Matrix<T>, targets y: TargetRows<T>, scale rowsScale: T, into delta: Matrix<T>,
                             weights: UnsafePointer<T>? = nil) {
        let k = a.columns
        for r in 0..<a.rows {
            let ar = a.row(r), dr = delta.row(r)
            let scale = weights.map { rowsScale * $0[r] } ?? rowsScale
            switch self {
            case .quadratic, .mse:
                let factor: T = self == .quadratic ? 1 : 2 / T(k)
                for j in 0..<k { dr[j] = scale * factor * (ar[j] - y[r, j]) }
            case .mae:
                for j in 0..<k {
                    let difference = ar[j] - y[r, j]
                    dr[j] = difference == 0 ? 0 : (difference > 0 ? scale / T(k) : -scale / T(k))
                }
            case .binaryCrossEntropy, .poisson:
                for j in 0..<k { dr[j] = scale * (ar[j] - y[r, j]) }
            case .crossEntropy:
                // Σ_j y_j is 1 for one-hot or probability targets, but any non-negative y is allowed.
                var targetMass: T = 0
                for j in 0..<k { targetMass += y[r, j] }
                for j in 0..<k { dr[j] = scale * (ar[j] * targetMass - y[r, j]) }
            }
        }
    }
}
