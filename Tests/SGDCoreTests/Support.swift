import XCTest
@testable import SGDCore

/// Keeps the tests' buffers alive for the whole run: a Matrix is only a view, and Swift may free an
/// unreferenced Buffer right after its last use, while a view of it is still being read.
private var keptAlive: [AnyObject] = []

/// A core buffer holding `values`.
func buffer<T: Scalar>(_ values: [T]) throws -> Buffer<T> {
    let result = try Buffer<T>(count: values.count)
    for (i, value) in values.enumerated() { result.base[i] = value }
    keptAlive.append(result)
    return result
}

/// A rows × columns matrix filled with `values`, row-major, in memory that outlives the test.
func matrix<T: Scalar>(_ rows: Int, _ columns: Int, _ values: [T]) throws -> Matrix<T> {
    precondition(values.count == rows * columns)
    return try buffer(values).matrix(rows: rows, columns: columns)
}

/// The elements of a matrix, row-major.
func elements<T: Scalar>(_ m: Matrix<T>) -> [T] { Array(UnsafeBufferPointer(start: m.base, count: m.count)) }

/// Deterministic pseudo-random values in [-scale, scale), from the core's own generator.
func randomValues<T: Scalar>(_ count: Int, seed: UInt64, scale: Double = 1) -> [T] {
    var random = Random(seed: seed)
    return (0..<count).map { _ in T(scale * (2 * random.uniform() - 1)) }
}

/// Central difference (f(x + h) − f(x − h)) / 2h.
func centralDifference(at x: Double, step h: Double = 1e-6, _ f: (Double) -> Double) -> Double {
    (f(x + h) - f(x - h)) / (2 * h)
}

func assertClose(_ actual: Double, _ expected: Double, relative: Double, absolute: Double = 1e-12,
                 _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertLessThanOrEqual(abs(actual - expected), max(absolute, relative * abs(expected)),
                             "\(actual) vs \(expected) \(message())", file: file, line: line)
}

/// The message of a CoreError thrown by `body`, or a failure when nothing (or something else) is thrown.
func coreErrorMessage(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
    do {
        try body()
        XCTFail("expected a CoreError", file: file, line: line)
    } catch let error as CoreError {
        return error.description
    } catch {
        XCTFail("expected a CoreError, got \(error)", file: file, line: line)
    }
    return ""
}
