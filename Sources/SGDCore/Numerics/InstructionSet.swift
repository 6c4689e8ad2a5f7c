import CInstructionSet
import SGDKernels
import SGDKernelsAVX2
import SGDKernelsAVX512

/// The vector instruction sets the elementwise kernels are compiled for, narrowest first (the
/// criteria are in CInstructionSet's header). Chosen once, from CPUID: the widest the CPU has, or a
/// narrower one named by the environment variable SGDSWIFT_ISA (for comparisons and tests).
public enum InstructionSet: String, CaseIterable, Comparable, Sendable {
    case baseline, avx2, avx512

    /// The widest set this CPU runs.
    public static let detected = InstructionSet(sgd_isa_detected())
    /// The set in use.
    public static let selected = InstructionSet(sgd_isa_selected())
    /// The sets this CPU runs, narrowest first.
    public static var available: [InstructionSet] { allCases.filter { $0 <= detected } }

    private init(_ isa: sgd_isa) {
        switch isa {
        case SGD_ISA_AVX512: self = .avx512
        case SGD_ISA_AVX2: self = .avx2
        default: self = .baseline
        }
    }

    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: InstructionSet, rhs: InstructionSet) -> Bool { lhs.rank < rhs.rank }
}

extension ElementwiseKernels {
    /// The kernels compiled for `isa`, which must be one of `InstructionSet.available`.
    public static func compiled(for isa: InstructionSet) -> ElementwiseKernels<T> {
        let tables: [Any] = T.self == Float.self
            ? [SGDKernels.floatKernels, SGDKernelsAVX2.floatKernels, SGDKernelsAVX512.floatKernels]
            : [SGDKernels.doubleKernels, SGDKernelsAVX2.doubleKernels, SGDKernelsAVX512.doubleKernels]
        return tables[InstructionSet.allCases.firstIndex(of: isa)!] as! ElementwiseKernels<T>
    }

    /// The kernels of `InstructionSet.selected`.
    public static var selected: ElementwiseKernels<T> { compiled(for: .selected) }
}
