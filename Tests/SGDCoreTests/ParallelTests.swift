import Foundation
import XCTest
@testable import SGDCore

final class ParallelTests: XCTestCase {
    func testTilesCoverTheExtentInAlignedContiguousPowerOfTwoParts() {
        for extent in [1, 7, 16, 30, 128, 784, 1000, 1024, 100_000] {
            for work in [1, 1_000, 100_000, 10_000_000] {
                let tiling = Tiling(extent: extent, workPerUnit: work, minimumWork: 1 << 21, granule: 16)
                XCTAssertTrue((1...Tiling.maximumCount).contains(tiling.count))
                XCTAssertEqual(tiling.count & (tiling.count - 1), 0, "a power of two")
                var next = 0
                for t in 0..<tiling.count {
                    let range = tiling.range(t)
                    XCTAssertEqual(range.lowerBound, next)
                    XCTAssertFalse(range.isEmpty, "extent \(extent) work \(work) tile \(t)")
                    if t > 0 { XCTAssertEqual(range.lowerBound % 16, 0) }
                    next = range.upperBound
                }
                XCTAssertEqual(next, extent)
            }
        }
        // Tiles follow the work: a small product stays whole, a large one is split.
        XCTAssertEqual(Tiling(extent: 30, workPerUnit: 10 * 784, minimumWork: 1 << 21, granule: 16).count, 1)
        XCTAssertEqual(Tiling(extent: 128, workPerUnit: 64 * 784, minimumWork: 1 << 21, granule: 16).count, 2)
        XCTAssertEqual(Tiling(extent: 1024, workPerUnit: 256 * 784, minimumWork: 1 << 21, granule: 16).count, 8)
    }

    /// Every task of every phase runs exactly once, on however many threads, also when several threads
    /// start phases at once (all but one then run theirs alone) and when a task starts a phase itself.
    func testEveryTaskRunsExactlyOnceFromConcurrentAndNestedCallers() {
        let pool = WorkerPool.shared
        let saved = pool.threadCount
        defer { pool.threadCount = saved }
        for threads in [1, 2, 4] {
            pool.threadCount = threads
            let callers = 4, phases = 300, tasks = 8
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: callers * tasks * tasks)
            counts.initialize(repeating: 0, count: callers * tasks * tasks)
            defer { counts.deallocate() }
            DispatchQueue.concurrentPerform(iterations: callers) { caller in
                for _ in 0..<phases {
                    pool.run(tasks) { task in
                        pool.run(tasks) { inner in counts[(caller * tasks + task) * tasks + inner] += 1 }
                    }
                }
            }
            for i in 0..<(callers * tasks * tasks) { XCTAssertEqual(counts[i], phases, "threads \(threads) slot \(i)") }
        }
    }

    /// A phase of several jobs runs every tile of every job exactly once, with the job's own ranges.
    func testAPhaseOfJobsRunsEachTileOfEachJobOnce() {
        let pool = WorkerPool.shared
        let saved = pool.threadCount
        defer { pool.threadCount = saved }
        let tilings = [Tiling(extent: 100, count: 4), Tiling(extent: 3, count: 1), Tiling(extent: 64, count: 8, granule: 8)]
        for threads in [1, 3] {
            pool.threadCount = threads
            let counts = tilings.map { tiling in
                let counts = UnsafeMutablePointer<Int>.allocate(capacity: tiling.extent)
                counts.initialize(repeating: 0, count: tiling.extent)
                return counts
            }
            defer { for count in counts { count.deallocate() } }
            let jobs = zip(tilings, counts).enumerated().map { j, job in
                PhaseJob("job \(j)", tiles: job.0) { range in for i in range { job.1[i] += 1 } }
            }
            XCTAssertEqual(jobs[2].description, "job 2 in 8 tiles")
            pool.run(jobs)
            for (tiling, count) in zip(tilings, counts) {
                XCTAssertEqual(Array(UnsafeBufferPointer(start: count, count: tiling.extent)),
                               [Int](repeating: 1, count: tiling.extent), "threads \(threads)")
            }
        }
    }

    /// The same seed gives bit-identical weights with 1, 2 or 3 threads: tiles depend on the shapes
    /// only, never on the thread count.
    func testTrainingIsBitIdenticalWhateverTheThreadCount() throws {
        let pool = WorkerPool.shared
        let saved = pool.threadCount
        defer { pool.threadCount = saved }
        let rows = 300, inputs = 300
        let x = try matrix(rows, inputs, randomValues(rows * inputs, seed: 5) as [Float])
        let labels = try Buffer<Int>(count: rows, repeating: 0)
        for r in 0..<rows { labels.base[r] = r % 10 }
        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            pool.threadCount = threads
            let network = try Network<Float>(sizes: [inputs, 256, 10], hidden: .relu, output: .softmax, loss: .crossEntropy)
            network.initialize(.he, seed: 1)
            let adam = try Optimizer<Float>(rule: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, amsgrad: false,
                                                        decoupledWeightDecay: false),
                                            learningRate: 1e-3, weightDecay: 0)
            let result = try network.fit(.dense(x), .labels(labels.base, rows: rows),
                                         options: TrainingOptions(epochs: 2, batchSize: 64, seed: 3), optimizer: adam)
            XCTAssertEqual(result.ending, .completed)
            results.append(Array(UnsafeBufferPointer(start: network.parameters.base, count: network.parameters.count)))
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
        // This problem's products and the step are split into several tiles, so the check has teeth.
        XCTAssertGreaterThan(Tiling(extent: 256, workPerUnit: 64 * inputs, minimumWork: Network<Float>.minimumProductTile,
                                    granule: 16).count, 1)
    }
}
