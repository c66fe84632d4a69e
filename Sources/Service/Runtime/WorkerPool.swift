import Foundation
import Tensor

/// A fixed set of worker threads fed from a bounded FIFO queue.
///
/// `submit` never blocks: when `capacity` jobs are already waiting it returns false and the caller
/// answers 503. Inference is CPU-bound and each job already spreads over all cores, so a small
/// number of workers with a queue in front bounds both latency and memory.
final class WorkerPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [(ticket: Int, job: () -> Void)] = []
    private var head = 0
    private var lastTicket = 0
    private var busy = 0
    private var stopping = false
    let capacity: Int
    let workerCount: Int

    /// Whether running jobs split the cores between them (`Parallel.sharingCores`): stylizations
    /// do; training jobs keep their own thread limit.
    let sharesCores: Bool

    init(workers: Int, capacity: Int, name: String = "atelier.worker", sharesCores: Bool = false) {
        workerCount = max(1, workers)
        self.sharesCores = sharesCores
        self.capacity = max(0, capacity)
        for i in 0..<workerCount {
            // The threads hold the pool (not `unowned`): a pool released while a job runs must
            // outlive it. `stop()` ends the threads, and with them these references.
            let thread = Thread { self.workLoop() }
            thread.name = "\(name).\(i)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Enqueues `job`; false when the queue is full or the pool is stopping.
    func submit(_ job: @escaping () -> Void) -> Bool {
        submitWithdrawable(job) != nil
    }

    /// Enqueues `job` and returns the ticket `withdraw` takes; nil when the queue is full or the
    /// pool is stopping.
    func submitWithdrawable(_ job: @escaping () -> Void) -> Int? {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping, queue.count - head < capacity else { return nil }
        lastTicket += 1
        queue.append((lastTicket, job))
        condition.signal()
        return lastTicket
    }

    /// Takes a job that has not started out of the queue, freeing its slot at once (a job that
    /// merely returns when it finally runs would hold the slot until a worker reaches it).
    /// False when it has started already, or was never queued.
    @discardableResult
    func withdraw(_ ticket: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard let i = queue[head...].firstIndex(where: { $0.ticket == ticket }) else { return false }
        queue.remove(at: i)
        return true
    }

    /// Jobs waiting for a worker.
    var waiting: Int { condition.lock(); defer { condition.unlock() }; return queue.count - head }
    /// Jobs running now.
    var running: Int { condition.lock(); defer { condition.unlock() }; return busy }

    /// Lets queued jobs finish, then ends the worker threads.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func workLoop() {
        Parallel.flushDenormals()   // single-threaded steps of a job (decode, pad, …) run here
        while true {
            condition.lock()
            while head == queue.count && !stopping { condition.wait() }
            if head == queue.count { condition.unlock(); return }
            let job = queue[head].job
            head += 1
            if head > 64 && head * 2 > queue.count { queue.removeFirst(head); head = 0 }
            busy += 1
            condition.unlock()
            if sharesCores { Parallel.sharingCores(job) } else { job() }
            condition.lock()
            busy -= 1
            condition.unlock()
        }
    }
}
