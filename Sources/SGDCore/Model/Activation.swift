/// σ in a = σ(z). Softmax is row-wise and allowed on the output layer only.
public enum Activation: String, CaseIterable, Sendable {
    case sigmoid, relu, tanh, identity, softmax

    /// a ← σ(z); `a` may be `z` itself (hidden layers keep only a).
    func apply<T: Scalar>(_ z: Matrix<T>, into a: Matrix<T>) {
        for r in 0..<z.rows {
            let zr = z.row(r), ar = a.row(r), n = z.columns
            switch self {
            case .sigmoid:
                for j in 0..<n { ar[j] = logistic(zr[j]) }
            case .relu:
                for j in 0..<n { ar[j] = max(zr[j], 0) }
            case .tanh:
                for j in 0..<n { ar[j] = T.tanh(zr[j]) }
            case .identity:
                if ar != zr { ar.update(from: zr, count: n) }
            case .softmax:
                var largest = zr[0]
                for j in 1..<n { largest = max(largest, zr[j]) }
                var sum: T = 0
                for j in 0..<n { ar[j] = T.exp(zr[j] - largest); sum += ar[j] }
                let inverse = 1 / sum
                for j in 0..<n { ar[j] *= inverse }
            }
        }
    }

    /// δ ← δ ⊙ σ'(z), given a = σ(z): every derivative here is cheapest in terms of a (ReLU's
    /// z > 0 is a > 0), so z need not be kept. For softmax σ' is a Jacobian: δ ← a ⊙ (δ − Σ_j δ_j a_j)
    /// row-wise.
    func backpropagate<T: Scalar>(_ delta: Matrix<T>, a: Matrix<T>) {
        for r in 0..<delta.rows {
            let d = delta.row(r), ar = a.row(r), n = delta.columns
            switch self {
            case .sigmoid:
                for j in 0..<n { d[j] *= ar[j] * (1 - ar[j]) }
            case .relu:
                for j in 0..<n { d[j] = ar[j] > 0 ? d[j] : 0 }
            case .tanh:
                for j in 0..<n { d[j] *= 1 - ar[j] * ar[j] }
            case .identity:
                break
            case .softmax:
                var dot: T = 0
                for j in 0..<n { dot += d[j] * ar[j] }
                for j in 0..<n { d[j] = ar[j] * (d[j] - dot) }
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
