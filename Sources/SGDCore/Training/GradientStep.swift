/// One optimizer step of `fit` over the whole parameter vector θ, from the mini-batch gradient ∇C:
///
///     ‖∂C/∂(W_l, b_l)‖²   per layer, for the history (before regularisation and clipping)
///     ‖∇C + κW + κ₁ sign W‖   the global norm, with Nielsen's L2 term κ = λ/n and the L1 term κ₁ = λ₁/n on
///                              the weights only (both ×m/Σw for a mini-batch of weighted rows)
///     s                        c/‖…‖ to clip a longer gradient to norm c, 1/‖…‖ to normalise, else 1
///     θ′                       the optimizer's update with g = s·(∇C + κW + κ₁ sign W) + λθ, checked to be
///                              finite
///
/// Everything runs in the same shape-fixed tiles of θ, in parallel, and partial sums are added in
/// tile order, so that the result does not depend on the thread count. Sized once per fit.
final class GradientStep<T: Scalar> {
    private let layers: [Layer]
    private let tiles: Tiling
    private let penalty: Double, l1Penalty: Double
    /// This step's κ and κ₁: `penalty` and `l1Penalty`, times the batch's rows over its weight for
    /// weighted rows.
    private var kappa = 0.0, kappa1 = 0.0
    private let clipNorm: Double, normalize: Bool
    /// Per tile and layer: Σ(∂C)², and for the global norm with κ > 0 also Σ ∂C·W and ΣW² over the
    /// tile's part of the layer's weights; with κ₁ > 0 also Σ ∂C·sign W, Σ|W| and Σ sign²W (the nonzero W).
    private let squares: TilePartials, crossTerms: TilePartials, weightSquares: TilePartials
    private let signCrossTerms: TilePartials, absoluteWeights: TilePartials, nonzeroWeights: TilePartials
    private let finiteTiles: Buffer<Bool>
    /// ‖∂C/∂(W_l, b_l)‖² of the last step.
    private(set) var layerSquares: [Double]

    /// `rows` of data in all, `batchRows` per mini-batch.
    init(_ network: Network<T>, options: TrainingOptions, rows: Int, batchRows: Int) throws {
        layers = network.layers
        // θ is split only when the mini-batch's products are: a step whose products run on one core
        // and whose update runs on two moves θ, θ′ and ∇C between the cores' caches every step (measured
        // on 784-128-10 at batch 1: 2.9× slower on two threads than on one).
        let multiplyAdds = network.layers.reduce(0) { $0 + $1.fanIn * $1.fanOut }  // ≤ the parameter count
        let (productWork, overflow) = batchRows.multipliedReportingOverflow(by: multiplyAdds)
        tiles = !overflow && productWork < 2 * Network<T>.minimumProductTile
            ? Tiling(extent: network.parameters.count, count: 1)
            : Tiling(extent: network.parameters.count, workPerUnit: 1, minimumWork: Network<T>.minimumElementwiseTile,
                     granule: 16)
        penalty = options.l2 / Double(rows)
        l1Penalty = options.l1 / Double(rows)
        (clipNorm, normalize) = (options.clipNorm, options.normalizeGradient)
        squares = try TilePartials(tiles: tiles.count, layers: layers.count)
        crossTerms = try TilePartials(tiles: tiles.count, layers: layers.count)
        weightSquares = try TilePartials(tiles: tiles.count, layers: layers.count)
        signCrossTerms = try TilePartials(tiles: tiles.count, layers: layers.count)
        absoluteWeights = try TilePartials(tiles: tiles.count, layers: layers.count)
        nonzeroWeights = try TilePartials(tiles: tiles.count, layers: layers.count)
        finiteTiles = try Buffer(count: tiles.count, repeating: true)
        layerSquares = [Double](repeating: 0, count: layers.count)
    }

    /// Writes θ′ into `next` (θ is never written) and returns whether the gradient and θ′ are finite.
    /// One phase of tiles for the update, preceded by one for the norms when the scale needs them.
    /// `penaltyScale` multiplies κ and κ₁ for this step (m/Σw for a batch of weighted rows).
    func take(_ optimizer: Optimizer<T>, gradient: UnsafePointer<T>, from theta: UnsafePointer<T>,
              into next: UnsafeMutablePointer<T>, penaltyScale: Double = 1) -> Bool {
        kappa = penalty * penaltyScale
        kappa1 = l1Penalty * penaltyScale
        let rescales = clipNorm > 0 || normalize
        var scale = 1.0
        if rescales {
            sumSquares(gradient, theta)
            scale = self.scale(forNorm: globalNorm())
        }
        optimizer.beginStep()
        update(optimizer, gradient, theta, into: next, scale: T(scale), summingSquares: !rescales)
        return collectLayerSquares()
    }

