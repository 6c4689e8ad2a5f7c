// The scalar types, the model's vocabulary (Activation, UpdateRule) and the kernel tables are
// SGDNumerics'; the core's users see them as the core's own.
@_exported import SGDNumerics

/// Everything the core rejects. The exports turn these into status codes and messages, so no
/// invalid input ever reaches a trap.
public enum CoreError: Error, CustomStringConvertible {
    case invalidArgument(String)
    case outOfMemory(String)

    public var description: String {
        switch self {
        case .invalidArgument(let message), .outOfMemory(let message): return message
        }
    }
}

@inline(__always)
public func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw CoreError.invalidArgument(message()) }
}
