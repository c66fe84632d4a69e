import Foundation
import Postgres

/// Training jobs in the shared database (`atelier_jobs`), for replicas that split the work: API
/// replicas submit, list and cancel; trainer replicas claim, report and finish. A claim is a
/// lease: the trainer renews it with each report (`renew`), and a job whose lease expired (its
/// trainer was killed) is claimed again by another, which resumes it from its checkpoint.
/// A job that outlived `maxAttempts` trainers fails instead of killing more.
final class PostgresJobBoard: @unchecked Sendable {
    let pool: PostgresPool
    /// Queued jobs at most (more: `JobManager.QueueFull`).
    let capacity: Int
    let leaseSeconds: Double
    let maxAttempts: Int
    /// Finished jobs kept (the newest; older ones are deleted at the next submission), as the
    /// folder's jobs.json keeps at most 1000 records. Also the most `jobs()` lists.
    let keepFinished: Int
    /// Running jobs (one per trainer worker) `jobs()` lists at most, beside the finished and queued.
    static let maxRunningListed = 256

    struct LeaseLost: Error, CustomStringConvertible {
        var description: String { "another trainer holds this job now (its lease expired)" }
    }

    /// A claimed job: to run; or one whose trainer was gone when it was cancelled, or too often
    /// (now failed): the claimer cleans up after those.
    enum Claim { case run(JobRecord), cancelled(JobRecord), abandoned(JobRecord) }

    enum CancelOutcome: Equatable { case unknownOrFinished, cancelledWhileQueued(JobRecord), requested }

    init(pool: PostgresPool, capacity: Int = 8, leaseSeconds: Double = 30, maxAttempts: Int = 3, keepFinished: Int = 1000) {
        (self.pool, self.capacity, self.leaseSeconds, self.maxAttempts, self.keepFinished) = (pool, capacity, leaseSeconds, maxAttempts, keepFinished)
    }

    // MARK: - API side

    func submit(kind: String, iterations: Int, styleID: Int?) throws -> JobRecord {
        let record = JobRecord(id: UUID().uuidString.lowercased(), kind: kind, status: .queued, iterations: iterations,
                               styleID: styleID, createdAt: Date())
        try pool.transaction { c in
            try c.query("SELECT pg_advisory_xact_lock($1)", [.int(StateSchema.jobSubmissionLockKey)])
            let queued = try c.query("SELECT count(*) FROM atelier_jobs WHERE status = 'queued'").first?.int(0) ?? 0
            guard queued < capacity else { throw JobManager.QueueFull() }
            try c.query("INSERT INTO atelier_jobs (id, kind, status, record) VALUES ($1, $2, 'queued', $3)",
                        [.text(record.id), .text(kind), .text(try Self.json(record))])
            try c.query("""
                DELETE FROM atelier_jobs WHERE id IN (
                    SELECT id FROM atelier_jobs WHERE status IN ('succeeded', 'failed', 'cancelled')
                    ORDER BY created_at DESC OFFSET $1)
                """, [.int(keepFinished)])
        }
        return record
    }

    func job(_ id: String) throws -> JobRecord? {
        try pool.query("SELECT record FROM atelier_jobs WHERE id = $1", [.text(id)], idempotent: true).first.map(Self.record)
    }

    /// Oldest first, as `JobManager.jobs`.
    func jobs() throws -> [JobRecord] {
        try pool.query("SELECT record FROM (SELECT record, created_at FROM atelier_jobs ORDER BY created_at DESC LIMIT $1) newest ORDER BY created_at",
                       [.int(keepFinished + capacity + Self.maxRunningListed)], idempotent: true).map(Self.record)
    }

    /// A queued job is cancelled at once; a running one is asked to stop (its trainer sees the
    /// request at its next lease renewal).
    func cancel(_ id: String) throws -> CancelOutcome {
        try pool.transaction { c in
            guard let row = try c.query("SELECT record FROM atelier_jobs WHERE id = $1 FOR UPDATE", [.text(id)]).first else { return .unknownOrFinished }
            var r = try Self.record(row)
            switch r.status {
            case .queued:
                r.status = .cancelled
                r.finishedAt = Date()
                try Self.save(r, on: c, extra: ", lease_owner = NULL")
                return .cancelledWhileQueued(r)
            case .running:
                try c.query("UPDATE atelier_jobs SET cancel_requested = true WHERE id = $1", [.text(id)])
                return .requested
            case .succeeded, .failed, .cancelled:
                return .unknownOrFinished
            }
        }
    }

    // MARK: - Trainer side

