#if canImport(Glibc)
import Glibc
#endif

/// xoshiro256** seeded through SplitMix64: the same seed gives the same numbers on every platform
/// (integer arithmetic only; normals use Box–Muller in Double).
public struct Random {
    private var s0, s1, s2, s3: UInt64
    private var spareNormal: Double?

    /// `stream` selects an independent sequence for the same seed (one per fit call, say).
    public init(seed: UInt64, stream: UInt64 = 0) {
        var state = seed ^ (stream &* 0xD1B5_4A32_D192_ED03)
        func splitMix() -> UInt64 {
            state &+= splitMixIncrement
            return splitMixFinal(state)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform integer in 0..<bound, unbiased (Lemire's multiply-and-reject).
    public mutating func below(_ bound: Int) -> Int {
        let n = UInt64(bound)
        var product = next().multipliedFullWidth(by: n)
        if product.low < n {
            let threshold = (0 &- n) % n
            while product.low < threshold { product = next().multipliedFullWidth(by: n) }
        }
        return Int(product.high)
    }

    /// Standard normal N(0, 1).
    public mutating func normal() -> Double {
        if let spare = spareNormal { spareNormal = nil; return spare }
        let u1 = 1 - uniform()  // (0, 1]: log is finite
        let u2 = uniform()
        let radius = (-2 * log(u1)).squareRoot()
        spareNormal = radius * sin(2 * Double.pi * u2)
        return radius * cos(2 * Double.pi * u2)
    }

    /// Fisher–Yates.
    public mutating func shuffle(_ values: UnsafeMutableBufferPointer<Int>) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, below(i + 1))
        }
    }
}

/// SplitMix64's step: its n-th output from state k is splitMixFinal(k + n·splitMixIncrement).
let splitMixIncrement: UInt64 = 0x9E37_79B9_7F4A_7C15

/// SplitMix64's output function, a bijective mix of all 64 bits.
@inline(__always)
func splitMixFinal(_ state: UInt64) -> UInt64 {
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
