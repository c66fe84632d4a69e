import CPUFeatures
import Dispatch
import Foundation
import Synchronization

/// The threads `Parallel` runs kernels on: `maxThreads − 1` helpers beside the calling thread,
/// which spin for a moment after each parallel region before they sleep.
///
/// Why not `DispatchQueue.concurrentPerform` alone: its worker threads park between regions, and
/// on these virtual machines waking one took about 50 µs (`atelier profile` prints it). A network
/// runs one region per op — multistyle26 at 256² about 65 of them, Magenta's predictor about
/// 150 — so a fifth of a small stylization went to waiting for the second core. Helpers that are
/// already spinning take a region's work within a microsecond (onnxruntime's pool spins too).
///
/// A region is `workers` indices, `body(index)` once each. The caller runs indices itself, and
/// helpers claim the others as they arrive; when the caller runs out, it closes the region, so a
/// helper that comes late finds nothing and the caller never waits for one to wake. Which thread
/// runs an index does not change what it computes (per-worker partial sums stay per index).
///
/// One region at a time: a call that finds the pool busy (another request's kernel, or a kernel
/// called from inside a region) returns false and the caller uses `concurrentPerform`.
final class KernelThreadPool: @unchecked Sendable {
    /// `ATELIER_KERNEL_THREAD_POOL=0` leaves every region to `concurrentPerform` (no thread spins).
    static let shared = KernelThreadPool(helpers: ProcessInfo.processInfo.environment["ATELIER_KERNEL_THREAD_POOL"] == "0" ? 0 : Parallel.maxThreads - 1)

    /// How long a helper spins for the next region before it sleeps.
    static let spinNanoseconds: UInt64 = 200_000

    private let helpers: Int
    private let busy = Atomic<Bool>(false)
    /// Bumped when a region opens; helpers watch it.
    private let generation = Atomic<Int>(0)
    /// The next index to claim; `closed` once the caller has run out.
    private let nextIndex = Atomic<Int>(0)
    /// Indices helpers have finished in the open region.
    private let finished = Atomic<Int>(0)
    /// The CPU the caller of the open (or last) region ran on.
    private let callerCPU = Atomic<Int>(-1)
    private static let closed = Int.max / 2

    // The open region (written by the caller before it bumps `generation`).
    nonisolated(unsafe) private var body: ((Int) -> Void)?
    nonisolated(unsafe) private var workers = 0

    private let sleep = NSCondition()
    nonisolated(unsafe) private var sleepers = 0
    private var started = false

    init(helpers: Int) { self.helpers = max(0, helpers) }

    /// Runs `body(i)` for i in 0..<workers on this thread and the helpers; false (nothing run) if
    /// the pool has no helpers or is running another region.
    func run(workers: Int, _ body: (Int) -> Void) -> Bool {
        guard helpers > 0, workers > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        if !started { startHelpers() }
        withoutActuallyEscaping(body) { body in
            self.body = body
            self.workers = workers
            finished.store(0, ordering: .relaxed)
            callerCPU.store(Int(atelier_current_cpu()), ordering: .relaxed)
            nextIndex.store(1, ordering: .releasing)   // index 0 is the caller's
            generation.add(1, ordering: .releasing)
            sleep.lock()
            if sleepers > 0 { sleep.broadcast() }
            sleep.unlock()

            Parallel.flushDenormals()
            body(0)
            var mine = 0   // other indices this thread claimed and ran
            while true {
                let i = nextIndex.add(1, ordering: .acquiringAndReleasing).oldValue
                guard i < workers else { break }
                body(i)
                mine += 1
            }
            // Close the region: from here a helper's claim finds nothing. Wait only for the
            // indices helpers claimed before now.
            let claimed = min(nextIndex.exchange(Self.closed, ordering: .acquiringAndReleasing), workers) - 1
            var spins = 0
            while finished.load(ordering: .acquiring) < claimed - mine {
                spinPause()
                spins += 1
                if spins & 255 == 0 { sched_yield() }   // the helper may be waiting for this core
            }
            self.body = nil   // no helper holds it now (see `runIndex`), as withoutActuallyEscaping checks
        }
        return true
    }

    private func startHelpers() {
        started = true
        for h in 0..<helpers {
            let thread = Thread { [self] in helperLoop() }
            thread.name = "atelier-worker-\(h + 1)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    private func helperLoop() {
        var seen = generation.load(ordering: .acquiring)
        while true {
            // Spin for the next region, then sleep until one opens.
            let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spinPause()
                spins += 1
                guard spins & 255 == 0 else { continue }
                // Every few microseconds: hand the core over if another thread waits for it (a
                // training run beside the service), and sleep once the spin has lasted long enough.
                // A helper on the caller's CPU takes half the caller's time and does none of its
                // work; the scheduler does not always part them (predictor at 12.8–13.6 ms instead
                // of 7.7, both threads on one CPU in /proc/PID/task), and a helper that sleeps
                // there may be woken onto its waker's CPU again. So it moves itself off that CPU
                // (`atelier_move_off_cpu`), and sleeps at once only where it cannot.
                sched_yield()
                let cpu = Int(atelier_current_cpu())
                let sharesCallersCPU = cpu >= 0 && cpu == callerCPU.load(ordering: .relaxed)
                if sharesCallersCPU && atelier_move_off_cpu(Int32(cpu)) == 0 { continue }
                if DispatchTime.now().uptimeNanoseconds > deadline || sharesCallersCPU {
                    sleep.lock()
                    sleepers += 1
                    while generation.load(ordering: .acquiring) == seen { sleep.wait() }
                    sleepers -= 1
                    sleep.unlock()
                }
            }
            seen = generation.load(ordering: .acquiring)
            Parallel.flushDenormals()
            while true {
                let i = nextIndex.add(1, ordering: .acquiringAndReleasing).oldValue
                guard i < workers else { break }
                runIndex(i)
                finished.add(1, ordering: .releasing)
            }
        }
    }

    /// Not inlined: the reference to the region's body this takes is released before it returns,
    /// so once `finished` counts the index, the caller's is the last.
    @inline(never) private func runIndex(_ i: Int) {
        body!(i)
    }

    /// The x86 `pause` hint (C shim): a spinning thread yields the core's pipeline to its sibling.
    @inline(__always) private func spinPause() { atelier_spin_pause() }
}
