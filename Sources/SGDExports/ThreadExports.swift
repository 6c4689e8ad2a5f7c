import CSGDSwift
import SGDCore

// The thread-count functions of sgdswift.h and the runtime self-test.

@_cdecl("sgd_runtime_self_test")
public func exportRuntimeSelfTest() -> Int32 {
    // Protocol conformances are found through runtime metadata that only registers when swiftrt.o is
    // linked in; without it this cast fails silently.
    let error: Any = CoreError.invalidArgument("self-test")
    return (error as? any CustomStringConvertible)?.description == "self-test" ? 1 : 0
}

@_cdecl("sgd_get_thread_count")
public func exportGetThreadCount() -> Int64 { Int64(WorkerPool.shared.threadCount) }

@_cdecl("sgd_set_thread_count")
public func exportSetThreadCount(_ count: Int64) {
    WorkerPool.shared.threadCount = Int(clamping: count)  // the pool clamps to 1...maximumThreads
}

@_cdecl("sgd_max_threads")
public func exportMaxThreads() -> Int64 { Int64(WorkerPool.maximumThreads) }
