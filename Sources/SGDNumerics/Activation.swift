/// σ in a = σ(z), applied elementwise; softmax is row-wise, and it and exp are allowed on the output
/// layer only.
/// The arithmetic, and δ ← δ ⊙ σ'(z) for backpropagation, is in SGDKernels/Activation.swift (compiled
/// once per instruction set); the core reaches it through `ElementwiseKernels`. Each is computed
/// without overflow for any finite z, and σ' is read from a where a determines it; gelu and silu are not
/// monotonic, so their σ' needs z (`derivativeNeedsZ`: the core keeps z for their layers).
///
///     sigmoid    σ(z) = 1 / (1 + e^(−z))          σ' = a(1 − a)
///     relu       σ(z) = max(z, 0)                 σ' = 1 where a > 0, else 0
///     tanh       σ(z) = tanh z                    σ' = 1 − a²
///     identity   σ(z) = z                         σ' = 1
///     leaky_relu σ(z) = z if z > 0, else 0.01 z      σ' = 1 where a > 0, else 0.01  (torch's slope)
///     elu        σ(z) = z if z > 0, else e^z − 1     σ' = 1 where a > 0, else a + 1  (α = 1)
///     gelu       σ(z) = z Φ(z), Φ(z) = ½ erfc(−z/√2)  σ' = Φ(z) + z φ(z), φ(z) = e^(−z²/2)/√(2π)
///     softplus   σ(z) = max(z, 0) + log(1 + e^(−|z|)) = log(1 + e^z)   σ' = 1/(1 + e^(−z)) = 1 − e^(−a)
///     silu       σ(z) = z s(z), s(z) = 1/(1 + e^(−z))  σ' = s(z) (1 + z (1 − s(z)))
///     exp        σ(z) = e^z                       σ' = a  (the Poisson loss's output: a rate > 0)
///     softmax    σ(z)_j = e^(z_j) / Σ_k e^(z_k)   δ ← a ⊙ (δ − Σ_j δ_j a_j)  (the Jacobian-vector product)
public enum Activation: String, CaseIterable, Sendable {
    case sigmoid, relu, tanh, identity, softmax, exp
    case leakyRelu = "leaky_relu", elu, gelu, softplus, silu

    /// Whether σ'(z) cannot be read from a = σ(z) (σ is not monotonic), so backpropagation needs z.
    public var derivativeNeedsZ: Bool { self == .gelu || self == .silu }

    /// Whether the activation is one of the output layer's only (softmax couples a layer's units; exp is
    /// the Poisson loss's rate).
    public var isOutputOnly: Bool { self == .softmax || self == .exp }

    /// Whether the activation is one of a hidden layer's only (the losses' output pairings do not cover
    /// them, and the output layer keeps no z for a σ' that needs it).
    public var isHiddenOnly: Bool { [.leakyRelu, .elu, .gelu, .softplus, .silu].contains(self) }
}
