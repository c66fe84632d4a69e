import Foundation
import Models

/// Runs background jobs (style training) one at a time by default, from a bounded queue, and keeps
/// their records in `jobs.json` in the data folder (written atomically on every state change, and
/// at most every few seconds for progress).
///
/// After a crash or restart, jobs the file shows queued or running are marked failed with the
/// reason, never left "running" forever; their work is not resumed (a training job would restart
/// from its inputs, which the caller may resubmit).
public final class JobManager: @unchecked Sendable {
    public struct QueueFull: Error {}
    public typealias Work = (JobContext) throws -> Void

    private let lock = NSLock()
    /// Serializes writes of jobs.json, so a later snapshot never lands before an earlier one.
    private let saveLock = NSLock()
    private var records: [String: JobRecord] = [:]
    private var order: [String] = []
    private var contexts: [String: JobContext] = [:]
    private var queuedCancelHandlers: [String: () -> Void] = [:]
    /// Pool tickets of the jobs still waiting, so cancelling one frees its queue slot at once.
    private var tickets: [String: Int] = [:]
    private let workers: WorkerPool
    private let file: URL
    private let capacity: Int
    private let maxRecords: Int
    private var lastSaved = Date.distantPast

    public init(file: URL, capacity: Int = 8, concurrentJobs: Int = 1, maxRecords: Int = 1000) throws {
        self.file = file
        self.capacity = capacity
        self.maxRecords = maxRecords
        // A job cancelled while queued is withdrawn from the pool, so the pool never holds more
        // than the `capacity` queued records `submit` allows.
        workers = WorkerPool(workers: concurrentJobs, capacity: capacity, name: "atelier.job")
        AtomicFile.removeLeftovers(in: file.deletingLastPathComponent())
        if let data = FileManager.default.contents(atPath: file.path) {
            let saved = try JSONDecoder.file.decode([JobRecord].self, from: data)
            for var r in saved {
                if !r.isFinished {
                    r.error = Self.interrupted(r.status)
                    r.status = .failed
                    r.finishedAt = Date()
                }
                records[r.id] = r
                order.append(r.id)
            }
            try save(force: true)
        }
    }

    deinit { workers.stop() }

    /// Queues `work`; throws `QueueFull` when `capacity` jobs are already waiting.
    /// `onCancelWhileQueued` runs (outside the manager's lock) when a user cancels the job before
    /// it started, so its owner can undo what it set up for it; `work` then never runs.
    public func submit(kind: String, iterations: Int, styleID: Int? = nil,
                       onCancelWhileQueued: (() -> Void)? = nil, work: @escaping Work) throws -> JobRecord {
        let id = UUID().uuidString.lowercased()
        let record = JobRecord(id: id, kind: kind, status: .queued, iterations: iterations, styleID: styleID, createdAt: Date())
        let context = JobContext { [weak self] iteration, loss, deadline in self?.progress(id, iteration: iteration, loss: loss, deadline: deadline) }
        lock.lock()
        guard records.values.filter({ $0.status == .queued }).count < capacity else { lock.unlock(); throw QueueFull() }
        records[id] = record
        if let onCancelWhileQueued { queuedCancelHandlers[id] = onCancelWhileQueued }
        order.append(id)
        contexts[id] = context
        trimFinished()
        // Under the lock, so a `cancel` right after `submit` returns always finds the ticket.
        guard let ticket = workers.submitWithdrawable({ [weak self] in self?.run(id, context: context, work: work) }) else {
            records[id] = nil
            order.removeAll { $0 == id }
            contexts[id] = nil
            queuedCancelHandlers[id] = nil
            lock.unlock()
            throw QueueFull()
        }
        tickets[id] = ticket
        lock.unlock()
        try? save(force: true)
        return record
    }

    public func job(_ id: String) -> JobRecord? { lock.lock(); defer { lock.unlock() }; return records[id] }
    public var jobs: [JobRecord] { lock.lock(); defer { lock.unlock() }; return order.compactMap { records[$0] } }

    /// Cancels a queued or running job; false when it is unknown or already finished.
    @discardableResult
    public func cancel(_ id: String) -> Bool {
        lock.lock()
        guard var r = records[id], !r.isFinished else { lock.unlock(); return false }
        contexts[id]?.cancel(.user)
        var undo: (() -> Void)?
        if r.status == .queued {
            r.status = .cancelled
            r.finishedAt = Date()
            records[id] = r
            contexts[id] = nil
            undo = queuedCancelHandlers.removeValue(forKey: id)
            tickets.removeValue(forKey: id).map { workers.withdraw($0) }
        }
        lock.unlock()
        undo?()
        try? save(force: true)
        return true
    }

    static func interrupted(_ status: JobRecord.Status) -> String {
        "interrupted: the service stopped while this job was \(status.rawValue)"
    }

    /// Stops taking jobs; the running one is asked to stop (`JobContext.CancelReason.shutdown`).
    /// Waits up to `timeout` seconds for the running job to wind down, so that a new service on
    /// the same data folder never overlaps with it.
    public func stop(timeout: TimeInterval = 30) {
        lock.lock()
        for (id, ctx) in contexts where records[id].map({ !$0.isFinished }) ?? false { ctx.cancel(.shutdown) }
        lock.unlock()
        workers.stop()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, lock.withLock({ records.values.contains { $0.status == .running } }) { usleep(10_000) }
    }

    private func run(_ id: String, context: JobContext, work: Work) {
        lock.lock()
        tickets[id] = nil
        guard var r = records[id], r.status == .queued else { lock.unlock(); return }   // cancelled while queued
        if context.cancelReason == .shutdown {   // the service stopped before this job's turn
            r.status = .failed
            r.error = Self.interrupted(.queued)
            r.finishedAt = Date()
            records[id] = r
            contexts[id] = nil
            queuedCancelHandlers[id] = nil
            lock.unlock()
            try? save(force: true)
            return
        }
        r.status = .running
        r.startedAt = Date()
        records[id] = r
        queuedCancelHandlers[id] = nil
        lock.unlock()
        try? save(force: true)

        var outcome: (JobRecord.Status, String?) = (.succeeded, nil)
        do { try work(context) } catch let c as JobCancelled {
            outcome = c.reason == .user ? (.cancelled, nil) : (.failed, Self.interrupted(.running))
        } catch {
            outcome = (.failed, "\(error)")
        }
        lock.lock()
        if var r = records[id] {
            r.status = outcome.0
            r.error = outcome.1
            r.finishedAt = Date()
            if outcome.0 == .succeeded { r.progress = 1; r.etaSeconds = 0 }
            records[id] = r
        }
        contexts[id] = nil
        lock.unlock()
        try? save(force: true)
    }

    private func progress(_ id: String, iteration: Int, loss: Double?, deadline: Date?) {
        lock.lock()
        records[id]?.record(iteration: iteration, loss: loss, deadline: deadline)
        lock.unlock()
        try? save(force: false)
    }

    /// Keeps at most `maxRecords` records, dropping the oldest finished ones.
    private func trimFinished() {
        while order.count > maxRecords, let i = order.firstIndex(where: { records[$0]?.isFinished ?? true }) {
            records[order[i]] = nil
            order.remove(at: i)
        }
    }

    private func save(force: Bool) throws {
        saveLock.lock()
        defer { saveLock.unlock() }
        lock.lock()
        if !force && Date().timeIntervalSince(lastSaved) < 2 { lock.unlock(); return }
        lastSaved = Date()
        let snapshot = order.compactMap { records[$0] }
        lock.unlock()
        try AtomicFile.write(JSONEncoder.file.encode(snapshot), to: file)
    }
}
