/// σ in a = σ(z), applied elementwise; softmax is row-wise, and it and exp are allowed on the output
/// layer only.
/// The arithmetic, and δ ← δ ⊙ σ'(z) for backpropagation, is in SGDKernels/Activation.swift (compiled
/// once per instruction set); the core reaches it through `ElementwiseKernels`.
///
///     sigmoid    σ(z) = 1 / (1 + e^(−z))          σ' = a(1 − a)
///     relu       σ(z) = max(z, 0)                 σ' = 1 where a > 0, else 0
///     tanh       σ(z) = tanh z                    σ' = 1 − a²
///     identity   σ(z) = z                         σ' = 1
///     exp        σ(z) = e^z                       σ' = a  (the Poisson loss's output: a rate > 0)
///     softmax    σ(z)_j = e^(z_j) / Σ_k e^(z_k)   δ ← a ⊙ (δ − Σ_j δ_j a_j)  (the Jacobian-vector product)
public enum Activation: String, CaseIterable, Sendable {
    case sigmoid, relu, tanh, identity, softmax, exp
}
