/// Training targets for the rows of X: dense values (n × k) or class labels (n, one-hot for the loss).
public enum Targets<T: Scalar> {
    case dense(Matrix<T>)
    case labels(UnsafePointer<Int>, rows: Int)

    public var rows: Int {
        switch self {
        case .dense(let values): return values.rows
        case .labels(_, let rows): return rows
        }
    }
}

/// The targets y of a block of rows: dense values, or class labels read as one-hot rows.
public enum TargetRows<T: Scalar> {
    case dense(Matrix<T>)
    case labels(UnsafePointer<Int>)

    @inline(__always) subscript(row: Int, column: Int) -> T {
        switch self {
        case .dense(let values): return values[row, column]
        case .labels(let labels): return labels[row] == column ? 1 : 0
        }
    }

    /// The targets of a block of rows.
    func rows(_ range: Range<Int>) -> TargetRows {
        switch self {
        case .dense(let values): return .dense(values.rows(range))
        case .labels(let labels): return .labels(labels + range.lowerBound)
        }
    }

    /// The class of a row: its label, or the argmax of its dense targets (k ≥ 2), or y ≥ ½ (k = 1).
    @inline(__always) func targetClass(_ row: Int, columns: Int) -> Int {
        switch self {
        case .labels(let labels): return labels[row]
        case .dense(let values): return predictedClass(values.row(row), columns: columns)
        }
    }
}

/// argmax over the row; for a single output, 1 when it is at least ½.
@inline(__always)
func predictedClass<T: Scalar>(_ row: UnsafePointer<T>, columns: Int) -> Int {
    if columns == 1 { return row[0] >= 0.5 ? 1 : 0 }
    var best = 0
    for j in 1..<columns where row[j] > row[best] { best = j }
    return best
}
