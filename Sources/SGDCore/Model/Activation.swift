/// σ over a matrix, row by row, with the kernels of the instruction set in use (`Activation` in
/// SGDNumerics lists the formulas; SGDKernels/Activation.swift computes them).
extension Activation {
    /// a ← σ(z); `a` may be `z` itself (hidden layers keep only a).
    func apply<T: Scalar>(_ z: Matrix<T>, into a: Matrix<T>, _ kernels: ElementwiseKernels<T> = .selected) {
        for r in 0..<z.rows { kernels.activate(self, z.row(r), a.row(r), z.columns) }
    }

    /// δ ← δ ⊙ σ'(z), given a = σ(z) and, where `derivativeNeedsZ`, z (softmax: the Jacobian-vector
    /// product, row-wise).
    func backpropagate<T: Scalar>(_ delta: Matrix<T>, a: Matrix<T>, z: Matrix<T>? = nil,
                                  _ kernels: ElementwiseKernels<T> = .selected) {
        for r in 0..<delta.rows {
            kernels.backpropagate(self, delta.row(r), a.row(r), z.map { UnsafePointer($0.row(r)) }, delta.columns)
        }
    }
}
