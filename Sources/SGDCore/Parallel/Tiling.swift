/// A split of 0..<extent into `count` contiguous ranges, fixed by the problem's shape alone.
///
/// This is what keeps training reproducible whatever the thread count: work is cut into tiles that
/// depend only on the sizes involved, each tile is computed the same way by whichever thread runs
/// it, and partial sums are combined in tile order. (OpenBLAS's own threading splits by thread
/// count, and any change of split changes the last bits of a product.)
public struct Tiling: Sendable {
    public let extent: Int
    public let count: Int
    /// Tile boundaries are multiples of this (but the last), to keep BLAS kernels on full vectors.
    let granule: Int

    init(extent: Int, count: Int, granule: Int = 1) {
        self.extent = extent
        self.count = max(1, min(count, extent / max(granule, 1)))
        self.granule = max(granule, 1)
    }

    /// Tiles of at least `minimumWork` units of work (a tile of the extent's units does
    /// `workPerUnit` each), at most `Tiling.maximumCount` of them, a power of two so that 2, 4 or 8
    /// threads share them evenly.
    init(extent: Int, workPerUnit: Int, minimumWork: Int, granule: Int = 1) {
        let (total, overflow) = extent.multipliedReportingOverflow(by: max(workPerUnit, 1))
        let wanted = overflow ? Tiling.maximumCount : min(Tiling.maximumCount, total / max(minimumWork, 1))
        var count = 1
        while count * 2 <= wanted && count * 2 * granule <= extent { count *= 2 }
        self.init(extent: extent, count: count, granule: granule)
    }

    static var maximumCount: Int { 8 }

    public func range(_ i: Int) -> Range<Int> { boundary(i)..<boundary(i + 1) }

    private func boundary(_ i: Int) -> Int {
        i >= count ? extent : extent * i / count / granule * granule
    }
}
