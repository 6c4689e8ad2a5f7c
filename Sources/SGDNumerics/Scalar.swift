import CBLAS
import CSmallProducts

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The floating-point types the core trains in: Float and Double, each with its libm functions and
/// its BLAS matrix product. The core's public entry points carry `@_specialize(exported: true, …)` for
/// both, so that callers in other modules (the C exports) run specialised code: unspecialised
/// generic arithmetic made an MNIST epoch 7× slower. (For the same reason the elementwise kernels are
/// reached through tables of concrete Float and Double functions, `ElementwiseKernels`.) SIMDScalar (which brings Codable) lets the
/// whole-array checks use explicit vector lanes.
public protocol Scalar: BinaryFloatingPoint, SIMDScalar, Codable where RawSignificand: FixedWidthInteger {
    static func exp(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func expm1(_ x: Self) -> Self
    /// The complementary error function 1 − erf x, accurate where erf x is near 1.
    static func erfc(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    /// C ← α·op(A)·op(B) + β·C, row-major, op = transpose when asked (BLAS gemm).
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// The same product, β = 0 or 1, by a kernel generated for this shape (libxsmm): false when there is
    /// none (a transposed b, or a CPU without AVX), and then nothing was done.
    static func smallGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int) -> Bool
    /// Σ x_i y_i over `count` elements (BLAS dot: vectorised, unlike a plain reduction loop).
    static func dot(count: Int, _ x: UnsafePointer<Self>, _ y: UnsafePointer<Self>) -> Self
    /// √x, correctly rounded: the IEEE square root, as `squareRoot()`, but one that loops vectorise.
    static func squareRoot(_ x: Self) -> Self
}

// On Linux `squareRoot()` becomes a call to libm's sqrtf/sqrt (which may set errno), and a loop with
// such a call stays scalar: Adam's update ran 15× slower. LLVM's own intrinsic is the same IEEE
// operation without errno, so loops over it compile to vector square roots.
@usableFromInline @_silgen_name("llvm.sqrt.f32") func vectorisableSquareRoot(_ x: Float) -> Float
@usableFromInline @_silgen_name("llvm.sqrt.f64") func vectorisableSquareRoot(_ x: Double) -> Double

@inline(__always)
private func cblasTranspose(_ transpose: Bool) -> CBLAS_TRANSPOSE {
    transpose ? CblasTrans : CblasNoTrans
}

extension Float: Scalar {
    @inlinable @inline(__always) public static func exp(_ x: Float) -> Float { expf(x) }
    @inlinable @inline(__always) public static func log1p(_ x: Float) -> Float { log1pf(x) }
    @inlinable @inline(__always) public static func expm1(_ x: Float) -> Float { expm1f(x) }
    @inlinable @inline(__always) public static func erfc(_ x: Float) -> Float { erfcf(x) }
    @inlinable @inline(__always) public static func log(_ x: Float) -> Float { logf(x) }
    @inlinable @inline(__always) public static func tanh(_ x: Float) -> Float { tanhf(x) }
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }
    public static func smallGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) -> Bool {
        sgd_small_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b,
                        Int32(ldb), beta, c, Int32(ldc)) == 1
    }
    @inlinable @inline(__always) public static func dot(count: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        cblas_sdot(blasint(count), x, 1, y, 1)
    }
    @inlinable @inline(__always) public static func squareRoot(_ x: Float) -> Float { vectorisableSquareRoot(x) }
}

extension Double: Scalar {
    @inlinable @inline(__always) public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    @inlinable @inline(__always) public static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
    @inlinable @inline(__always) public static func expm1(_ x: Double) -> Double { Glibc.expm1(x) }
    @inlinable @inline(__always) public static func erfc(_ x: Double) -> Double { Glibc.erfc(x) }
    @inlinable @inline(__always) public static func log(_ x: Double) -> Double { Glibc.log(x) }
    @inlinable @inline(__always) public static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }
    public static func smallGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) -> Bool {
        sgd_small_dgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b,
                        Int32(ldb), beta, c, Int32(ldc)) == 1
    }
    @inlinable @inline(__always) public static func dot(count: Int, _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>) -> Double {
        cblas_ddot(blasint(count), x, 1, y, 1)
    }
    @inlinable @inline(__always) public static func squareRoot(_ x: Double) -> Double { vectorisableSquareRoot(x) }
}
