import XCTest
@testable import SGDCore

final class MatrixTests: XCTestCase {
    /// C = α·op(A)·op(B) + β·C by three loops, for checking BLAS.
    private func naiveProduct(_ a: [Double], _ aRows: Int, _ aColumns: Int, transposeA: Bool,
                              _ b: [Double], _ bRows: Int, _ bColumns: Int, transposeB: Bool,
                              alpha: Double, beta: Double, c: [Double]) -> [Double] {
        let m = transposeA ? aColumns : aRows, k = transposeA ? aRows : aColumns, n = transposeB ? bRows : bColumns
        var result = c
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let aValue = transposeA ? a[p * aColumns + i] : a[i * aColumns + p]
                    let bValue = transposeB ? b[j * bColumns + p] : b[p * bColumns + j]
                    sum += aValue * bValue
                }
                result[i * n + j] = alpha * sum + beta * c[i * n + j]
            }
        }
        return result
    }

    private func checkProducts<T: Scalar>(_: T.Type, tolerance: Double) throws {
        let (m, k, n) = (3, 5, 7)
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let aShape = transposeA ? (k, m) : (m, k), bShape = transposeB ? (n, k) : (k, n)
                let a: [T] = randomValues(m * k, seed: 1), b: [T] = randomValues(k * n, seed: 2)
                let c: [T] = randomValues(m * n, seed: 3)
                let aMatrix = try matrix(aShape.0, aShape.1, a)
                let bMatrix = try matrix(bShape.0, bShape.1, b)
                let cMatrix = try matrix(m, n, c)
                cMatrix.assignProduct(aMatrix, bMatrix, transposeA: transposeA, transposeB: transposeB,
                                      alpha: 0.5, beta: -2)
                let expected = naiveProduct(a.map(Double.init), aShape.0, aShape.1, transposeA: transposeA,
                                            b.map(Double.init), bShape.0, bShape.1, transposeB: transposeB,
                                            alpha: 0.5, beta: -2, c: c.map(Double.init))
                for i in 0..<(m * n) {
                    assertClose(Double(cMatrix.base[i]), expected[i], relative: tolerance, absolute: tolerance,
                                "\(T.self) transposeA \(transposeA) transposeB \(transposeB) at \(i)")
                }
            }
        }
    }

    func testProductsEqualNaiveLoopsInFloatAndDouble() throws {
        try checkProducts(Double.self, tolerance: 1e-13)
        try checkProducts(Float.self, tolerance: 1e-5)
    }

    func testRowRangesAreViewsIntoTheSameMemory() throws {
        let whole = try matrix(4, 3, (0..<12).map(Double.init))
        let middle = whole.rows(1..<3)
        XCTAssertEqual(middle.rows, 2)
        XCTAssertEqual(middle[0, 0], 3)
        XCTAssertEqual(middle[1, 2], 8)
        middle[1, 2] = -1
        XCTAssertEqual(whole.base[8], -1)
    }
}
