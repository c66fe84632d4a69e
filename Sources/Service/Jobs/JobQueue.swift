import Foundation

/// What runs a kind of job, wherever it is claimed. `styleID` is the job's style, if any.
struct JobRunner: Sendable {
    /// Does the work; throws `JobCancelled` when its context asks it to stop.
    let run: @Sendable (_ styleID: Int?, _ context: JobContext) throws -> Void
    /// Undoes what was set up for a job cancelled before it ran.
    let cancelled: @Sendable (_ styleID: Int?) -> Void
    /// Records a job that failed without running to its end (its trainers kept dying).
    let abandoned: @Sendable (_ styleID: Int?, _ reason: String) -> Void
}

/// Where training jobs wait, run and are reported: this process's `JobManager` (`LocalJobQueue`),
/// or the shared database's job table that trainer replicas work through (`SharedJobQueue`).
protocol JobQueue: AnyObject, Sendable {
    /// Jobs outlive this process (another replica or the next start runs them), so a restart
    /// must not submit them again.
    var survivesRestarts: Bool { get }
    func register(kind: String, _ runner: JobRunner)
    /// Queues a job of a registered kind; throws `JobManager.QueueFull` when the queue is full.
    func submit(kind: String, iterations: Int, styleID: Int?) throws -> JobRecord
    func job(_ id: String) throws -> JobRecord?
    /// Oldest first.
    func allJobs() throws -> [JobRecord]
    /// Cancels a queued job, or asks a running one to stop; false when unknown or finished.
    func cancel(_ id: String) throws -> Bool
    /// Stops running jobs here (they resume later, here or elsewhere).
    func stop()
}

/// The single-process queue: jobs run on this process's `JobManager` (records in jobs.json).
final class LocalJobQueue: JobQueue, @unchecked Sendable {
    let manager: JobManager
    private let lock = NSLock()
    private var runners: [String: JobRunner] = [:]

    init(manager: JobManager) { self.manager = manager }

    var survivesRestarts: Bool { false }
    func register(kind: String, _ runner: JobRunner) { lock.withLock { runners[kind] = runner } }

    func submit(kind: String, iterations: Int, styleID: Int?) throws -> JobRecord {
        guard let runner = lock.withLock({ runners[kind] }) else { throw ServiceError("no runner for jobs of kind \(kind)") }
        return try manager.submit(kind: kind, iterations: iterations, styleID: styleID,
                                  onCancelWhileQueued: { runner.cancelled(styleID) }) { try runner.run(styleID, $0) }
    }

    func job(_ id: String) -> JobRecord? { manager.job(id) }
    func allJobs() -> [JobRecord] { manager.jobs }
    func cancel(_ id: String) -> Bool { manager.cancel(id) }
    func stop() { manager.stop() }
}
