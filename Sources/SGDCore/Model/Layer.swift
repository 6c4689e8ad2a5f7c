/// Weight initialisation. `normal` is Nielsen's N(0, 1) for weights and biases; `xavier` (Glorot
/// uniform, W ~ U(±√(6/(fan_in+fan_out)))) and `he` (W ~ N(0, 2/fan_in)) start the biases at 0.
public enum Initializer: String, CaseIterable, Sendable {
    case normal, xavier, he

    /// The usual choice for the hidden activations: He for the ReLU family (relu, leaky_relu, elu, gelu,
    /// silu: unbounded above, about linear for z > 0) when every one named is, Glorot otherwise.
    public static func recommended(for hidden: [Activation]) -> Initializer {
        let reluFamily: Set<Activation> = [.relu, .leakyRelu, .elu, .gelu, .silu]
        return !hidden.isEmpty && hidden.allSatisfy(reluFamily.contains) ? .he : .xavier
    }
}

/// One dense layer: z = a_prev·W + b, a = σ(z); W is fanIn × fanOut, b has fanOut entries, both
/// inside the network's flat parameter vector.
struct Layer {
    let fanIn: Int
    let fanOut: Int
    let weightOffset: Int
    let activation: Activation
    var biasOffset: Int { weightOffset + fanIn * fanOut }
    var parameterCount: Int { (fanIn + 1) * fanOut }

    /// W in a vector laid out like the parameters (θ itself, a gradient, a training step's other half).
    func weights<T: Scalar>(in vector: UnsafeMutablePointer<T>) -> Matrix<T> {
        Matrix(vector + weightOffset, rows: fanIn, columns: fanOut)
    }

    func biases<T: Scalar>(in vector: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<T> { vector + biasOffset }

    /// Draws W and then b from `random`.
    func initialize<T: Scalar>(_ initializer: Initializer, in theta: UnsafeMutablePointer<T>, random: inout Random) {
        let w = weights(in: theta).base, b = biases(in: theta)
        switch initializer {
        case .normal:
            for i in 0..<fanIn * fanOut { w[i] = T(random.normal()) }
            for j in 0..<fanOut { b[j] = T(random.normal()) }
        case .xavier:
            let limit = (6 / (Double(fanIn) + Double(fanOut))).squareRoot()
            for i in 0..<fanIn * fanOut { w[i] = T(limit * (2 * random.uniform() - 1)) }
            for j in 0..<fanOut { b[j] = 0 }
        case .he:
            let deviation = (2 / Double(fanIn)).squareRoot()
            for i in 0..<fanIn * fanOut { w[i] = T(deviation * random.normal()) }
            for j in 0..<fanOut { b[j] = 0 }
        }
    }
}
