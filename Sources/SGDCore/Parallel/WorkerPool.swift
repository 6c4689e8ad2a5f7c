import CBLAS
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Helper threads that run the independent tasks of one phase of work together with the calling
/// thread. Tasks are claimed dynamically (a slow or descheduled thread never holds the others up),
/// helpers spin briefly between phases (a mini-batch has several phases a few microseconds apart)
/// and then sleep. One caller uses the helpers at a time; any other concurrent caller, and any
/// nested call, runs its tasks on its own thread — with the same results, as tiles never depend on
/// who runs them.
public final class WorkerPool: @unchecked Sendable {
    public static let shared = WorkerPool()

    /// Threads that work on a phase, the caller's included; by default one per online CPU.
    public var threadCount: Int {
        get { wanted.load(ordering: .relaxed) }
        set {
            wanted.store(min(max(newValue, 1), WorkerPool.maximumThreads), ordering: .relaxed)
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(wakeUp)  // helpers beyond the new count go back to sleep
            pthread_mutex_unlock(mutex)
        }
    }

    public static var maximumThreads: Int { 256 }

    /// The phase in one word, so that claiming a task is one compare-and-swap: bits 0..<24 the next
    /// task, 24..<48 the task count, 48..<64 a phase number (a claim can never hit a later phase).
    private let phase = Atomic<UInt64>(0)
    private let unfinished = Atomic<Int>(0)
    private let inUse = Atomic<Bool>(false)
    private let wanted = Atomic<Int>(1)
    private let sleepers = Atomic<Int>(0)
    private let helperCount = Atomic<Int>(0)
    /// The running phase's body; set only while its tasks are being claimed or run.
    private let body = UnsafeMutablePointer<((Int) -> Void)?>.allocate(capacity: 1)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeUp = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var phaseNumber: UInt64 = 0

    private init() {
        body.initialize(to: nil)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wakeUp, nil)
        // Every product is split here, into shape-fixed tiles; BLAS must not split them again.
        openblas_set_num_threads(1)
        wanted.store(WorkerPool.availableProcessors(), ordering: .relaxed)
        // A forked child (multiprocessing) has none of the parent's helpers: start afresh.
        pthread_atfork(nil, nil, { WorkerPool.shared.forgetHelpersAfterFork() })
    }

    private func forgetHelpersAfterFork() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wakeUp, nil)
        helperCount.store(0, ordering: .relaxed)
        sleepers.store(0, ordering: .relaxed)
        inUse.store(false, ordering: .relaxed)
        body.pointee = nil
    }

    /// Runs body(0), …, body(count − 1), each exactly once, possibly in parallel; returns when all are done.
    public func run(_ count: Int, _ task: (Int) -> Void) {
        guard count > 1, count < 1 << 24, wanted.load(ordering: .relaxed) > 1,
              inUse.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else {
            for i in 0..<count { task(i) }
            return
        }
        defer { inUse.store(false, ordering: .releasing) }
        if helperCount.load(ordering: .relaxed) < wanted.load(ordering: .relaxed) - 1 {
            startHelpers(upTo: wanted.load(ordering: .relaxed) - 1)
        }
        withoutActuallyEscaping(task) { task in
            body.pointee = task
            unfinished.store(count, ordering: .relaxed)
            phaseNumber &+= 1
            phase.store((phaseNumber & 0xFFFF) << 48 | UInt64(count) << 24, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(wakeUp)
                pthread_mutex_unlock(mutex)
            }
            while let index = claim() {
                task(index)
                unfinished.subtract(1, ordering: .releasing)
            }
            var spins = 0
            while unfinished.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins & 0xFFF == 0 { sched_yield() } else { pauseInstruction() }
            }
            body.pointee = nil
        }
    }

    /// The index of an unclaimed task of the current phase, if any.
    private func claim() -> Int? {
        var current = phase.load(ordering: .acquiring)
        while true {
            let next = current & 0xFF_FFFF, count = current >> 24 & 0xFF_FFFF
            guard next < count else { return nil }
            let (exchanged, original) = phase.compareExchange(expected: current, desired: current + 1,
                                                              ordering: .acquiringAndReleasing)
            if exchanged { return Int(next) }
            current = original
        }
    }

    private func hasWork() -> Bool {
        let current = phase.load(ordering: .sequentiallyConsistent)
        return current & 0xFF_FFFF < current >> 24 & 0xFF_FFFF
    }

    /// Calls the phase's body through a function boundary, so that every retain and release of the
    /// closure is over before the task is counted as finished (the caller then ends its lifetime).
    @inline(never)
    private func runTask(_ index: Int) { body.pointee?(index) }

    private func helperLoop(_ helper: Int) {
        while true {
            if helper < wanted.load(ordering: .relaxed) - 1, let index = claim() {
                runTask(index)
                unfinished.subtract(1, ordering: .releasing)
                continue
            }
            if spinUntilWork(helper) { continue }
            pthread_mutex_lock(mutex)
            sleepers.add(1, ordering: .sequentiallyConsistent)
            while !(helper < wanted.load(ordering: .relaxed) - 1 && hasWork()) {
                pthread_cond_wait(wakeUp, mutex)
            }
            sleepers.subtract(1, ordering: .sequentiallyConsistent)
            pthread_mutex_unlock(mutex)
        }
    }

    /// Spins for up to `WorkerPool.spinNanoseconds`; true when a task appeared meanwhile.
    private func spinUntilWork(_ helper: Int) -> Bool {
        let start = monotonicNanoseconds()
        while monotonicNanoseconds() - start < WorkerPool.spinNanoseconds {
            for _ in 0..<64 {
                if helper < wanted.load(ordering: .relaxed) - 1 && hasWork() { return true }
                pauseInstruction()
            }
        }
        return false
    }

    /// How long a helper keeps spinning after its last task before it sleeps: longer than the gaps
    /// between the phases of a mini-batch, short enough to cost nothing once training is over.
    static var spinNanoseconds: UInt64 { 200_000 }

    private func startHelpers(upTo count: Int) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while helperCount.load(ordering: .relaxed) < count {
            let helper = helperCount.load(ordering: .relaxed)
            let context = UnsafeMutablePointer<Int>.allocate(capacity: 1)
            context.initialize(to: helper)
            var thread = pthread_t()
            let started = pthread_create(&thread, nil, { context in
                let helper = context!.assumingMemoryBound(to: Int.self)
                let index = helper.pointee
                helper.deallocate()
                WorkerPool.shared.helperLoop(index)
                return nil
            }, context)
            guard started == 0 else {
                context.deallocate()
                return  // fewer helpers: the caller runs the rest of each phase itself
            }
            pthread_detach(thread)
            helperCount.add(1, ordering: .relaxed)
        }
        pthread_cond_broadcast(wakeUp)
    }

    /// Online CPUs, at least 1. (The Python package narrows this to the process's affinity mask.)
    static func availableProcessors() -> Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}

private func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

#if arch(x86_64)
@_silgen_name("llvm.x86.sse2.pause") private func pauseInstruction()
#else
@inline(__always) private func pauseInstruction() {}
#endif
