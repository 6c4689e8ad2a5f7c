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
    /// The activation of each hidden layer, in order.
    public let hidden: [Activation]
    public let output: Activation
    public let loss: Loss
    public let parameters: Buffer<T>
    let layers: [Layer]
    /// The elementwise kernels of the instruction set in use, looked up once.
    let kernels = ElementwiseKernels<T>.selected

    /// The largest layer width and parameter count accepted: every dimension must fit BLAS's 32-bit ints.
    public static var maximumCount: Int { Int(Int32.max) }

    /// `hidden` has one activation per hidden layer (sizes.count − 2).
    public init(sizes: [Int], hidden: [Activation], output: Activation, loss: Loss) throws {
        try require(sizes.count >= 2, "sizes: need at least 2 layer sizes (inputs and outputs), got \(sizes.count)")
        for (i, size) in sizes.enumerated() {
            try require(size >= 1 && size <= Self.maximumCount,
                        "sizes: size \(i) must be between 1 and \(Self.maximumCount), got \(size)")
        }
        try require(hidden.count == sizes.count - 2,
                    "hidden: expected one activation per hidden layer (\(sizes.count - 2)), got \(hidden.count)")
        try Loss.validate(hidden: hidden, output: output, loss: loss, outputs: sizes[sizes.count - 1])
        var layers: [Layer] = []
        var offset = 0
        for l in 1..<sizes.count {
            let (weights, overflow) = sizes[l - 1].multipliedReportingOverflow(by: sizes[l])
            try require(!overflow && weights <= Self.maximumCount - offset - sizes[l],
                        "sizes: more than \(Self.maximumCount) parameters")
            let layer = Layer(fanIn: sizes[l - 1], fanOut: sizes[l], weightOffset: offset,
                              activation: l == sizes.count - 1 ? output : hidden[l - 1])
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

    /// One activation for every hidden layer.
    public convenience init(sizes: [Int], hidden: Activation, output: Activation, loss: Loss) throws {
        try self.init(sizes: sizes, hidden: Array(repeating: hidden, count: max(sizes.count - 2, 0)), output: output,
                      loss: loss)
    }

    /// Creates a network from user-facing names: `hidden` has one name for every hidden layer, or one
    /// name per hidden layer; `initializer` may be "auto" (recommended for the hidden activations named).
    public convenience init(
        sizes: [Int], hidden: [String], output: String, loss: String, initializer: String, seed: UInt64
    ) throws {
        let named: [Activation] = try hidden.enumerated().map {
            try parseName($0.element, argument: hidden.count == 1 ? "hidden" : "hidden[\($0.offset)]")
        }
        try Loss.validate(hidden: named)
        let perLayer = named.count == 1 ? Array(repeating: named[0], count: max(sizes.count - 2, 0)) : named
        try self.init(sizes: sizes, hidden: perLayer, output: try parseName(output, argument: "output"),
                      loss: try parseName(loss, argument: "loss"))
        let chosen: Initializer = initializer == "auto"
            ? .recommended(for: named) : try parseName(initializer, argument: "init")
        initialize(chosen, seed: seed)
    }

    /// The same with one name for every hidden layer.
    public convenience init(
        sizes: [Int], hidden: String, output: String, loss: String, initializer: String, seed: UInt64
    ) throws {
        try self.init(sizes: sizes, hidden: [hidden], output: output, loss: loss, initializer: initializer, seed: seed)
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
