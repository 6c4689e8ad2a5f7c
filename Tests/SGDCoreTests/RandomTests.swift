import XCTest
@testable import SGDCore

final class RandomTests: XCTestCase {
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
