import XCTest
@testable import SGDCore

final class MatrixTests: XCTestCase {
    /// C + op(A)·op(B) by three loops, for checking BLAS.
    private func naiveProduct(_ a: [Double], _ aRows: Int, _ aColumns: Int, transposeA: Bool,
                              _ b: [Double], _ bRows: Int, _ bColumns: Int, transposeB: Bool, c: [Double]) -> [Double] {
        let m = transposeA ? aColumns : aRows, k = transposeA ? aRows : aColumns, n = transposeB ? bRows : bColumns
        var result = c
        for i in 0..<m {
            for j in 0..<n {
                for p in 0..<k {
                    let aValue = transposeA ? a[p * aColumns + i] : a[i * aColumns + p]
                    let bValue = transposeB ? b[j * bColumns + p] : b[p * bColumns + j]
                    result[i * n + j] += aValue * bValue
                }
            }
        }
        return result
    }

    private func checkProducts<T: Scalar>(_: T.Type, tolerance: Double) throws {
        let (m, k, n) = (3, 5, 7)
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for accumulate in [false, true] {
                    let aShape = transposeA ? (k, m) : (m, k), bShape = transposeB ? (n, k) : (k, n)
                    let a: [T] = randomValues(m * k, seed: 1), b: [T] = randomValues(k * n, seed: 2)
                    let c: [T] = randomValues(m * n, seed: 3)
                    let aMatrix = try matrix(aShape.0, aShape.1, a)
                    let bMatrix = try matrix(bShape.0, bShape.1, b)
                    let cMatrix = try matrix(m, n, c)
                    if accumulate {
                        cMatrix.addProduct(aMatrix, bMatrix, transposeA: transposeA, transposeB: transposeB)
                    } else {
                        cMatrix.assignProduct(aMatrix, bMatrix, transposeA: transposeA, transposeB: transposeB)
                    }
                    let expected = naiveProduct(a.map(Double.init), aShape.0, aShape.1, transposeA: transposeA,
                                                b.map(Double.init), bShape.0, bShape.1, transposeB: transposeB,
                                                c: accumulate ? c.map(Double.init) : [Double](repeating: 0, count: m * n))
                    for i in 0..<(m * n) {
                        assertClose(Double(cMatrix.base[i]), expected[i], relative: tolerance, absolute: tolerance,
                                    "\(T.self) transposeA \(transposeA) transposeB \(transposeB) add \(accumulate) at \(i)")
                    }
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

    /// A block of columns keeps the parent's row stride, and products into and out of such blocks
    /// equal the same products of copies.
    func testColumnBlocksAreStridedViewsThatProductsRespect() throws {
        let whole = try matrix(3, 5, (0..<15).map(Double.init))
        let block = whole.columns(1..<4)
        XCTAssertEqual(block.stride, 5)
        XCTAssertEqual(block[2, 0], 11)
        let a = try matrix(3, 2, [1.0, 2, 3, 4, 5, 6])
        let product = try matrix(2, 3, [Double](repeating: 0, count: 6))
        product.assignProduct(a, block, transposeA: true)  // aᵀ·block
        let copy = try matrix(3, 3, [1.0, 2, 3, 6, 7, 8, 11, 12, 13])
        let expected = naiveProduct([1, 2, 3, 4, 5, 6], 3, 2, transposeA: true, elements(copy), 3, 3, transposeB: false,
                                    c: [Double](repeating: 0, count: 6))
        XCTAssertEqual(elements(product), expected)
        block.fill(-1)
        XCTAssertEqual(elements(whole), [0, -1, -1, -1, 4, 5, -1, -1, -1, 9, 10, -1, -1, -1, 14])
    }
}