    /// The per-tile partials of ‖∂C/∂(W_l, b_l)‖², of ∂C·W and ‖W‖² when κ > 0, and of ∂C·sign W, Σ|W|
    /// and Σ sign²W when κ₁ > 0.
    private func sumSquares(_ gradient: UnsafePointer<T>, _ theta: UnsafePointer<T>) {
        let kappa = self.kappa, kappa1 = self.kappa1
        WorkerPool.shared.run(tiles) { t, tile in
            forEachSegment(of: tile) { l, segment, isWeights in
                let g = gradient + segment.lowerBound, w = theta + segment.lowerBound, n = segment.count
                squares.add(Double(T.dot(count: n, g, g)), tile: t, layer: l)
                if isWeights && kappa > 0 {
                    crossTerms.add(Double(T.dot(count: n, g, w)), tile: t, layer: l)
                    weightSquares.add(Double(T.dot(count: n, w, w)), tile: t, layer: l)
                }
                if isWeights && kappa1 > 0 {
                    var signCross = 0.0, absolute = 0.0, nonzero = 0.0
                    for i in 0..<n where w[i] != 0 {
                        signCross += w[i] > 0 ? Double(g[i]) : -Double(g[i])
                        absolute += Double(abs(w[i]))
                        nonzero += 1
                    }
                    signCrossTerms.add(signCross, tile: t, layer: l)
                    absoluteWeights.add(absolute, tile: t, layer: l)
                    nonzeroWeights.add(nonzero, tile: t, layer: l)
                }
            }
        }
    }

    /// ‖∇C + κW + κ₁ sign W‖ from the partials: ‖∇C‖² + 2κ ∇C·W + κ²‖W‖² + 2κ₁ ∇C·sign W + 2κκ₁ Σ|W|
    /// + κ₁² Σ sign²W, without forming the sum.
    private func globalNorm() -> Double {
        let kappa = self.kappa, kappa1 = self.kappa1
        var total = 0.0
        for l in layers.indices {
            for t in 0..<tiles.count {
                total += squares[t, l] + 2 * kappa * crossTerms[t, l] + kappa * kappa * weightSquares[t, l]
                if kappa1 > 0 {
                    total += 2 * kappa1 * signCrossTerms[t, l] + 2 * kappa * kappa1 * absoluteWeights[t, l]
                        + kappa1 * kappa1 * nonzeroWeights[t, l]
                }
            }
        }
        return total.squareRoot()
    }

    /// s: 1/‖g‖ when normalising (a zero gradient stays zero), c/‖g‖ when clipping to c a gradient
    /// longer than c, else 1.
    private func scale(forNorm norm: Double) -> Double {
        if normalize, norm > 0 { return 1 / norm }
        if clipNorm > 0, norm > clipNorm { return clipNorm / norm }
        return 1
    }

    /// θ′ tile by tile, checked for NaN and infinity as it is written; when no norm phase ran, the
    /// tiles also sum the per-layer squares (saving a pass over the gradient).
    private func update(_ optimizer: Optimizer<T>, _ gradient: UnsafePointer<T>, _ theta: UnsafePointer<T>,
                        into next: UnsafeMutablePointer<T>, scale s: T, summingSquares: Bool) {
        let kappa = T(self.kappa), kappa1 = T(self.kappa1)
        WorkerPool.shared.run(tiles) { t, tile in
            var finite = true
            forEachSegment(of: tile) { l, segment, isWeights in
                let offset = segment.lowerBound, n = segment.count
                if summingSquares { squares.add(Double(T.dot(count: n, gradient + offset, gradient + offset)), tile: t, layer: l) }
                finite = optimizer.update(theta + offset, gradient: gradient + offset, into: next + offset, offset: offset,
                                          count: n, gradientScale: s, penalty: isWeights ? kappa : 0,
                                          l1Penalty: isWeights ? kappa1 : 0) && finite
            }
            finiteTiles.base[t] = finite
        }
    }

    /// Adds up `layerSquares` in tile order and clears the partials for the next step; returns
    /// whether the squares and every tile of θ′ are finite.
    private func collectLayerSquares() -> Bool {
        var finite = true
        for l in layers.indices {
            layerSquares[l] = 0
            for t in 0..<tiles.count { layerSquares[l] += squares[t, l] }
            finite = finite && layerSquares[l].isFinite
        }
        for t in 0..<tiles.count { finite = finite && finiteTiles.base[t] }
        squares.clear()
        crossTerms.clear()
        weightSquares.clear()
        signCrossTerms.clear()
        absoluteWeights.clear()
        nonzeroWeights.clear()
        return finite
    }

    /// Calls body(layer, range, isWeights) for each layer's weights and biases within `tile`.
    private func forEachSegment(of tile: Range<Int>, _ body: (Int, Range<Int>, Bool) -> Void) {
        for (l, layer) in layers.enumerated() {
            let weights = (layer.weightOffset..<layer.biasOffset).clamped(to: tile)
            let biases = (layer.biasOffset..<(layer.weightOffset + layer.parameterCount)).clamped(to: tile)
            if !weights.isEmpty { body(l, weights, true) }
            if !biases.isEmpty { body(l, biases, false) }
        }
    }
}

/// One Double per (tile, layer), tile-major, so that each tile's task writes only its own entries.
private struct TilePartials {
    private let values: Buffer<Double>
    private let layers: Int

    init(tiles: Int, layers: Int) throws {
        values = try Buffer(count: tiles * layers, repeating: 0)
        self.layers = layers
    }

    subscript(tile: Int, layer: Int) -> Double { values.base[tile * layers + layer] }

    func add(_ value: Double, tile: Int, layer: Int) { values.base[tile * layers + layer] += value }

    func clear() { values.base.update(repeating: 0, count: values.count) }
}
