import CBLAS
import CSmallProducts

/// The libraries behind the matrix products, both linked privately into the extension: OpenBLAS
/// (`Scalar.gemm`), and libxsmm (`Scalar.smallGemm`), which generates a kernel for each small shape
/// at run time. Each picks its code for the CPU once, when it is loaded; the extension makes that
/// choice follow `InstructionSet.selected` (python/sgdswift/_engine.c).
public enum MatrixEngine: Equatable {
    case blas, generatedKernels

    /// Multiply-adds up to which libxsmm's kernels are used (when it has one: not for a transposed
    /// second operand): they need no packing, which is most of a small product's cost. Measured on
    /// sgdswift's products (bench/ENGINES.md, Zen 5, one thread, float32): libxsmm 1.17 runs
    /// 10×784·784×30 at 247 GFLOP/s against OpenBLAS 0.3.21's 103, 64×784·784×128 at 266 against
    /// 209, but 256×1024·1024×1024 at 159 against 245: the tiles of the large products (≥ 2²⁴
    /// multiply-adds) stay with OpenBLAS.
    public static var smallProductLimit: Int { 1 << 23 }

    /// The engine for an m×k·k×n product.
    public static func choice(m: Int, n: Int, k: Int) -> MatrixEngine {
        let (mn, overflow1) = m.multipliedReportingOverflow(by: n)
        let (mnk, overflow2) = mn.multipliedReportingOverflow(by: k)
        return !overflow1 && !overflow2 && mnk <= smallProductLimit ? .generatedKernels : .blas
    }

    /// OpenBLAS's build, e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64".
    public static var configuration: String { String(cString: openblas_get_config()) }
    /// The CPU family whose kernels OpenBLAS runs, e.g. "SkylakeX".
    public static var kernels: String { String(cString: openblas_get_corename()) }
    /// libxsmm's version and the CPU it generates kernels for, e.g. "libxsmm 1.17.0 (cpx)" (Cooper Lake's
    /// AVX-512); "generic" or "wsm" mean none (no AVX), and every product goes to OpenBLAS.
    public static var generatedKernelsDescription: String {
        guard hasGeneratedKernels else { return "none (built without libxsmm)" }
        return "libxsmm \(String(cString: sgd_small_products_version())) (\(String(cString: sgd_small_products_target())))"
    }

    /// Whether sgdswift was built with libxsmm (it exists for x86-64 only).
    public static var hasGeneratedKernels: Bool { sgd_small_products_available() == 1 }
}
