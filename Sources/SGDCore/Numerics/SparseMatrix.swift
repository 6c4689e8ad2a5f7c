/// A compressed-sparse-row view of `rows × columns` scalars that someone else owns (SciPy's CSR): the
/// nonzeros of row r are values[k] in column columnIndices[k] for k in rowStarts[r]..<rowStarts[r + 1].
/// Columns may come in any order within a row and may repeat (repeats add up, as in SciPy). A block of
/// rows is a view with its own `rowStarts`, so the offsets need not start at 0. `storage` is the
/// length of `values` and `columnIndices`, which `validateStructure` keeps every offset within.
/// Only ever read.
public struct SparseMatrix<T: Scalar> {
    public let values: UnsafePointer<T>
    public let columnIndices: UnsafePointer<Int32>
    public let rowStarts: UnsafePointer<Int64>
    public let rows: Int
    public let columns: Int
    public let storage: Int

    public init(values: UnsafePointer<T>, columnIndices: UnsafePointer<Int32>, rowStarts: UnsafePointer<Int64>,
                rows: Int, columns: Int, storage: Int) {
        (self.values, self.columnIndices, self.rowStarts) = (values, columnIndices, rowStarts)
        (self.rows, self.columns, self.storage) = (rows, columns, storage)
    }

    /// Stored entries of the rows (zeros and repeats included).
    public var nonzeros: Int { Int(rowStarts[rows] - rowStarts[0]) }

    @inline(__always) func row(_ r: Int) -> SparseRow<T> {
        let start = Int(rowStarts[r])
        return SparseRow(values: values + start, columns: columnIndices + start, count: Int(rowStarts[r + 1]) - start)
    }

    /// The block of rows `range`, without copying.
    func rows(_ range: Range<Int>) -> SparseMatrix {
        SparseMatrix(values: values, columnIndices: columnIndices, rowStarts: rowStarts + range.lowerBound,
                     rows: range.count, columns: columns, storage: storage)
    }

    /// The most entries any `count` rows hold together: what a gather of `count` rows needs room for.
    func largestEntries(rows count: Int) -> Int {
        let lengths = (0..<rows).map { Int(rowStarts[$0 + 1] - rowStarts[$0]) }.sorted(by: >)
        return lengths.prefix(count).reduce(0, +)
    }

    /// Checks that the structure stays within the `storage` entries: offsets from ≥ 0, never decreasing,
    /// to ≤ storage, and every column index of the rows in 0..<columns. What the products read is then
    /// in bounds whatever the caller passed.
    func validateStructure(_ name: String) throws {
        try require(rowStarts[0] >= 0, "\(name): indptr[0] is \(rowStarts[0]), below 0")
        for r in 0..<rows where rowStarts[r + 1] < rowStarts[r] {
            throw CoreError.invalidArgument(
                "\(name): indptr decreases at row \(r) (\(rowStarts[r]) then \(rowStarts[r + 1]))")
        }
        try require(rowStarts[rows] <= storage,
                    "\(name): indptr[\(rows)] is \(rowStarts[rows]), beyond the \(storage) stored entries")
        let first = Int(rowStarts[0]), count = nonzeros
        var smallest = Int32.max, largest = Int32.min
        for k in first..<(first + count) {
            smallest = min(smallest, columnIndices[k])
            largest = max(largest, columnIndices[k])
        }
        guard count == 0 || (smallest >= 0 && Int(largest) < columns) else {
            let k = (first..<(first + count)).first { columnIndices[$0] < 0 || Int(columnIndices[$0]) >= columns }!
            throw CoreError.invalidArgument(
                "\(name): column index \(columnIndices[k]) (entry \(k)) is outside 0...\(columns - 1)")
        }
    }
}

/// The rows of X a pass reads: dense, or compressed sparse rows. Only the first layer's products see
/// the difference (`weightedInput`, `weightGradient`); every later layer works on dense activations.
public enum Inputs<T: Scalar> {
    case dense(Matrix<T>)
    case sparse(SparseMatrix<T>)

    public var rows: Int {
        switch self {
        case .dense(let x): return x.rows
        case .sparse(let x): return x.rows
        }
    }

    public var columns: Int {
        switch self {
        case .dense(let x): return x.columns
        case .sparse(let x): return x.columns
        }
    }

    /// Multiply-adds of the product with a matrix of one column: its work per output unit.
    var multiplyAddsPerColumn: Int {
        switch self {
        case .dense(let x): return x.rows * x.columns
        case .sparse(let x): return x.nonzeros
        }
    }

    /// Values stored per row (on average, for sparse rows): the work of copying one.
    var valuesPerRow: Int {
        switch self {
        case .dense(let x): return x.columns
        case .sparse(let x): return x.rows > 0 ? x.nonzeros / x.rows : 0
        }
    }

    /// The block of rows `range`, without copying.
    func rows(_ range: Range<Int>) -> Inputs {
        switch self {
        case .dense(let x): return .dense(x.rows(range))
        case .sparse(let x): return .sparse(x.rows(range))
        }
    }

}

extension Matrix {
    /// self ← self + x·w, x sparse: each row of self gains x's nonzeros times rows of w (w: x.columns ×
    /// self.columns, e.g. a block of W's columns). Each element sums its terms in the order of x's
    /// entries, whatever the split of self into blocks.
    func addProduct(_ x: SparseMatrix<T>, _ w: Matrix<T>, _ kernels: ElementwiseKernels<T>) {
        for r in 0..<rows { kernels.addSparseRowProduct(row(r), columns, x.row(r), w.base, w.stride) }
    }

    /// self ← (self or 0) + xᵀ·d for the block of xᵀ's rows `inputs` (self: inputs.count × d.columns,
    /// e.g. a block of ∂W's rows): row r of x scatters x_rk·d_r into the rows k it has nonzeros in.
    /// Each element sums its terms in row order of x, whatever the split into blocks.
    func assignTransposeProduct(_ x: SparseMatrix<T>, _ d: Matrix<T>, inputs: Range<Int>, accumulate: Bool,
                                _ kernels: ElementwiseKernels<T>) {
        if !accumulate { fill(0) }
        for r in 0..<x.rows {
            kernels.scatterSparseRow(base, stride, inputs.lowerBound, inputs.count, x.row(r), d.row(r), columns)
        }
    }
}