    /// The oldest job that is queued or whose trainer's lease expired, now leased to `owner`;
    /// nil when there is none. Trainers claiming at once get different jobs (SKIP LOCKED).
    func claim(owner: String) throws -> Claim? {
        try pool.transaction { c in
            guard let row = try c.query("""
                SELECT record, attempts, cancel_requested FROM atelier_jobs
                WHERE status = 'queued' OR (status = 'running' AND lease_expires_at < now())
                ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED
                """).first else { return nil }
            var r = try Self.record(row)
            let attempts = try row.int(1) ?? 0
            if try row.bool(2) == true {
                r.status = .cancelled
                r.finishedAt = Date()
                try Self.save(r, on: c, extra: ", lease_owner = NULL")
                return .cancelled(r)
            }
            if attempts >= maxAttempts {
                r.status = .failed
                r.error = "its trainer stopped \(attempts) times before it finished (killed, or out of memory)"
                r.finishedAt = Date()
                try Self.save(r, on: c, extra: ", lease_owner = NULL")
                return .abandoned(r)
            }
            r.status = .running
            r.startedAt = Date()
            try c.query("""
                UPDATE atelier_jobs SET status = 'running', record = $2, lease_owner = $3,
                    lease_expires_at = now() + make_interval(secs => $4), attempts = attempts + 1
                WHERE id = $1
                """, [.text(r.id), .text(try Self.json(r)), .text(owner), .double(leaseSeconds)])
            return .run(r)
        }
    }

    /// Extends `owner`'s lease and records progress, if any; returns whether a cancel was
    /// requested. Throws `LeaseLost` when the job is no longer `owner`'s.
    func renew(_ id: String, owner: String, progress: (iteration: Int, loss: Double?, deadline: Date?)?) throws -> Bool {
        try pool.transaction { c in
            guard let row = try c.query("""
                SELECT record, cancel_requested FROM atelier_jobs
                WHERE id = $1 AND lease_owner = $2 AND status = 'running' FOR UPDATE
                """, [.text(id), .text(owner)]).first else { throw LeaseLost() }
            var r = try Self.record(row)
            if let p = progress { r.record(iteration: p.iteration, loss: p.loss, deadline: p.deadline) }
            try c.query("UPDATE atelier_jobs SET record = $2, lease_expires_at = now() + make_interval(secs => $3) WHERE id = $1",
                        [.text(id), .text(try Self.json(r)), .double(leaseSeconds)])
            return try row.bool(1) ?? false
        }
    }

    /// Records how `owner`'s job ended. Nothing when the lease was lost meanwhile.
    func finish(_ id: String, owner: String, status: JobRecord.Status, error: String?) throws {
        try pool.transaction { c in
            guard let row = try c.query("SELECT record FROM atelier_jobs WHERE id = $1 AND lease_owner = $2 AND status = 'running' FOR UPDATE",
                                        [.text(id), .text(owner)]).first else { return }
            var r = try Self.record(row)
            r.status = status
            r.error = error
            r.finishedAt = Date()
            if status == .succeeded { r.progress = 1; r.etaSeconds = 0 }
            try Self.save(r, on: c, extra: ", lease_owner = NULL")
        }
    }

    /// Gives a job back to the queue (its trainer is shutting down): the next trainer resumes it
    /// at once, and this does not count as a failed attempt.
    func release(_ id: String, owner: String) throws {
        try pool.transaction { c in
            guard let row = try c.query("SELECT record FROM atelier_jobs WHERE id = $1 AND lease_owner = $2 AND status = 'running' FOR UPDATE",
                                        [.text(id), .text(owner)]).first else { return }
            var r = try Self.record(row)
            r.status = .queued
            try Self.save(r, on: c, extra: ", lease_owner = NULL, lease_expires_at = NULL, attempts = greatest(attempts - 1, 0)")
        }
    }

    // MARK: - Rows

    /// Writes the record and its status column together; `extra`: more fixed assignments.
    private static func save(_ r: JobRecord, on c: PostgresConnection, extra: String = "") throws {
        try c.query("UPDATE atelier_jobs SET status = $2, record = $3\(extra) WHERE id = $1",
                    [.text(r.id), .text(r.status.rawValue), .text(try json(r))])
    }

    private static func record(_ row: PostgresRow) throws -> JobRecord {
        guard let json = try row.string(0) else { throw ServiceError("a job record is NULL") }
        return try JSONDecoder.file.decode(JobRecord.self, from: Data(json.utf8))
    }

    private static func json(_ r: JobRecord) throws -> String { String(decoding: try JSONEncoder.file.encode(r), as: UTF8.self) }
}
