import SGDNumerics

/// Whole-array checks, written with explicit SIMD lanes: Swift keeps floating-point reductions in
/// order, so a plain loop over them stays scalar (8–16× slower on the data's first pass).

@inline(__always)
private func vector<T: Scalar>(_ values: UnsafePointer<T>, _ i: Int) -> SIMD8<T> {
    UnsafeRawPointer(values + i).loadUnaligned(as: SIMD8<T>.self)
}

/// Whether every value is finite: x − x is 0 for finite x and NaN for ±∞ and NaN, and a NaN stays in
/// the lane sums.
func allFinite<T: Scalar>(_ values: UnsafePointer<T>, count: Int) -> Bool {
    var sums = (SIMD8<T>(), SIMD8<T>())
    var i = 0
    while i + 16 <= count {
        let (v0, v1) = (vector(values, i), vector(values, i + 8))
        sums.0 += v0 - v0
        sums.1 += v1 - v1
        i += 16
    }
    var tail: T = 0
    while i < count { tail += values[i] - values[i]; i += 1 }
    return !((sums.0 + sums.1).sum() + tail).isNaN
}

/// The smallest and largest of finite values; (0, 0) for none.
func extremes<T: Scalar>(_ values: UnsafePointer<T>, count: Int) -> (smallest: T, largest: T) {
    guard count > 0 else { return (0, 0) }
    var low = SIMD8<T>(repeating: values[0]), high = low
    var i = 0
    while i + 8 <= count {
        let v = vector(values, i)
        low = pointwiseMin(low, v)
        high = pointwiseMax(high, v)
        i += 8
    }
    var smallest = low.min(), largest = high.max()
    while i < count { smallest = min(smallest, values[i]); largest = max(largest, values[i]); i += 1 }
    return (smallest, largest)
}
