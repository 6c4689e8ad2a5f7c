extension Network {
    /// Checks X and its targets against the network and for values the maths cannot use. A
    /// vectorised pass over the data first; only a problem found is then located for the message.
    /// Sparse X's structure is checked first, so that nothing reads outside the caller's arrays.
    public func validate(_ x: Inputs<T>, _ y: Targets<T>?, name: String = "X", targetName: String = "Y") throws {
        try require(x.columns == inputCount,
                    "\(name): expected \(inputCount) columns (the network's inputs), got \(x.columns)")
        switch x {
        case .dense(let x):
            try requireFinite(x, name)
        case .sparse(let x):
            try x.validateStructure(name)
            let first = Int(x.rowStarts[0])
            if let offset = firstNonFinite(x.values + first, count: x.nonzeros, kernels) {
                let k = first + offset, row = (0..<x.rows).first { x.rowStarts[$0 + 1] > k }!
                throw CoreError.invalidArgument(
                    "\(name): contains \(x.values[k].isNaN ? "NaN" : "infinity") at row \(row), column \(x.columnIndices[k])")
            }
        }
        guard let y else { return }
        try require(y.rows == x.rows, "\(targetName): expected \(x.rows) rows (as many as \(name)), got \(y.rows)")
        switch y {
        case .labels(let labels, let rows):
            try require(outputCount > 1, "\(targetName): class labels need at least 2 outputs; give targets of shape (n, 1)")
            var smallest = Int.max, largest = Int.min
            for row in 0..<rows { smallest = min(smallest, labels[row]); largest = max(largest, labels[row]) }
            guard rows == 0 || (smallest >= 0 && largest < outputCount) else {
                let row = (0..<rows).first { labels[$0] < 0 || labels[$0] >= outputCount }!
                throw CoreError.invalidArgument(
                    "\(targetName): label \(labels[row]) at row \(row) is outside 0...\(outputCount - 1) (the network has \(outputCount) outputs)")
            }
        case .dense(let values):
            try require(values.columns == outputCount,
                        "\(targetName): expected \(outputCount) columns (the network's outputs), got \(values.columns)")
            try requireFinite(values, targetName)
            let (smallest, largest) = kernels.extremes(values.base, values.count)
            if loss == .binaryCrossEntropy, smallest < 0 || largest > 1 {
                let i = (0..<values.count).first { !(0...1).contains(values.base[$0]) }!
                throw CoreError.invalidArgument(
                    "\(targetName): binary_cross_entropy targets must lie in [0, 1], got \(values.base[i]) at row \(i / values.columns)")
            }
            if loss == .crossEntropy || loss == .poisson, smallest < 0 {
                let i = (0..<values.count).first { values.base[$0] < 0 }!
                throw CoreError.invalidArgument(
                    "\(targetName): \(loss.rawValue) targets must be non-negative, got \(values.base[i]) at row \(i / values.columns)")
            }
        }
    }

    /// Checks per-row weights: one per row, finite and ≥ 0; returns their sum. A zero sum is left to
    /// the caller (a fit skips a mini-batch that weighs nothing; a single pass refuses it).
    func validateWeights(_ weights: UnsafeBufferPointer<T>, rows: Int, name: String) throws -> Double {
        try require(weights.count == rows, "\(name): expected \(rows) weights (one per row), got \(weights.count)")
        guard let base = weights.baseAddress else { return 0 }
        if let i = firstNonFinite(base, count: rows, kernels) {
            throw CoreError.invalidArgument("\(name): contains \(base[i].isNaN ? "NaN" : "infinity") at row \(i)")
        }
        if kernels.extremes(base, rows).smallest < 0 {
            let i = (0..<rows).first { base[$0] < 0 }!
            throw CoreError.invalidArgument("\(name): weights must be non-negative, got \(base[i]) at row \(i)")
        }
        return weights.reduce(0.0) { $0 + Double($1) }
    }

    /// Throws, naming the first NaN or infinity of m (a C-contiguous matrix) and where it is.
    private func requireFinite(_ m: Matrix<T>, _ name: String) throws {
        guard let i = firstNonFinite(m.base, count: m.count, kernels) else { return }
        throw CoreError.invalidArgument(
            "\(name): contains \(m.base[i].isNaN ? "NaN" : "infinity") at row \(i / m.columns), column \(i % m.columns)")
    }
}
