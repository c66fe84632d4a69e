import Foundation
import Postgres
import XCTest
import PostgresTestSupport
@testable import Service

/// The shared job table against a real PostgreSQL: claims, leases, cancels and the queue limit,
/// with a separate pool per "replica". Skipped without a test server (scripts/with_postgres.sh).
final class PostgresJobBoardTests: XCTestCase {
    private var database: TestDatabase!

    override func setUpWithError() throws {
        database = try TestDatabase()
        _ = try PostgresStyleStore(url: database.url)   // migrates the schema
    }

    override func tearDown() { database?.drop() }

    private func board(capacity: Int = 8, lease: Double = 30, maxAttempts: Int = 3, keepFinished: Int = 1000) throws -> PostgresJobBoard {
        PostgresJobBoard(pool: try PostgresPool(url: database.url, size: 2), capacity: capacity, leaseSeconds: lease,
                         maxAttempts: maxAttempts, keepFinished: keepFinished)
    }

    private func claimedRecord(_ claim: PostgresJobBoard.Claim?, file: StaticString = #filePath, line: UInt = #line) -> JobRecord? {
        guard case .run(let r)? = claim else { XCTFail("expected a job to run, got \(String(describing: claim))", file: file, line: line); return nil }
        return r
    }

    func testTrainersClaimingAtOnceGetDifferentJobs() throws {
        let api = try board()
        let submitted = try (0..<6).map { try api.submit(kind: "train-style", iterations: 10, styleID: 1000 + $0).id }
        let trainers = try (0..<6).map { _ in try board() }
        let lock = NSLock()
        var claimed: [String] = [], problems: [String] = []
        DispatchQueue.concurrentPerform(iterations: trainers.count) { i in
            do {
                if case .run(let r)? = try trainers[i].claim(owner: "trainer-\(i)") { lock.withLock { claimed.append(r.id) } }
                else { lock.withLock { problems.append("trainer \(i) got nothing") } }
            } catch { lock.withLock { problems.append("\(error)") } }
        }
        XCTAssertEqual(problems, [])
        XCTAssertEqual(Set(claimed), Set(submitted), "each job claimed exactly once")
        XCTAssertNil(try trainers[0].claim(owner: "late"), "nothing left")
        XCTAssertEqual(try api.jobs().map(\.status), Array(repeating: .running, count: 6))
        XCTAssertEqual(try api.jobs().map(\.id), submitted, "listed oldest first")
    }

    /// A trainer killed mid-job stops renewing; once its lease expires another trainer takes the
    /// job, and the old one, should it come back, can neither renew nor finish it.
    func testAnExpiredLeaseIsClaimedByAnotherTrainer() throws {
        let api = try board(), first = try board(lease: 0.5), second = try board(lease: 30)
        let job = try api.submit(kind: "train-style", iterations: 10, styleID: 1000)
        XCTAssertEqual(claimedRecord(try first.claim(owner: "first"))?.id, job.id)
        XCTAssertFalse(try first.renew(job.id, owner: "first", progress: (3, 0.5, nil)))
        XCTAssertEqual(try api.job(job.id)?.iteration, 3)
        XCTAssertNil(try second.claim(owner: "second"), "the lease still holds")
        Thread.sleep(forTimeInterval: 0.8)
        XCTAssertEqual(claimedRecord(try second.claim(owner: "second"))?.id, job.id)
        XCTAssertThrowsError(try first.renew(job.id, owner: "first", progress: nil)) { XCTAssertTrue($0 is PostgresJobBoard.LeaseLost) }
        try first.finish(job.id, owner: "first", status: .failed, error: "stale")
        XCTAssertEqual(try api.job(job.id)?.status, .running, "a stale trainer's finish is ignored")
        try second.finish(job.id, owner: "second", status: .succeeded, error: nil)
        let done = try XCTUnwrap(try api.job(job.id))
        XCTAssertEqual(done.status, .succeeded)
        XCTAssertEqual(done.progress, 1)
    }

    func testAJobThatOutlivesItsTrainersTooOftenFails() throws {
        let trainer = try board(lease: 0.2, maxAttempts: 2)
        let job = try trainer.submit(kind: "train-style", iterations: 10, styleID: 1000)
        for attempt in 1...2 {
            XCTAssertNotNil(claimedRecord(try trainer.claim(owner: "t\(attempt)")))
            Thread.sleep(forTimeInterval: 0.35)
        }
        guard case .abandoned(let abandoned)? = try trainer.claim(owner: "t3") else { return XCTFail("expected the abandoned job") }
        XCTAssertEqual(abandoned.styleID, 1000, "handed back so its style can be marked failed")
        XCTAssertNil(try trainer.claim(owner: "t4"))
        let failed = try XCTUnwrap(try trainer.job(job.id))
        XCTAssertEqual(failed.status, .failed)
        XCTAssertTrue(failed.error?.contains("stopped 2 times") ?? false, "\(failed.error ?? "")")
    }

