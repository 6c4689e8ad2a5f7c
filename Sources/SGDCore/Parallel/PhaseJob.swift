/// One kind of work in a phase: an equation computed tile by tile over a tiling. The jobs of a phase
/// write disjoint memory, so all their tiles can run at once, in any order, on any thread.
struct PhaseJob: CustomStringConvertible {
    /// What the job computes, as its equation.
    let equation: String
    let tiles: Tiling
    let work: (_ range: Range<Int>) -> Void

    init(_ equation: String, tiles: Tiling, _ work: @escaping (_ range: Range<Int>) -> Void) {
        self.equation = equation
        self.tiles = tiles
        self.work = work
    }

    var description: String { "\(equation) in \(tiles.count) tiles" }
}

extension WorkerPool {
    /// Runs work(t, range of tile t) for every tile of `tiles`, as one phase.
    func run(_ tiles: Tiling, _ work: (_ tile: Int, _ range: Range<Int>) -> Void) {
        run(tiles.count) { t in work(t, tiles.range(t)) }
    }

    /// Runs every tile of every job as ONE phase (task k is the k-th tile in job order): the jobs
    /// share the threads instead of each waiting for the slowest tile of the one before.
    func run(_ jobs: [PhaseJob]) {
        run(jobs.reduce(0) { $0 + $1.tiles.count }) { task in
            var job = 0, tile = task
            while tile >= jobs[job].tiles.count {
                tile -= jobs[job].tiles.count
                job += 1
            }
            jobs[job].work(jobs[job].tiles.range(tile))
        }
    }
}
