/// σ in a = σ(z). Softmax is row-wise and allowed on the output layer only.
public enum Activation: String, CaseIterable, Sendable {
    case sigmoid, relu, tanh, identity, softmax

    /// a ← σ(z).
    func apply<T: Scalar>(_ z: Matrix<T>, into a: Matrix<T>) {
        apply(z: z.base, a: a.base, rows: z.rows, columns: z.columns)
    }

    private func apply<T: Scalar>(z: UnsafeMutablePointer<T>, a: UnsafeMutablePointer<T>, rows: Int, columns: Int) {
        let count = rows * columns
        switch self {
        case .sigmoid:
            for i in 0..<count { a[i] = logistic(z[i]) }
        case .relu:
            for i in 0..<count { a[i] = max(z[i], 0) }
        case .tanh:
            for i in 0..<count { a[i] = T.tanh(z[i]) }
        case .identity:
            if a != z { a.update(from: z, count: count) }
        case .softmax:
            for r in 0..<rows {
                let zr = z + r * columns, ar = a + r * columns
                var largest = zr[0]
                for j in 1..<columns { largest = max(largest, zr[j]) }
                var sum: T = 0
                for j in 0..<columns { ar[j] = T.exp(zr[j] - largest); sum += ar[j] }
                let inverse = 1 / sum
                for j in 0..<columns { ar[j] *= inverse }
            }
        }
    }

    /// δ ← δ ⊙ σ'(z), given z and a = σ(z) (the derivatives are cheapest in terms of a). For softmax
    /// σ' is a Jacobian: δ ← a ⊙ (δ − Σ_j δ_j a_j) row-wise.
    func backpropagate<T: Scalar>(_ delta: Matrix<T>, z: Matrix<T>, a: Matrix<T>) {
        let d = delta.base, zs = z.base, acts = a.base, count = delta.count
        switch self {
        case .sigmoid:
            for i in 0..<count { d[i] *= acts[i] * (1 - acts[i]) }
        case .relu:
            for i in 0..<count where zs[i] <= 0 { d[i] = 0 }
        case .tanh:
            for i in 0..<count { d[i] *= 1 - acts[i] * acts[i] }
        case .identity:
            break
        case .softmax:
            for r in 0..<delta.rows {
                let dr = delta.row(r), ar = a.row(r)
                var dot: T = 0
                for j in 0..<delta.columns { dot += dr[j] * ar[j] }
                for j in 0..<delta.columns { dr[j] = ar[j] * (dr[j] - dot) }
            }
        }
    }
}

/// 1/(1+e^(−z)), without overflowing e^(−z) for very negative z.
@inline(__always)
func logistic<T: Scalar>(_ z: T) -> T {
    if z >= 0 { return 1 / (1 + T.exp(-z)) }
    let e = T.exp(z)
    return e / (1 + e)
}