    func testCancellingQueuedAndRunningJobs() throws {
        let api = try board(), trainer = try board()
        let running = try api.submit(kind: "train-style", iterations: 10, styleID: 1000)
        XCTAssertNotNil(claimedRecord(try trainer.claim(owner: "t")))
        let queued = try api.submit(kind: "train-style", iterations: 10, styleID: 1001)

        guard case .cancelledWhileQueued(let r) = try api.cancel(queued.id) else { return XCTFail("a queued job is cancelled at once") }
        XCTAssertEqual(r.status, .cancelled)
        XCTAssertEqual(try api.cancel(running.id), .requested)
        XCTAssertTrue(try trainer.renew(running.id, owner: "t", progress: nil), "the trainer learns of the cancel")
        try trainer.finish(running.id, owner: "t", status: .cancelled, error: nil)
        XCTAssertEqual(try api.job(running.id)?.status, .cancelled)
        XCTAssertEqual(try api.cancel(running.id), .unknownOrFinished)
        XCTAssertEqual(try api.cancel("no-such-job"), .unknownOrFinished)
        XCTAssertNil(try trainer.claim(owner: "t"), "cancelled jobs are never claimed")
    }

    /// A job cancelled while its trainer was gone is handed back as cancelled, for clean-up.
    func testACancelRequestOutlivesItsTrainer() throws {
        let api = try board(), gone = try board(lease: 0.2), next = try board()
        let job = try api.submit(kind: "train-style", iterations: 10, styleID: 1000)
        XCTAssertNotNil(claimedRecord(try gone.claim(owner: "gone")))
        XCTAssertEqual(try api.cancel(job.id), .requested)
        Thread.sleep(forTimeInterval: 0.35)
        guard case .cancelled(let r)? = try next.claim(owner: "next") else { return XCTFail("expected the cancelled job") }
        XCTAssertEqual(r.styleID, 1000)
        XCTAssertEqual(try api.job(job.id)?.status, .cancelled)
    }

    /// Replicas submitting at once never queue past the limit together.
    func testTheQueueLimitHoldsAcrossReplicas() throws {
        let replicas = try (0..<3).map { _ in try board(capacity: 3) }
        let lock = NSLock()
        var accepted = 0, full = 0
        DispatchQueue.concurrentPerform(iterations: 9) { i in
            do { _ = try replicas[i % 3].submit(kind: "train-style", iterations: 1, styleID: nil); lock.withLock { accepted += 1 } } catch is JobManager.QueueFull {
                lock.withLock { full += 1 }
            } catch { XCTFail("\(error)") }
        }
        XCTAssertEqual([accepted, full], [3, 6])
    }

    /// A trainer shutting down gives its job back at once, without spending an attempt.
    func testAReleasedJobIsClaimedAgainAtOnce() throws {
        let trainer = try board(maxAttempts: 1)
        let job = try trainer.submit(kind: "train-style", iterations: 10, styleID: 1000)
        XCTAssertNotNil(claimedRecord(try trainer.claim(owner: "a")))
        try trainer.release(job.id, owner: "a")
        XCTAssertEqual(try trainer.job(job.id)?.status, .queued)
        XCTAssertEqual(claimedRecord(try trainer.claim(owner: "b"))?.id, job.id)
    }

    /// Only the newest finished jobs are kept; open ones always are.
    func testOldFinishedJobsAreDeleted() throws {
        let api = try board(capacity: 20, keepFinished: 2)
        let running = try api.submit(kind: "train-style", iterations: 1, styleID: nil)
        XCTAssertNotNil(claimedRecord(try api.claim(owner: "t")))
        var finished: [String] = []
        for _ in 0..<4 {
            let job = try api.submit(kind: "train-style", iterations: 1, styleID: nil)
            _ = try api.cancel(job.id)
            finished.append(job.id)
        }
        let queued = try api.submit(kind: "train-style", iterations: 1, styleID: nil)
        XCTAssertEqual(try api.jobs().map(\.id), [running.id] + finished.suffix(2) + [queued.id])
    }
}
