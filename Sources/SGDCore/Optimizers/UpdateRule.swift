extension UpdateRule {
    /// Rejects hyper-parameters outside each rule's domain, naming the argument as torch.optim does.
    func validate() throws {
        func probability(_ value: Double, _ name: String, includingOne: Bool = false) throws {
            try require(value.isFinite && value >= 0 && (includingOne ? value <= 1 : value < 1),
                        "\(name): expected a number in [0, 1\(includingOne ? "]" : ")"), got \(value)")
        }
        func positive(_ value: Double, _ name: String) throws {
            try require(value.isFinite && value > 0, "\(name): expected a finite number above 0, got \(value)")
        }
        switch self {
        case .sgd(let momentum, let dampening, let nesterov):
            try require(momentum.isFinite && momentum >= 0, "momentum: expected a finite number ≥ 0, got \(momentum)")
            try probability(dampening, "dampening", includingOne: true)
            try require(!nesterov || (momentum > 0 && dampening == 0),
                        "nesterov: needs momentum > 0 and dampening = 0, got momentum \(momentum), dampening \(dampening)")
        case .adaGrad(let epsilon):
            try positive(epsilon, "eps")
        case .rmsProp(let alpha, let epsilon, let momentum):
            try probability(alpha, "alpha", includingOne: true)
            try positive(epsilon, "eps")
            try require(momentum.isFinite && momentum >= 0, "momentum: expected a finite number ≥ 0, got \(momentum)")
        case .adam(let beta1, let beta2, let epsilon, _, _, _):
            try probability(beta1, "betas[0]")
            try probability(beta2, "betas[1]")
            try positive(epsilon, "eps")
        }
    }
}
