import Foundation

/// A trainer replica's workers: each claims the oldest open job from the shared board, runs it
/// with its kind's runner and records how it ended. While a job runs, a keeper renews its lease
/// every `renewSeconds` (with the latest progress) and passes on a cancel request; a lost lease
/// (this process stalled past it, and another trainer took the job) stops the work without
/// recording anything.
final class SharedJobTrainer: @unchecked Sendable {
    let board: PostgresJobBoard
    let runners: (String) -> JobRunner?
    let pollSeconds: Double
    /// How long the end of a job is retried while the store is unreachable.
    let outageSeconds: Double
    /// Who holds a lease: host, process and a random part (a restarted process is someone new).
    let owner: String
    private let lock = NSLock()
    private var stopping = false
    private var running: [String: JobContext] = [:]
    private let wake = DispatchSemaphore(value: 0)
    private var active = 0

    init(board: PostgresJobBoard, runners: @escaping (String) -> JobRunner?, pollSeconds: Double, outageSeconds: Double = 120) {
        (self.board, self.runners, self.pollSeconds, self.outageSeconds) = (board, runners, pollSeconds, outageSeconds)
        owner = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8).lowercased())"
    }

    var renewSeconds: Double { min(2, board.leaseSeconds / 3) }

    func start(workers: Int) {
        lock.withLock { active = workers }
        for i in 0..<workers {
            let thread = Thread { [self] in
                work()
                lock.withLock { active -= 1 }
            }
            thread.name = "atelier.trainer.\(i)"
            thread.start()
        }
    }

    /// Asks running jobs to stop (they are given back to the queue) and waits up to `timeout`
    /// for the workers to end.
    func stop(timeout: TimeInterval = 30) {
        let (contexts, workers) = lock.withLock { stopping = true; return (Array(running.values), active) }
        contexts.forEach { $0.cancel(.shutdown) }
        for _ in 0..<workers { wake.signal() }   // idle workers stop waiting for the next poll
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, lock.withLock({ active > 0 }) { usleep(10_000) }
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func work() {
        while !isStopping {
            let claim: PostgresJobBoard.Claim?
            do { claim = try board.claim(owner: owner) } catch {
                print("atelier: trainer could not claim a job: \(error)")
                _ = wake.wait(timeout: .now() + pollSeconds * 5)
                continue
            }
            switch claim {
            case nil: _ = wake.wait(timeout: .now() + pollSeconds)
            case .cancelled(let r)?: runners(r.kind)?.cancelled(r.styleID)
            case .abandoned(let r)?: runners(r.kind)?.abandoned(r.styleID, r.error ?? "abandoned")
            case .run(let r)?: run(r)
            }
        }
    }

    private func run(_ job: JobRecord) {
        guard let runner = runners(job.kind) else {
            try? board.finish(job.id, owner: owner, status: .failed, error: "this trainer runs no \(job.kind) jobs")
            return
        }
        let latest = LatestProgress()
        let context = JobContext { iteration, loss, deadline in latest.set((iteration, loss, deadline)) }
        lock.withLock { running[job.id] = context }
        let keeperDone = DispatchSemaphore(value: 0), keeperEnded = DispatchSemaphore(value: 0)
        let leaseLost = Flag()
        Thread { [self] in
            while keeperDone.wait(timeout: .now() + renewSeconds) == .timedOut {
                do {
                    if try board.renew(job.id, owner: owner, progress: latest.take()) { context.cancel(.user) }
                } catch is PostgresJobBoard.LeaseLost {
                    leaseLost.set()
                    context.cancel(.shutdown)
                    break
                } catch {
                    print("atelier: trainer could not renew job \(job.id)'s lease: \(error)")   // retried at the next beat
                }
            }
            keeperEnded.signal()
        }.start()

        var outcome: (status: JobRecord.Status, error: String?)? = (.succeeded, nil)
        do { try runner.run(job.styleID, context) } catch let c as JobCancelled {
            outcome = c.reason == .user ? (.cancelled, nil) : nil   // nil: given back (shutdown) or taken (lost lease)
        } catch {
            outcome = (.failed, "\(error)")
        }
        // The end is recorded while the keeper still renews the lease, so a store that is away
        // for a while does not let another trainer take (and redo) a job that is over.
        if let p = latest.take(), !leaseLost.isSet { _ = try? board.renew(job.id, owner: owner, progress: p) }
        recordEnd(job.id, stillHeld: { !leaseLost.isSet }) { [self] in
            if let outcome { try board.finish(job.id, owner: owner, status: outcome.status, error: outcome.error) }
            else { try board.release(job.id, owner: owner) }
        }
        keeperDone.signal()
        keeperEnded.wait()
        lock.withLock { running[job.id] = nil }
    }

    /// Runs `write`, and again each second while the store is unreachable, for up to
    /// `outageSeconds`, as long as the lease is `stillHeld`.
    private func recordEnd(_ id: String, stillHeld: () -> Bool, _ write: () throws -> Void) {
        let giveUp = Date().addingTimeInterval(outageSeconds)
        while stillHeld() {
            do { return try write() } catch {
                guard StyleStores.isOutage(error), Date() < giveUp else {
                    return print("atelier: trainer could not record how job \(id) ended: \(error)")
                }
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    /// The last progress report not yet written to the board.
    private final class LatestProgress: @unchecked Sendable {
        private let lock = NSLock()
        private var value: (Int, Double?, Date?)?
        func set(_ v: (Int, Double?, Date?)) { lock.withLock { value = v } }
        func take() -> (iteration: Int, loss: Double?, deadline: Date?)? { lock.withLock { defer { value = nil }; return value } }
    }

    private final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }
}
