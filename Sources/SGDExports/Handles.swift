import CSGDSwift
import SGDCore

// What every export of sgdswift.h shares: the typed handles, the conversions from C views to core
// types, and the reporting of core errors as a status and a message. The exports hold no training
// logic. A handle is an unmanaged Network<Float>/<Double> or Optimizer<Float>/<Double>.

/// The network behind a handle, with its element type known at compile time in each branch, so that
/// every call into the generic core is specialised (an opened existential would run it unspecialised,
/// several times slower).
enum NetworkHandle {
    case float(Network<Float>)
    case double(Network<Double>)

    init?(_ pointer: UnsafeMutableRawPointer) {
        switch Unmanaged<AnyObject>.fromOpaque(pointer).takeUnretainedValue() {
        case let network as Network<Float>: self = .float(network)
        case let network as Network<Double>: self = .double(network)
        default: return nil
        }
    }
}

/// The optimizer behind a handle, with its element type known at compile time in each branch.
enum OptimizerHandle {
    case float(Optimizer<Float>)
    case double(Optimizer<Double>)

    init?(_ pointer: UnsafeMutableRawPointer) {
        switch Unmanaged<AnyObject>.fromOpaque(pointer).takeUnretainedValue() {
        case let optimizer as Optimizer<Float>: self = .float(optimizer)
        case let optimizer as Optimizer<Double>: self = .double(optimizer)
        default: return nil
        }
    }

    var dtypeName: String {
        switch self {
        case .float: return "float32"
        case .double: return "float64"
        }
    }
}

/// A new handle owning `object` (released by the matching destroy export).
func retainedHandle(_ object: AnyObject) -> UnsafeMutableRawPointer {
    Unmanaged.passRetained(object).toOpaque()
}

func releaseHandle(_ handle: UnsafeMutableRawPointer) {
    Unmanaged<AnyObject>.fromOpaque(handle).release()
}

extension sgd_matrix {
    /// The matrix this view describes, of the element type the caller's network computes in.
    func matrix<Element: Scalar>(named name: String) throws -> Matrix<Element> {
        guard let data, rows >= 0, columns >= 0, format == SGD_MATRIX_DENSE else {
            throw CoreError.invalidArgument("\(name): not a valid dense matrix (\(rows) × \(columns), format \(format))")
        }
        return Matrix(UnsafeMutablePointer(mutating: data.assumingMemoryBound(to: Element.self)),
                      rows: Int(rows), columns: Int(columns))
    }

    /// The rows of inputs X this view describes, dense or sparse (whose structure the core validates).
    func inputs<Element: Scalar>(named name: String) throws -> Inputs<Element> {
        guard format == SGD_MATRIX_CSR else { return .dense(try matrix(named: name)) }
        guard let data, let column_indices, let row_starts, rows >= 0, columns >= 0, storage >= 0 else {
            throw CoreError.invalidArgument("\(name): not a valid sparse matrix (\(rows) × \(columns), \(storage) entries)")
        }
        return .sparse(SparseMatrix(values: data.assumingMemoryBound(to: Element.self), columnIndices: column_indices,
                                    rowStarts: row_starts, rows: Int(rows), columns: Int(columns), storage: Int(storage)))
    }
}

extension sgd_targets {
    /// Dense targets or class labels, as `kind` says.
    func targets<Element: Scalar>(named name: String) throws -> Targets<Element> {
        switch kind {
        case SGD_TARGETS_DENSE:
            return .dense(try sgd_matrix(data: data, rows: rows, columns: columns, format: SGD_MATRIX_DENSE, column_indices: nil,
                                         row_starts: nil, storage: 0).matrix(named: name))
        case SGD_TARGETS_LABELS:
            guard let data, rows >= 0 else {
                throw CoreError.invalidArgument("\(name): not a valid label vector (\(rows) rows)")
            }
            return .labels(data.assumingMemoryBound(to: Int.self), rows: Int(rows))
        default:
            throw CoreError.invalidArgument("\(name): unknown target kind \(kind)")
        }
    }
}

/// Optional per-row weights from C: a pointer to `count` scalars of the network's dtype, or NULL.
struct RowWeights {
    let data: UnsafeRawPointer?
    let count: Int64

    /// The weights, nil when absent (data NULL).
    func buffer<Element: Scalar>(named name: String) throws -> UnsafeBufferPointer<Element>? {
        guard let data else { return nil }
        try require(count >= 0, "\(name): not a valid weight vector (\(count) values)")
        return UnsafeBufferPointer(start: data.assumingMemoryBound(to: Element.self), count: Int(count))
    }
}

/// Writes `text` into `out`, truncated to `capacity` bytes with its NUL.
func writeText(_ text: String, into out: UnsafeMutablePointer<CChar>, capacity: Int64) {
    let bytes = Array(text.utf8.prefix(max(Int(capacity) - 1, 0)))
    for (i, byte) in bytes.enumerated() { out[i] = CChar(bitPattern: byte) }
    if capacity > 0 { out[bytes.count] = 0 }
}

/// Writes `error`'s description into `message` (truncated to `capacity` bytes with its NUL) and
/// returns `status`, or the status the error stands for.
func report(
    _ error: Error, _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64, status: sgd_status? = nil
) -> sgd_status {
    writeText((error as? CoreError)?.description ?? "\(error)", into: message, capacity: capacity)
    if let status { return status }
    if case .outOfMemory = error as? CoreError { return SGD_OUT_OF_MEMORY }
    return SGD_INVALID_ARGUMENT
}

/// Runs `body` and turns a thrown error into its status and message.
func reporting(
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64, _ body: () throws -> sgd_status
) -> sgd_status {
    do { return try body() } catch { return report(error, message, capacity) }
}

/// Runs `body` on the network behind `handle`, turning thrown errors into a status and a message.
func withNetwork(
    _ handle: UnsafeMutableRawPointer, _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64,
    _ body: (NetworkHandle) throws -> sgd_status
) -> sgd_status {
    reporting(message, capacity) {
        guard let network = NetworkHandle(handle) else {
            throw CoreError.invalidArgument("network: not a network handle")
        }
        return try body(network)
    }
}

/// Runs `body` on the optimizer behind `handle`, turning thrown errors into a status and a message.
func withOptimizer(
    _ handle: UnsafeMutableRawPointer, _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64,
    _ body: (OptimizerHandle) throws -> Void
) -> sgd_status {
    reporting(message, capacity) {
        guard let optimizer = OptimizerHandle(handle) else {
            throw CoreError.invalidArgument("optimizer: not an optimizer handle")
        }
        try body(optimizer)
        return SGD_OK
    }
}
