/// Parses a name given by the user, or says which names exist.
public func parseName<E: RawRepresentable & CaseIterable>(_ name: String, argument: String) throws -> E
where E.RawValue == String {
    guard let value = E(rawValue: name) else {
        let names = E.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        throw CoreError.invalidArgument("\(argument): unknown name '\(name)'; expected one of \(names)")
    }
    return value
}

/// A multilayer perceptron. All parameters live in one flat vector θ = [W1, b1, W2, b2, …] that the
/// network owns and that callers may read and write in place (that is how NumPy sees them).
public final class Network<T: Scalar> {
    public let sizes: [Int]
    public let hidden: Activation
    public let output: Activation
    public let loss: Loss
    public let parameters: Buffer<T>
    let layers: [Layer]
    /// The elementwise kernels of the instruction set in use, looked up once.
    let kernels = ElementwiseKernels<T>.selected

    /// The largest layer width and parameter count accepted: every dimension must fit BLAS's 32-bit ints.
    public static var maximumCount: Int { Int(Int32.max) }

    public init(sizes: [Int], hidden: Activation, output: Activation, loss: Loss) throws {
        try require(sizes.count >= 2, "sizes: need at least 2 layer sizes (inputs and outputs), got \(sizes.count)")
        for (i, size) in sizes.enumerated() {
            try require(size >= 1 && size <= Self.maximumCount,
                        "sizes: size \(i) must be between 1 and \(Self.maximumCount), got \(size)")
        }
        try Loss.validate(hidden: hidden, output: output, loss: loss, outputs: sizes[sizes.count - 1])
        var layers: [Layer] = []
        var offset = 0
        for l in 1..<sizes.count {
            let (weights, overflow) = sizes[l - 1].multipliedReportingOverflow(by: sizes[l])
            try require(!overflow && weights <= Self.maximumCount - offset - sizes[l],
                        "sizes: more than \(Self.maximumCount) parameters")
            let layer = Layer(fanIn: sizes[l - 1], fanOut: sizes[l], weightOffset: offset,
                              activation: l == sizes.count - 1 ? output : hidden)
            layers.append(layer)
            offset += layer.parameterCount
        }
        self.sizes = sizes
        self.hidden = hidden
        self.output = output
        self.loss = loss
        self.layers = layers
        self.parameters = try Buffer(count: offset)
    }

    /// Creates a network from user-facing names; `initializer` may be "auto" (recommended for `hidden`).
    public convenience init(
        sizes: [Int], hidden: String, output: String, loss: String, initializer: String, seed: UInt64
    ) throws {
        let hiddenActivation: Activation = try parseName(hidden, argument: "hidden")
        try self.init(sizes: sizes, hidden: hiddenActivation, output: try parseName(output, argument: "output"),
                      loss: try parseName(loss, argument: "loss"))
        let chosen: Initializer = initializer == "auto"
            ? .recommended(for: hiddenActivation) : try parseName(initializer, argument: "init")
        initialize(chosen, seed: seed)
    }

    public var inputCount: Int { sizes[0] }
    public var outputCount: Int { sizes[sizes.count - 1] }

    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func initialize(_ initializer: Initializer, seed: UInt64) {
        var random = Random(seed: seed)
        for layer in layers { layer.initialize(initializer, in: parameters.base, random: &random) }
    }

    /// Whether a prediction can be scored as a class: several outputs (argmax), or one sigmoid (≥ ½).
    public var hasAccuracy: Bool { outputCount > 1 || output == .sigmoid }
}
