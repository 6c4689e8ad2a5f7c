/// The elementwise loops of training for one scalar type, as compiled for one instruction set: the
/// module SGDKernels is built three times (baseline x86-64, AVX2, AVX-512; see Package.swift) and each
/// build provides a Float and a Double table. SGDCore picks the table of the instruction set in use
/// once, from CPUID, so one build runs on any x86-64 and still uses wide vectors where they exist.
///
/// The entries are closures over concrete Float or Double functions (not generic protocol methods,
/// which would run unspecialised across the module boundary).
public struct ElementwiseKernels<T: Scalar> {
    /// a ← σ(z) over one row of `count` values; `a` may be `z`.
    public let activate: (_ activation: Activation, _ z: UnsafePointer<T>, _ a: UnsafeMutablePointer<T>,
                          _ count: Int) -> Void
    /// δ ← δ ⊙ σ'(z) over one row of `count` values, given a = σ(z) and, for the activations whose
    /// `derivativeNeedsZ`, z (else it may be nil).
    public let backpropagate: (_ activation: Activation, _ delta: UnsafeMutablePointer<T>, _ a: UnsafePointer<T>,
                               _ z: UnsafePointer<T>?, _ count: Int) -> Void
    /// One step of `rule` over `operands.count` scalars, with weight decay λ; whether every θ′ is finite.
    public let update: (_ rule: UpdateRule, _ operands: UpdateOperands<T>, _ weightDecay: T) -> Bool
    /// Whether all `count` values are finite.
    public let allFinite: (_ values: UnsafePointer<T>, _ count: Int) -> Bool
    /// The smallest and largest of `count` finite values; (0, 0) for none.
    public let extremes: (_ values: UnsafePointer<T>, _ count: Int) -> (smallest: T, largest: T)
    /// One sparse row x (nonzeros x_k in rows j_k of m) times a dense matrix m, over `width` columns:
    /// out ← out + Σ_k x_k·m[j_k, 0..<width], the terms added in k order.
    public let addSparseRowProduct: (_ out: UnsafeMutablePointer<T>, _ width: Int, _ row: SparseRow<T>,
                                     _ m: UnsafePointer<T>, _ stride: Int) -> Void
    /// The transpose: m[j_k − first, 0..<width] ← m[j_k − first, 0..<width] + x_k·d for the nonzeros
    /// x_k whose j_k lies in first..<first + extent (m's rows), in k order.
    public let scatterSparseRow: (_ m: UnsafeMutablePointer<T>, _ stride: Int, _ first: Int, _ extent: Int,
                                  _ row: SparseRow<T>, _ d: UnsafePointer<T>, _ width: Int) -> Void

    public init(
        activate: @escaping (Activation, UnsafePointer<T>, UnsafeMutablePointer<T>, Int) -> Void,
        backpropagate: @escaping (Activation, UnsafeMutablePointer<T>, UnsafePointer<T>, UnsafePointer<T>?, Int) -> Void,
        update: @escaping (UpdateRule, UpdateOperands<T>, T) -> Bool,
        allFinite: @escaping (UnsafePointer<T>, Int) -> Bool,
        extremes: @escaping (UnsafePointer<T>, Int) -> (smallest: T, largest: T),
        addSparseRowProduct: @escaping (UnsafeMutablePointer<T>, Int, SparseRow<T>, UnsafePointer<T>, Int) -> Void,
        scatterSparseRow: @escaping (UnsafeMutablePointer<T>, Int, Int, Int, SparseRow<T>, UnsafePointer<T>, Int) -> Void
    ) {
        (self.activate, self.backpropagate, self.update) = (activate, backpropagate, update)
        (self.allFinite, self.extremes) = (allFinite, extremes)
        (self.addSparseRowProduct, self.scatterSparseRow) = (addSparseRowProduct, scatterSparseRow)
    }
}

/// The nonzeros of one row of a compressed sparse row matrix: values[k] in column columns[k], k < count
/// (columns in any order, repeats adding up).
public struct SparseRow<T: Scalar> {
    public let values: UnsafePointer<T>
    public let columns: UnsafePointer<Int32>
    public let count: Int

    @inlinable @inline(__always)
    public init(values: UnsafePointer<T>, columns: UnsafePointer<Int32>, count: Int) {
        (self.values, self.columns, self.count) = (values, columns, count)
    }
}
