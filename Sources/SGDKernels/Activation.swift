import SGDNumerics

/// a ← σ(z) over one row (`Activation` lists the formulas); `a` may be `z` (hidden layers keep only a).
func activate<T: Scalar>(_ activation: Activation, _ z: UnsafePointer<T>, _ a: UnsafeMutablePointer<T>, _ n: Int) {
    switch activation {
    case .sigmoid:
        for j in 0..<n { a[j] = logistic(z[j]) }
    case .relu:
        for j in 0..<n { a[j] = max(z[j], 0) }
    case .tanh:
        for j in 0..<n { a[j] = T.tanh(z[j]) }
    case .identity:
        if UnsafePointer(a) != z { a.update(from: z, count: n) }
    case .softmax:
        guard n > 0 else { return }
        var largest = z[0]
        for j in 1..<n { largest = max(largest, z[j]) }
        var sum: T = 0
        for j in 0..<n { a[j] = T.exp(z[j] - largest); sum += a[j] }
        let inverse = 1 / sum
        for j in 0..<n { a[j] *= inverse }
    case .exp:
        for j in 0..<n { a[j] = T.exp(z[j]) }
    }
}

/// δ ← δ ⊙ σ'(z) over one row, given a = σ(z): every derivative here is cheapest in terms of a (ReLU's
/// z > 0 is a > 0), so z need not be kept. For softmax σ' is a Jacobian: δ ← a ⊙ (δ − Σ_j δ_j a_j).
func backpropagate<T: Scalar>(_ activation: Activation, _ d: UnsafeMutablePointer<T>, _ a: UnsafePointer<T>, _ n: Int) {
    switch activation {
    case .sigmoid:
        for j in 0..<n { d[j] *= a[j] * (1 - a[j]) }
    case .relu:
        for j in 0..<n { d[j] = a[j] > 0 ? d[j] : 0 }
    case .tanh:
        for j in 0..<n { d[j] *= 1 - a[j] * a[j] }
    case .identity:
        break
    case .softmax:
        var dot: T = 0
        for j in 0..<n { dot += d[j] * a[j] }
        for j in 0..<n { d[j] = a[j] * (d[j] - dot) }
    case .exp:
        for j in 0..<n { d[j] *= a[j] }
    }
}

/// 1/(1+e^(−z)), without overflowing e^(−z) for very negative z.
@inline(__always)
func logistic<T: Scalar>(_ z: T) -> T {
    if z >= 0 { return 1 / (1 + T.exp(-z)) }
    let e = T.exp(z)
    return e / (1 + e)
}
