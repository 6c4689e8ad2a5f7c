import Foundation
import XCTest
@testable import SGDCore

/// Keeps the tests' buffers alive for the whole run: a Matrix is only a view, and Swift may free an
/// unreferenced Buffer right after its last use, while a view of it is still being read.
private var keptAlive: [AnyObject] = []

/// Keeps `object` alive until the end of the run.
func keepAlive(_ object: AnyObject) { keptAlive.append(object) }

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

/// The worked backpropagation example: a 2-2-1 sigmoid network with the quadratic cost, weights set
/// by hand, x = (0.05, 0.10), y = 0.01.
enum HandExample {
    static let x = [0.05, 0.10], y = 0.01

    static func network() throws -> Network<Double> {
        let network = try Network<Double>(sizes: [2, 2, 1], hidden: .sigmoid, output: .sigmoid, loss: .quadratic)
        // θ = [W1 (2×2), b1, W2 (2×1), b2]
        let theta: [Double] = [0.15, 0.25, 0.20, 0.30, 0.35, 0.35, 0.40, 0.45, 0.60]
        for (i, value) in theta.enumerated() { network.parameters.base[i] = value }
        return network
    }

    private static func sigma(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

    private static func forward() -> (a11: Double, a12: Double, a2: Double) {
        let z11 = x[0] * 0.15 + x[1] * 0.20 + 0.35, z12 = x[0] * 0.25 + x[1] * 0.30 + 0.35
        let a11 = sigma(z11), a12 = sigma(z12)
        return (a11, a12, sigma(a11 * 0.40 + a12 * 0.45 + 0.60))
    }

    /// The backpropagation equations worked by hand, laid out like θ.
    static var gradient: [Double] {
        let (a11, a12, a2) = forward()
        let delta2 = (a2 - y) * a2 * (1 - a2)                 // δ_L = ∂C/∂a ⊙ σ'(z_L)
        let delta11 = delta2 * 0.40 * a11 * (1 - a11)         // δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ σ'(z_l)
        let delta12 = delta2 * 0.45 * a12 * (1 - a12)
        return [x[0] * delta11, x[0] * delta12, x[1] * delta11, x[1] * delta12,  // ∂W1 = xᵀ δ1
                delta11, delta12,                                                // ∂b1 = δ1
                a11 * delta2, a12 * delta2,                                      // ∂W2 = a1ᵀ δ2
                delta2]                                                          // ∂b2 = δ2
    }
}
