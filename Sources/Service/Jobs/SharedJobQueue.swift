import Foundation

/// Jobs in the shared database (`PostgresJobBoard`): any replica submits, lists and cancels;
/// replicas that train (`--role trainer` or `all`) also claim and run them (`startTraining`).
final class SharedJobQueue: JobQueue, @unchecked Sendable {
    let board: PostgresJobBoard
    private let lock = NSLock()
    private var runners: [String: JobRunner] = [:]
    private var trainer: SharedJobTrainer?

    init(board: PostgresJobBoard) { self.board = board }

    var survivesRestarts: Bool { true }
    func register(kind: String, _ runner: JobRunner) { lock.withLock { runners[kind] = runner } }
    func runner(_ kind: String) -> JobRunner? { lock.withLock { runners[kind] } }

    func submit(kind: String, iterations: Int, styleID: Int?) throws -> JobRecord {
        guard runner(kind) != nil else { throw ServiceError("no runner for jobs of kind \(kind)") }
        return try board.submit(kind: kind, iterations: iterations, styleID: styleID)
    }

    func job(_ id: String) throws -> JobRecord? { try board.job(id) }
    func allJobs() throws -> [JobRecord] { try board.jobs() }

    func cancel(_ id: String) throws -> Bool {
        switch try board.cancel(id) {
        case .unknownOrFinished: return false
        case .requested: return true
        case .cancelledWhileQueued(let r):
            runner(r.kind)?.cancelled(r.styleID)
            return true
        }
    }

    /// Claims and runs jobs on `workers` threads until `stop`.
    func startTraining(workers: Int, pollSeconds: Double = 1) {
        lock.withLock {
            guard trainer == nil else { return }
            let t = SharedJobTrainer(board: board, runners: { [weak self] kind in self?.runner(kind) }, pollSeconds: pollSeconds)
            t.start(workers: workers)
            trainer = t
        }
    }

    func stop() { lock.withLock { trainer }?.stop() }
}
