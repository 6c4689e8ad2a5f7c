#if canImport(Glibc)
import Glibc
#endif

/// A row-major view of `rows × columns` scalars that someone else owns: element (i, j) is at
/// `base[i * columns + j]`. Views over caller memory that the core must not write are made with
/// `UnsafeMutablePointer(mutating:)` and only ever read.
public struct Matrix<T: Scalar> {
    public let base: UnsafeMutablePointer<T>
    public let rows: Int
    public let columns: Int

    public init(_ base: UnsafeMutablePointer<T>, rows: Int, columns: Int) {
        self.base = base
        self.rows = rows
        self.columns = columns
    }

    public var count: Int { rows * columns }

    @inline(__always) public subscript(row: Int, column: Int) -> T {
        get { base[row * columns + column] }
        nonmutating set { base[row * columns + column] = newValue }
    }

    @inline(__always) public func row(_ i: Int) -> UnsafeMutablePointer<T> { base + i * columns }

    /// The contiguous block of rows `range`, without copying.
    public func rows(_ range: Range<Int>) -> Matrix {
        Matrix(base + range.lowerBound * columns, rows: range.count, columns: columns)
    }

    /// self ← α·op(a)·op(b) + β·self, op(m) = mᵀ when asked.
    public func assignProduct(
        _ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false, alpha: T = 1, beta: T = 0
    ) {
        let k = transposeA ? a.rows : a.columns
        T.gemm(
            transposeA: transposeA, transposeB: transposeB, m: rows, n: columns, k: k,
            alpha: alpha, a: a.base, lda: a.columns, b: b.base, ldb: b.columns,
            beta: beta, c: base, ldc: columns)
    }
}

/// Memory the core owns: `count` elements of a trivial type, 64-byte aligned (one cache line, one
/// AVX-512 vector), freed with the buffer.
public final class Buffer<Element> {
    public let base: UnsafeMutablePointer<Element>
    public let count: Int

    /// Throws `CoreError.outOfMemory` instead of trapping when the allocation fails.
    public init(count: Int, repeating value: Element) throws {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        var raw: UnsafeMutableRawPointer? = nil
        guard count >= 0, !overflow, posix_memalign(&raw, 64, max(bytes, 64)) == 0, let raw else {
            throw CoreError.outOfMemory("cannot allocate \(count) values of \(MemoryLayout<Element>.stride) bytes")
        }
        base = raw.bindMemory(to: Element.self, capacity: count)
        base.initialize(repeating: value, count: count)
        self.count = count
    }

    deinit { free(base) }

    public var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: base, count: count) }
}

extension Buffer where Element: Scalar {
    public convenience init(count: Int) throws { try self.init(count: count, repeating: 0) }

    public func matrix(rows: Int, columns: Int, offset: Int = 0) -> Matrix<Element> {
        Matrix(base + offset, rows: rows, columns: columns)
    }
}

extension Buffer where Element == Int {
    /// 0, 1, …, count − 1.
    static func indices(_ count: Int) throws -> Buffer {
        let buffer = try Buffer(count: count, repeating: 0)
        for i in 0..<count { buffer.base[i] = i }
        return buffer
    }
}
