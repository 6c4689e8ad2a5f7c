import XCTest
@testable import SGDCore

final class NumericsTests: XCTestCase {
    // MARK: Matrix

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

    /// Every length of 1, 3, 7, 17, 255, 257 in every role (m, k, n): odd sizes leave partial vector
    /// blocks in every loop of the engine's kernels.
    static let oddShapes = [(1, 1, 1), (3, 7, 17), (17, 3, 7), (7, 17, 3), (255, 17, 257), (257, 255, 3), (1, 257, 255),
                            (255, 1, 17)]

    /// Which code computes a product in `checkProducts`.
    private enum Engine: CaseIterable { case chosen, blas, generatedKernels }

    private func checkProducts<T: Scalar>(_: T.Type, tolerance: Double) throws {
        for engine in Engine.allCases {
            for (m, k, n) in Self.oddShapes {
                try checkProducts(T.self, m: m, k: k, n: n, engine: engine, tolerance: tolerance)
            }
        }
    }

    private func checkProducts<T: Scalar>(_: T.Type, m: Int, k: Int, n: Int, engine: Engine, tolerance: Double) throws {
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for accumulate in [false, true] {
                    let aShape = transposeA ? (k, m) : (m, k), bShape = transposeB ? (n, k) : (k, n)
                    let a: [T] = randomValues(m * k, seed: 1), b: [T] = randomValues(k * n, seed: 2)
                    let c: [T] = randomValues(m * n, seed: 3)
                    let aMatrix = try matrix(aShape.0, aShape.1, a)
                    let bMatrix = try matrix(bShape.0, bShape.1, b)
                    let cMatrix = try matrix(m, n, c)
                    let label = "\(T.self) \(engine) \(m)×\(k)×\(n) transposeA \(transposeA) transposeB \(transposeB) add \(accumulate)"
                    switch engine {
                    case .chosen:
                        if accumulate {
                            cMatrix.addProduct(aMatrix, bMatrix, transposeA: transposeA, transposeB: transposeB)
                        } else {
                            cMatrix.assignProduct(aMatrix, bMatrix, transposeA: transposeA, transposeB: transposeB)
                        }
                    case .blas:
                        T.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1, a: aMatrix.base,
                               lda: aMatrix.stride, b: bMatrix.base, ldb: bMatrix.stride, beta: accumulate ? 1 : 0,
                               c: cMatrix.base, ldc: cMatrix.stride)
                    case .generatedKernels:
                        let done = T.smallGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                               a: aMatrix.base, lda: aMatrix.stride, b: bMatrix.base, ldb: bMatrix.stride,
                                               beta: accumulate ? 1 : 0, c: cMatrix.base, ldc: cMatrix.stride)
                        // libxsmm 1.17 generates no kernel for a transposed second operand, nor without AVX.
                        if MatrixEngine.hasGeneratedKernels && !transposeB && InstructionSet.detected >= .avx2 {
                            XCTAssertTrue(done, label)
                        }
                        if !done { continue }
                    }
                    let expected = naiveProduct(a.map(Double.init), aShape.0, aShape.1, transposeA: transposeA,
                                                b.map(Double.init), bShape.0, bShape.1, transposeB: transposeB,
                                                c: accumulate ? c.map(Double.init) : [Double](repeating: 0, count: m * n))
                    for i in 0..<(m * n) {
                        assertClose(Double(cMatrix.base[i]), expected[i], relative: tolerance,
                                    absolute: tolerance * Double(k), "\(label) at \(i)")
                    }
                }
            }
        }
    }

    func testProductsEqualNaiveLoopsInFloatAndDoubleWithEitherEngine() throws {
        try checkProducts(Double.self, tolerance: 1e-13)
        try checkProducts(Float.self, tolerance: 1e-5)
    }

    func testSmallProductsGoToGeneratedKernelsAndLargeOnesToBLAS() {
        XCTAssertEqual(MatrixEngine.choice(m: 10, n: 30, k: 784), .generatedKernels)
        XCTAssertEqual(MatrixEngine.choice(m: 64, n: 64, k: 784), .generatedKernels)
        XCTAssertEqual(MatrixEngine.choice(m: 256, n: 128, k: 1024), .blas)
        XCTAssertEqual(MatrixEngine.choice(m: Int.max, n: 2, k: 1), .blas, "an overflowing size is not small")
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

    // MARK: Random

    func testSeedsAndStreamsAreReproducibleAndDistinct() {
        var a = Random(seed: 42), b = Random(seed: 42), c = Random(seed: 42, stream: 1)
        let first = (0..<5).map { _ in a.next() }
        XCTAssertEqual(first, (0..<5).map { _ in b.next() })
        XCTAssertNotEqual(first, (0..<5).map { _ in c.next() })
    }

    func testBelowIsUniformOverItsRange() {
        var random = Random(seed: 7)
        let bins = 10, draws = 100_000
        var counts = [Int](repeating: 0, count: bins)
        for _ in 0..<draws {
            let value = random.below(bins)
            XCTAssertTrue((0..<bins).contains(value))
            counts[value] += 1
        }
        let expected = Double(draws) / Double(bins)
        let chiSquare = counts.map { (Double($0) - expected) * (Double($0) - expected) / expected }.reduce(0, +)
        XCTAssertLessThan(chiSquare, 27.9)  // the 0.1% critical value with 9 degrees of freedom
    }

    func testNormalHasMeanZeroAndVarianceOne() {
        var random = Random(seed: 8)
        let values = (0..<100_000).map { _ in random.normal() }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
        XCTAssertLessThan(abs(mean), 0.015)
        XCTAssertLessThan(abs(variance - 1), 0.02)
    }

    func testShuffleIsAPermutation() throws {
        var random = Random(seed: 9)
        let indices = try Buffer<Int>.indices(1000)
        random.shuffle(indices.buffer)
        XCTAssertEqual(Array(indices.buffer).sorted(), Array(0..<1000))
        XCTAssertNotEqual(Array(indices.buffer), Array(0..<1000))
    }
}
