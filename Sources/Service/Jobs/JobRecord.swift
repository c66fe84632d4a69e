import Foundation

/// A background job as `GET /jobs/{id}` reports it.
public struct JobRecord: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case queued, running, succeeded, failed, cancelled }

    public let id: String
    public let kind: String
    public var status: Status
    /// 0…1
    public var progress: Double = 0
    public var iteration = 0
    public var iterations: Int
    public var loss: Double?
    public var etaSeconds: Double?
    public var styleID: Int?
    public var error: String?
    public let createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?

    public var isFinished: Bool { [.succeeded, .failed, .cancelled].contains(status) }

    /// Records a progress report: progress and ETA by steps, or by the deadline where that comes first.
    mutating func record(iteration: Int, loss: Double?, deadline: Date?, now: Date = Date()) {
        self.iteration = iteration
        self.loss = loss
        progress = iterations > 0 ? min(1, Double(iteration) / Double(iterations)) : 0
        if let started = startedAt, iteration > 0 {
            etaSeconds = now.timeIntervalSince(started) / Double(iteration) * Double(max(iterations - iteration, 0))
        }
        if let started = startedAt, let deadline, deadline > started {
            let left = max(0, deadline.timeIntervalSince(now))
            progress = max(progress, min(1, now.timeIntervalSince(started) / deadline.timeIntervalSince(started)))
            etaSeconds = min(etaSeconds ?? left, left)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, status, progress, iteration, iterations, loss, error
        case etaSeconds = "eta_seconds", styleID = "style_id"
        case createdAt = "created_at", startedAt = "started_at", finishedAt = "finished_at"
    }
}

/// What a running job sees: progress reporting and cancellation.
public final class JobContext: @unchecked Sendable {
    /// Why a job was asked to stop: a user cancelled it, or the service is shutting down (the
    /// job's owner may resume it on the next start).
    public enum CancelReason: Sendable { case user, shutdown }

    private let lock = NSLock()
    private var reason: CancelReason?
    let onProgress: (Int, Double?, Date?) -> Void

    init(onProgress: @escaping (Int, Double?, Date?) -> Void) { self.onProgress = onProgress }

    public var isCancelled: Bool { cancelReason != nil }
    public var cancelReason: CancelReason? { lock.withLock { reason } }
    func cancel(_ why: CancelReason) { lock.withLock { if reason == nil { reason = why } } }

    /// Records that `iteration` steps are done (and the latest loss). A job with a time budget
    /// passes the `deadline` it stops at, so progress and ETA follow whichever comes first.
    public func report(iteration: Int, loss: Double?, deadline: Date? = nil) { onProgress(iteration, loss, deadline) }

    /// Throws `JobCancelled` once the job has been cancelled; call between steps.
    public func checkCancellation() throws { if let reason = cancelReason { throw JobCancelled(reason: reason) } }
}

public struct JobCancelled: Error {
    public let reason: JobContext.CancelReason
}
