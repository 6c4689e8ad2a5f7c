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
    case .leakyRelu:
        for j in 0..<n { a[j] = z[j] > 0 ? z[j] : 0.01 * z[j] }  // torch's default slope
    case .elu:
        for j in 0..<n { a[j] = z[j] > 0 ? z[j] : T.expm1(z[j]) }
    case .gelu:
        for j in 0..<n { a[j] = z[j] * normalCDF(z[j]) }
    case .softplus:
        // log(1 + e^z) = max(z, 0) + log(1 + e^(−|z|)): the exponent is never positive.
        for j in 0..<n { a[j] = max(z[j], 0) + T.log1p(T.exp(-abs(z[j]))) }
    case .silu:
        for j in 0..<n { a[j] = z[j] * logistic(z[j]) }
    }
}

/// δ ← δ ⊙ σ'(z) over one row, given a = σ(z): most derivatives are cheapest in terms of a (ReLU's
/// z > 0 is a > 0), so z need not be kept; gelu and silu read z (`Activation.derivativeNeedsZ`, the
/// caller passes it for them and may pass nil otherwise). For softmax σ' is a Jacobian:
/// δ ← a ⊙ (δ − Σ_j δ_j a_j).
func backpropagate<T: Scalar>(_ activation: Activation, _ d: UnsafeMutablePointer<T>, _ a: UnsafePointer<T>,
                              _ z: UnsafePointer<T>?, _ n: Int) {
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
    case .leakyRelu:
        for j in 0..<n { d[j] = a[j] > 0 ? d[j] : 0.01 * d[j] }
    case .elu:
        for j in 0..<n { d[j] = a[j] > 0 ? d[j] : d[j] * (a[j] + 1) }  // e^z = a + 1 where z ≤ 0
    case .gelu:
        guard let z else { preconditionFailure("gelu's derivative needs z") }
        for j in 0..<n { d[j] *= normalCDF(z[j]) + z[j] * normalDensity(z[j]) }
    case .softplus:
        for j in 0..<n { d[j] *= -T.expm1(-a[j]) }  // 1/(1 + e^(−z)) = 1 − e^(−a), a = log(1 + e^z)
    case .silu:
        guard let z else { preconditionFailure("silu's derivative needs z") }
        for j in 0..<n {
            let s = logistic(z[j])
            d[j] *= s * (1 + z[j] * (1 - s))
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

/// Φ(z) = ½ erfc(−z/√2), the standard normal distribution function: erfc keeps Φ's small values for
/// z ≪ 0 (½(1 + erf(z/√2)) would cancel them to 0).
@inline(__always)
func normalCDF<T: Scalar>(_ z: T) -> T {
    T.erfc(-z * 0.70710678118654752440) / 2  // 1/√2
}

/// φ(z) = e^(−z²/2)/√(2π), the standard normal density (0, not ∞ · 0, for huge |z|: z² overflows to ∞).
@inline(__always)
func normalDensity<T: Scalar>(_ z: T) -> T {
    T.exp(-(z * z) / 2) * 0.39894228040143267794  // 1/√(2π)
}
