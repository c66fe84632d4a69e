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
    /// Who holds a lease: host, process and a random part (a restarted process is someone new).
    let owner: String
    private let lock = NSLock()
    private var stopping = false
    private var running: [String: JobContext] = [:]
    private let wake = DispatchSemaphore(value: 0)
    private var active = 0

    init(board: PostgresJobBoard, runners: @escaping (String) -> JobRunner?, pollSeconds: Double) {
        (self.board, self.runners, self.pollSeconds) = (board, runners, pollSeconds)
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
        keeperDone.signal()
        keeperEnded.wait()
        lock.withLock { running[job.id] = nil }
        guard !leaseLost.isSet else { return }
        if let p = latest.take() { _ = try? board.renew(job.id, owner: owner, progress: p) }
        if let outcome { try? board.finish(job.id, owner: owner, status: outcome.status, error: outcome.error) }
        else { try? board.release(job.id, owner: owner) }
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
