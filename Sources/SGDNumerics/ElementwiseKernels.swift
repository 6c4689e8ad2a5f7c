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
    /// δ ← δ ⊙ σ'(z) over one row of `count` values, given a = σ(z).
    public let backpropagate: (_ activation: Activation, _ delta: UnsafeMutablePointer<T>, _ a: UnsafePointer<T>,
                               _ count: Int) -> Void
    /// One step of `rule` over `operands.count` scalars, with weight decay λ; whether every θ′ is finite.
    public let update: (_ rule: UpdateRule, _ operands: UpdateOperands<T>, _ weightDecay: T) -> Bool
    /// Whether all `count` values are finite.
    public let allFinite: (_ values: UnsafePointer<T>, _ count: Int) -> Bool
    /// The smallest and largest of `count` finite values; (0, 0) for none.
    public let extremes: (_ values: UnsafePointer<T>, _ count: Int) -> (smallest: T, largest: T)

    public init(
        activate: @escaping (Activation, UnsafePointer<T>, UnsafeMutablePointer<T>, Int) -> Void,
        backpropagate: @escaping (Activation, UnsafeMutablePointer<T>, UnsafePointer<T>, Int) -> Void,
        update: @escaping (UpdateRule, UpdateOperands<T>, T) -> Bool,
        allFinite: @escaping (UnsafePointer<T>, Int) -> Bool,
        extremes: @escaping (UnsafePointer<T>, Int) -> (smallest: T, largest: T)
    ) {
        (self.activate, self.backpropagate, self.update) = (activate, backpropagate, update)
        (self.allFinite, self.extremes) = (allFinite, extremes)
    }
}
