/// The index of the first value that is NaN or infinite, if any; large arrays are checked in parallel.
func firstNonFinite<T: Scalar>(_ values: UnsafePointer<T>, count: Int, _ kernels: ElementwiseKernels<T>) -> Int? {
    let tiles = Tiling(extent: count, workPerUnit: 1, minimumWork: 1 << 16, granule: 16)
    let finite = withUnsafeTemporaryAllocation(of: Bool.self, capacity: tiles.count) { finite -> Bool in
        WorkerPool.shared.run(tiles) { t, range in finite[t] = kernels.allFinite(values + range.lowerBound, range.count) }
        return finite.allSatisfy { $0 }
    }
    return finite ? nil : (0..<count).first { !values[$0].isFinite }
}

