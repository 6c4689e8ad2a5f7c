import CSGDSwift
import SGDCore

// The configuration functions of sgdswift.h: what the core chose at start-up.

@_cdecl("sgd_instruction_set")
public func exportInstructionSet(_ out: UnsafeMutablePointer<CChar>, _ capacity: Int64) {
    writeText(InstructionSet.selected.rawValue, into: out, capacity: capacity)
}

@_cdecl("sgd_detected_instruction_set")
public func exportDetectedInstructionSet(_ out: UnsafeMutablePointer<CChar>, _ capacity: Int64) {
    writeText(InstructionSet.detected.rawValue, into: out, capacity: capacity)
}

@_cdecl("sgd_matrix_engine")
public func exportMatrixEngine(_ out: UnsafeMutablePointer<CChar>, _ capacity: Int64) {
    writeText(MatrixEngine.configuration, into: out, capacity: capacity)
}

@_cdecl("sgd_small_product_kernels")
public func exportSmallProductKernels(_ out: UnsafeMutablePointer<CChar>, _ capacity: Int64) {
    writeText(MatrixEngine.generatedKernelsDescription, into: out, capacity: capacity)
}

@_cdecl("sgd_matrix_kernels")
public func exportMatrixKernels(_ out: UnsafeMutablePointer<CChar>, _ capacity: Int64) {
    writeText(MatrixEngine.kernels, into: out, capacity: capacity)
}
