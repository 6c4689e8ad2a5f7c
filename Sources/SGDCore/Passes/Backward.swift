/// Backpropagation, from the output error δ_L that the scored forward pass leaves, for l = L … 1:
///
///     ∂C/∂W_l = a_{l−1}ᵀ δ_l
///     ∂C/∂b_l = Σ_rows δ_l
///     δ_{l−1}  = (δ_l W_lᵀ) ⊙ σ'(z_{l−1})        (for l > 1)
///
/// The three read only δ_l, a_{l−1} and W_l, so each layer's are computed together as one phase of
/// tiles: rows of ∂W_l, columns of ∂b_l and columns of δ_{l−1}. While training with dropout, a_{l−1} is
/// ã_{l−1} and δ_{l−1} gains the factor m_{l−1}/(1 − p_{l−1}) (`DropoutMasks`).
extension Network {
    /// Writes ∇θ C into `gradient`, or adds it when `accumulate` (later chunks of a mini-batch).
    /// `alongside` runs in the first layer's phase, the one with the most work to share.
    func backward(_ x: Inputs<T>, _ workspace: Workspace<T>, into gradient: UnsafeMutablePointer<T>, accumulate: Bool,
                  alongside: PhaseJob? = nil) {
        let m = x.rows, kernels = self.kernels
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l]
            let delta = workspace.delta(l, rows: m)
            let input = l == 0 ? x : .dense(workspace.activation(l - 1, rows: m))
            let w = layer.weights(in: workspace.theta)
            let dW = layer.weights(in: gradient), db = layer.biases(in: gradient)
            // Rows of ∂W_l and columns of δ_{l−1} both run over the layer's inputs, with equal work.
            let inputTiles = Tiling(extent: layer.fanIn, workPerUnit: m * layer.fanOut,
                                    minimumWork: Self.minimumProductTile, granule: 16)
            let biasTiles = Tiling(extent: layer.fanOut, workPerUnit: m, minimumWork: Self.minimumElementwiseTile)
            var jobs = [
                PhaseJob("∂W_l = a_{l−1}ᵀ δ_l", tiles: inputTiles) { inputs in
                    weightGradient(dW.rows(inputs), input, inputs, delta, accumulate: accumulate, kernels)
                },
                PhaseJob("∂b_l = Σ δ_l", tiles: biasTiles) { units in
                    biasGradient(db + units.lowerBound, delta.columns(units), accumulate: accumulate)
                },
            ]
            if l > 0, case .dense(let input) = input {
                let previous = workspace.delta(l - 1, rows: m), activation = layers[l - 1].activation
                let dropout = workspace.dropout, undropped = dropout?.layer(l - 1, rows: m)?.undropped ?? input
                let z = workspace.preactivation(l - 1, rows: m)
                jobs.append(PhaseJob("δ_{l−1} = (δ_l W_lᵀ) ⊙ σ'(z_{l−1})", tiles: inputTiles) { inputs in
                    previousDelta(previous.columns(inputs), delta, w.rows(inputs), activation,
                                  a: undropped.columns(inputs), z: z?.columns(inputs), kernels)
                    dropout?.backpropagate(l - 1, previous.columns(inputs), units: inputs)  // ⊙ m_{l−1}/(1 − p_{l−1})
                })
            }
            if l == 0, let alongside { jobs.append(alongside) }
            WorkerPool.shared.run(jobs)
        }
    }
}

/// ∂W_l = a_{l−1}ᵀ δ_l for a block of W_l's rows (the block `inputs` of a_{l−1}'s columns); added to
/// ∂W_l when `accumulate`. A sparse a_0 = X scatters its nonzeros' x·δ rows into the block.
@inline(__always)
func weightGradient<T: Scalar>(_ block: Matrix<T>, _ a: Inputs<T>, _ inputs: Range<Int>, _ delta: Matrix<T>,
                               accumulate: Bool, _ kernels: ElementwiseKernels<T>) {
    switch a {
    case .dense(let a):
        let a = a.columns(inputs)
        if accumulate { block.addProduct(a, delta, transposeA: true) } else { block.assignProduct(a, delta, transposeA: true) }
    case .sparse(let x):
        block.assignTransposeProduct(x, delta, inputs: inputs, accumulate: accumulate, kernels)
    }
}

/// ∂b_l = Σ_rows δ_l for a block of units; added to ∂b_l when `accumulate`.
@inline(__always)
func biasGradient<T: Scalar>(_ block: UnsafeMutablePointer<T>, _ delta: Matrix<T>, accumulate: Bool) {
    delta.sumRows(into: block, accumulate: accumulate)
}

/// δ_{l−1} = (δ_l W_lᵀ) ⊙ σ'(z_{l−1}) for a block of layer l−1's units (a block of W_l's rows);
/// σ' is taken from a_{l−1}, and from z_{l−1} where it needs z (see `Activation.backpropagate`).
@inline(__always)
func previousDelta<T: Scalar>(_ block: Matrix<T>, _ delta: Matrix<T>, _ w: Matrix<T>, _ activation: Activation,
                              a: Matrix<T>, z: Matrix<T>?, _ kernels: ElementwiseKernels<T>) {
    block.assignProduct(delta, w, transposeB: true)
    activation.backpropagate(block, a: a, z: z, kernels)
}
