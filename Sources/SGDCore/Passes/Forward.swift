/// The forward pass, a_0 = x and for l = 1 … L:
///
///     z_l = a_{l−1} W_l + b_l
///     a_l = σ_l(z_l)
///
/// and, where the targets y are known, the output layer's score (Σℓ and correctly classified rows)
/// and the error δ_L = ∂C/∂z_L that backpropagation starts from. (Arrays count layers from 0:
/// `layers[l]`, `workspace.activation(l)` and `workspace.delta(l)` are those of layer l + 1.)
extension Network {
    /// Runs the layers on the rows of x with θ = workspace.theta and returns a_L. With `targets`, each
    /// output tile also scores its rows into the workspace (read with `scoreTotals`), and with
    /// `deltaScale` s it leaves δ_L = ∂(s·Σℓ)/∂z_L there for `backward`. With row `weights` w the
    /// score is Σwℓ and the weight of the correct rows, and δ_L = ∂(s·Σwℓ)/∂z_L.
    @discardableResult
    func forward(_ x: Inputs<T>, _ workspace: Workspace<T>, targets: TargetRows<T>? = nil,
                 deltaScale: T? = nil, weights: UnsafePointer<T>? = nil) -> Matrix<T> {
        var a = x
        for l in 0..<(layers.count - 1) { a = .dense(hiddenLayer(l, input: a, workspace)) }
        return outputLayer(input: a, workspace, targets: targets, deltaScale: deltaScale, weights: weights)
    }

    /// a_l of a hidden layer, in tiles of its units (columns), each tile's product, bias and
    /// activation done while it is in cache; z_l is overwritten by a_l (backpropagation needs only a),
    /// unless the workspace keeps z_l for σ' (`Workspace.preactivation`), and while training with dropout
    /// a_l by ã_l (`DropoutMasks`).
    private func hiddenLayer(_ l: Int, input: Inputs<T>, _ workspace: Workspace<T>) -> Matrix<T> {
        let layer = layers[l], m = input.rows, kernels = self.kernels
        let a = workspace.activation(l, rows: m), kept = workspace.preactivation(l, rows: m)
        let w = layer.weights(in: workspace.theta), b = layer.biases(in: workspace.theta)
        let tiles = Tiling(extent: layer.fanOut, workPerUnit: input.multiplyAddsPerColumn,
                           minimumWork: Self.minimumProductTile, granule: 16)
        let dropout = workspace.dropout
        WorkerPool.shared.run(tiles) { _, units in
            let z = (kept ?? a).columns(units)
            weightedInput(z, input, w.columns(units), bias: b + units.lowerBound, kernels)  // z_l = a_{l−1}W_l + b_l
            layer.activation.apply(z, into: a.columns(units), kernels)                    // a_l = σ(z_l)
            dropout?.apply(l, to: a, units: units)                                       // ã_l = a_l ⊙ m_l/(1 − p_l)
        }
        return a
    }

    /// a_L, in tiles of rows, so that softmax and the loss see whole rows; each tile scores its rows
    /// and computes their δ_L while they are in cache.
    private func outputLayer(input: Inputs<T>, _ workspace: Workspace<T>, targets: TargetRows<T>?,
                             deltaScale: T?, weights: UnsafePointer<T>?) -> Matrix<T> {
        let last = layers.count - 1, layer = layers[last], m = input.rows, kernels = self.kernels
        let z = workspace.outputLogits(rows: m), a = workspace.activation(last, rows: m)
        let w = layer.weights(in: workspace.theta), b = layer.biases(in: workspace.theta)
        let tiles = Tiling(extent: m, workPerUnit: layer.fanIn * layer.fanOut, minimumWork: Self.minimumProductTile)
        WorkerPool.shared.run(tiles) { t, rows in
            let zRows = z.rows(rows), aRows = a.rows(rows)
            weightedInput(zRows, input.rows(rows), w, bias: b, kernels)  // z_L = a_{L−1}W_L + b_L
            layer.activation.apply(zRows, into: aRows, kernels)        // a_L = σ(z_L)
            guard let targets else { return }
            let y = targets.rows(rows), w = weights.map { $0 + rows.lowerBound }
            workspace.lossPartials.base[t] = loss.total(z: zRows, a: aRows, targets: y, weights: w,
                                                        clip: workspace.lossClip)  // Σwℓ
            workspace.correctPartials.base[t] = correctlyClassified(aRows, y, weights: w)
            if let deltaScale {
                outputDelta(workspace.delta(last, rows: m).rows(rows), a: aRows, targets: y, scale: deltaScale,
                            weights: w)
            }
        }
        if targets != nil {
            for t in tiles.count..<Tiling.maximumCount {
                (workspace.lossPartials.base[t], workspace.correctPartials.base[t]) = (0, 0)
            }
        }
        return a
    }

    /// δ_L = ∂(scale·Σwℓ)/∂z_L (w = 1 without `weights`): for the fused losses a − y directly
    /// (`Loss.gradient`), for the other losses ∂(scale·Σwℓ)/∂a ⊙ σ'(z_L).
    func outputDelta(_ delta: Matrix<T>, a: Matrix<T>, targets y: TargetRows<T>, scale: T,
                     weights: UnsafePointer<T>? = nil) {
        loss.gradient(a: a, targets: y, scale: scale, into: delta, weights: weights)
        if !loss.isFusedWithOutput { output.backpropagate(delta, a: a, kernels) }
    }

    /// Rows whose predicted class is their target class, or their total weight with `weights` (0 when
    /// the outputs are not classes).
    func correctlyClassified(_ a: Matrix<T>, _ y: TargetRows<T>, weights: UnsafePointer<T>? = nil) -> Double {
        guard hasAccuracy else { return 0 }
        var correct = 0.0
        for r in 0..<a.rows where predictedClass(a.row(r), columns: a.columns) == y.targetClass(r, columns: a.columns) {
            correct += weights.map { Double($0[r]) } ?? 1
        }
        return correct
    }
}

/// z ← a·W + b, b added to every row: b is copied in first and the product added to it, so that BLAS
/// never clears z (see `Matrix.addProduct`). A sparse a (the first layer's X) is multiplied from its
/// nonzeros.
@inline(__always)
func weightedInput<T: Scalar>(_ z: Matrix<T>, _ a: Inputs<T>, _ w: Matrix<T>, bias b: UnsafePointer<T>,
                              _ kernels: ElementwiseKernels<T>) {
    for r in 0..<z.rows { z.row(r).update(from: b, count: z.columns) }
    switch a {
    case .dense(let a): z.addProduct(a, w)
    case .sparse(let x): z.addProduct(x, w, kernels)
    }
}
