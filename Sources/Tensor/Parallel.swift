import CPUFeatures
import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How kernels spread work over cores.
///
/// Each kernel splits its work into `workers` contiguous-or-strided shares and runs them on the
/// `KernelThreadPool` (or, while it is busy, with `DispatchQueue.concurrentPerform`), so a kernel call
/// owns at most `workers` threads and each share can allocate its scratch once.
public enum Parallel {
    /// Threads one kernel call may use. Defaults to the number of online cores.
    nonisolated(unsafe) public static var maxThreads: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Runs `body` with the kernels it calls from this thread limited to `threads` workers, e.g. a
    /// background training job on one core while stylization keeps the rest.
    public static func withThreadLimit<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        let dictionary = Thread.current.threadDictionary
        let saved = dictionary[threadLimitKey]
        dictionary[threadLimitKey] = max(1, threads)
        defer { dictionary[threadLimitKey] = saved }
        return try body()
    }

    private static let threadLimitKey = "atelier.parallel.threadLimit"

    /// Runs `body` limited to `cores` threads, and holds those cores for it: while it runs, kernels
    /// called from other threads use the rest (at least one). A training job inside the service
    /// keeps its core this way, so a stylization beside it does not put three threads on two
    /// cores, where a worker that claimed a task waits behind the trainer for the core.
    public static func reservingCores<R>(_ cores: Int, _ body: () throws -> R) rethrows -> R {
        let cores = max(1, min(cores, maxThreads))
        reservedCores.add(cores, ordering: .relaxed)
        let dictionary = Thread.current.threadDictionary
        dictionary[reservingKey] = true
        defer {
            dictionary[reservingKey] = nil
            reservedCores.subtract(cores, ordering: .relaxed)
        }
        return try withThreadLimit(cores, body)
    }

    /// Cores held by `reservingCores` now.
    public static var reservedCoresNow: Int { reservedCores.load(ordering: .relaxed) }

    private static let reservingKey = "atelier.parallel.reservingCores"
    private static let reservedCores = Atomic<Int>(0)

    /// The worker count kernels called from this thread may use: `maxThreads`, this thread's
    /// limit, and inside `sharingCores` an equal share of `maxThreads` among the jobs sharing them.
    public static var threadsForCurrentThread: Int {
        let dictionary = Thread.current.threadDictionary
        var limit = min(maxThreads, (dictionary[threadLimitKey] as? Int) ?? maxThreads)
        if dictionary[reservingKey] == nil { limit = max(1, min(limit, maxThreads - reservedCores.load(ordering: .relaxed))) }
        guard dictionary[sharingKey] != nil else { return limit }
        sharingLock.lock()
        let sharing = max(1, jobsSharingCores)
        sharingLock.unlock()
        return max(1, min(limit, maxThreads / sharing))
    }

    /// Runs `body` as one of the jobs that split the cores between them: while two stylizations
    /// run at once, each kernel call of each takes half the threads (rounded down, at least one),
    /// and the whole again once the other ends. Two jobs that each spread every kernel over
    /// every core instead wait at each kernel's end for a share the other job's thread holds up.
    public static func sharingCores<R>(_ body: () throws -> R) rethrows -> R {
        let dictionary = Thread.current.threadDictionary
        if dictionary[sharingKey] != nil { return try body() }   // already one of the jobs
        sharingLock.lock()
        jobsSharingCores += 1
        sharingLock.unlock()
        dictionary[sharingKey] = true
        defer {
            dictionary[sharingKey] = nil
            sharingLock.lock()
            jobsSharingCores -= 1
            sharingLock.unlock()
        }
        return try body()
    }

    /// Jobs inside `sharingCores` now.
    public static var jobsSharingCoresNow: Int { sharingLock.lock(); defer { sharingLock.unlock() }; return jobsSharingCores }

    private static let sharingKey = "atelier.parallel.sharingCores"
    private static let sharingLock = NSLock()
    nonisolated(unsafe) private static var jobsSharingCores = 0

    /// Runs `body(worker, next)` on each of `min(threads, tasks)` workers in parallel (`threads` as
    /// for `run(tasks:)`); each worker takes tasks from `next()` until it returns nil, every task
    /// in `0..<tasks` once, to whichever worker asks first. For kernels whose tasks write disjoint
    /// outputs (the result does not depend on who ran a task); `worker` (0..<workers) names the
    /// scratch a worker may keep.
    ///
    /// Why not a fixed share each: `concurrentPerform` does not promise that its iterations run at
    /// once. Now and then the second thread comes late, or not at all and the calling thread runs
    /// both iterations one after the other (about one measurement in eight of the FMA peak on two
    /// threads came out at one thread's rate). With fixed shares that ran a whole kernel on one
    /// core; claimed tasks let the first thread carry on and a late one take what is left.
    public static func run(claiming tasks: Int, _ body: (_ worker: Int, _ next: () -> Int?) -> Void) {
        let workers = max(1, min(threadsForCurrentThread, tasks))
        let counter = Atomic<Int>(0)
        func next() -> Int? {
            let task = counter.wrappingAdd(1, ordering: .relaxed).oldValue
            return task < tasks ? task : nil
        }
        if workers == 1 { flushDenormals(); body(0, next); return }
        if KernelThreadPool.shared.run(workers: workers, { body($0, next) }) { return }
        DispatchQueue.concurrentPerform(iterations: workers) { flushDenormals(); body($0, next) }
    }

    /// Runs `body(worker, workers)` for each of `min(threads, tasks)` workers in parallel, where
    /// `threads` is `maxThreads` or this thread's limit (`withThreadLimit`).
    /// A worker handles tasks `worker, worker + workers, ...`: a fixed share, for reductions that
    /// keep a partial sum per worker and add them in worker order (the same result every run);
    /// kernels with disjoint outputs use `run(claiming:)`.
    /// Every worker flushes subnormals to zero first (`flushDenormals`): kernels never pay for them.
    public static func run(tasks: Int, _ body: (_ worker: Int, _ workers: Int) -> Void) {
        let workers = max(1, min(threadsForCurrentThread, tasks))
        if workers == 1 { flushDenormals(); body(0, 1); return }
        if KernelThreadPool.shared.run(workers: workers, { body($0, workers) }) { return }
        DispatchQueue.concurrentPerform(iterations: workers) { flushDenormals(); body($0, workers) }
    }

    /// Flush-to-zero and denormals-are-zero for the calling thread. A near-constant plane after
    /// instance normalization (a flat sky, a white background) otherwise fills the following
    /// layers with subnormal floats, each operation on them ~100× slower: a constant test image
    /// ran multistyle26 at 1024² in 394 ms instead of 282. The results differ by less than 1e-37.
    public static func flushDenormals() { atelier_flush_denormals() }

    /// Runs `body(range)` for consecutive ranges of `0..<count`, `chunk` long (the last shorter),
    /// spread over the workers: an element-wise pass over a whole tensor.
    public static func forEachChunk(of count: Int, chunk: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
        forEach((count + chunk - 1) / chunk) { c in body((c * chunk)..<min(count, (c + 1) * chunk)) }
    }

    /// Runs `body(task)` for every task in `0..<tasks`, spread over the workers.
    public static func forEach(_ tasks: Int, _ body: (Int) -> Void) {
        run(claiming: tasks) { _, next in
            while let t = next() { body(t) }
        }
    }
}
