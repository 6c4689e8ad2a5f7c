/// How `fit` trains: `batchSize` 1 is stochastic gradient descent, `batchSize` ≥ n batch gradient
/// descent; a last partial batch is used, not dropped.
public struct TrainingOptions: Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var shuffle: Bool
    /// The shuffle's random generator: `Random(seed:stream:)`.
    public var seed: UInt64
    public var stream: UInt64
    /// Nielsen's L2 regularisation: C = C₀ + λ/(2n) Σ w² over the weights (not the biases), n the
    /// number of training rows, so each weight's gradient gains (λ/n)·w.
    public var l2: Double
    /// L1 regularisation in the same form: C = C₀ + (λ₁/n) Σ |w| over the weights, so each weight's
    /// gradient gains (λ₁/n)·sign(w), the subgradient 0 at w = 0.
    public var l1: Double
    /// Inverted dropout: p_l for each hidden layer (empty: none), 0 ≤ p_l < 1 (see `DropoutMasks`).
    public var dropout: [Double]
    /// Rescales the gradient to this global norm when it is longer (0: never).
    public var clipNorm: Double
    /// Divides the gradient by its global norm, so that plain SGD moves exactly η each step:
    /// Δθ = −η ∇C/‖∇C‖ (‖Δθ‖ = ε with η = ε).
    public var normalizeGradient: Bool
    /// Report every finished mini-batch to the progress handler.
    public var reportBatches: Bool
    /// c > 0: the reported training loss (not the gradient) takes the cross-entropies from the output
    /// probabilities clipped to [c, 1 − c], as scikit-learn's MLPs report theirs (c = the dtype's ε there).
    public var reportedLossClip: Double

    public init(epochs: Int, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0, stream: UInt64 = 0,
                l2: Double = 0, clipNorm: Double = 0, normalizeGradient: Bool = false, reportBatches: Bool = false,
                reportedLossClip: Double = 0, l1: Double = 0, dropout: [Double] = []) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.stream = stream
        self.l2 = l2
        self.clipNorm = clipNorm
        self.normalizeGradient = normalizeGradient
        self.reportBatches = reportBatches
        self.reportedLossClip = reportedLossClip
        self.l1 = l1
        self.dropout = dropout
    }

    func validate(hiddenLayers: Int) throws {
        try require(epochs >= 0, "epochs: expected at least 0, got \(epochs)")
        try require(batchSize >= 1, "batch_size: expected at least 1, got \(batchSize)")
        try require(l2.isFinite && l2 >= 0, "l2: expected a finite number ≥ 0, got \(l2)")
        try require(l1.isFinite && l1 >= 0, "l1: expected a finite number ≥ 0, got \(l1)")
        try require(dropout.isEmpty || dropout.count == hiddenLayers,
                    "dropout: expected one rate per hidden layer (\(hiddenLayers)), got \(dropout.count)")
        for (l, p) in dropout.enumerated() {
            try require(p >= 0 && p < 1, "dropout: rate \(l) must be a number in [0, 1), got \(p)")
        }
        try require(clipNorm.isFinite && clipNorm >= 0, "clip_norm: expected a finite number ≥ 0, got \(clipNorm)")
        try require(reportedLossClip >= 0 && reportedLossClip < 0.5,
                    "reported_loss_clip: expected a number in [0, 0.5), got \(reportedLossClip)")
    }
}

/// What one epoch achieved. `loss` (of the data, without the L2 term) and `accuracy` are averaged
/// over the epoch's mini-batches as they were trained (the model changes during the epoch);
/// validation is measured at the epoch's end. `gradientNorms[l]` is the mean over the mini-batches of
/// the norm of layer l's gradient ‖(∂C/∂W_l, ∂C/∂b_l)‖.
public struct EpochRecord: Sendable {
    public var loss: Double
    public var accuracy: Double?
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var learningRate: Double
    public var seconds: Double
    public var gradientNorms: [Double]
}

/// What the training loop reports while it runs.
public enum TrainingEvent {
    /// At least every few milliseconds: `rows` of the epoch are done.
    case tick(epoch: Int, rows: Int)
    /// After every mini-batch, when `TrainingOptions.reportBatches`.
    case batchEnd(epoch: Int, batch: Int, loss: Double)
    case epochEnd(epoch: Int, record: EpochRecord)
}

/// Receives every event and returns whether to go on (false stops training at that point). The fit
/// is paused at a consistent point meanwhile: the handler may read the network's parameters (but at a
/// tick) and change the optimizer's learning rate (`Optimizer.setLearningRate`), which then applies
/// from the next mini-batch.
public typealias ProgressHandler = (_ event: TrainingEvent) -> Bool

/// How a `fit` ended: after `epochs` finished epochs, and why.
public struct FitResult: Sendable {
    public enum Ending: Sendable, Equatable {
        case completed
        /// The progress handler asked to stop; the model holds the last finished mini-batch's result.
        case stopped
        /// The loss or gradient stopped being finite; the model holds the weights from before the
        /// step that caused it and the optimizer's state was reset.
        case diverged(String)
    }

    public var epochs: Int
    public var ending: Ending
}
