import CBLAS

/// The library behind `Scalar.gemm` and `Scalar.dot` (OpenBLAS, linked privately into the extension),
/// as it describes itself. It picks its kernels once, when it is loaded; the extension makes that
/// choice follow `InstructionSet.selected` (python/sgdswift/_engine.c).
public enum MatrixEngine {
    /// Its build, e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64".
    public static var configuration: String { String(cString: openblas_get_config()) }
    /// The CPU family whose kernels it runs, e.g. "SkylakeX".
    public static var kernels: String { String(cString: openblas_get_corename()) }
}
