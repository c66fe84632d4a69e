import XCTest
@testable import Service

final class JobManagerTests: XCTestCase {
    var dir: URL!
    override func setUp() { dir = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-jobs-\(UUID())") }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }
    var file: URL { dir.appendingPathComponent("jobs.json") }

    func waitFor(_ condition: () -> Bool, timeout: TimeInterval = 5) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end { if condition() { return true }; usleep(5_000) }
        return condition()
    }

    func testLifecycleProgressAndSuccess() throws {
        let jobs = try JobManager(file: file)
        let job = try jobs.submit(kind: "train-style", iterations: 4, styleID: 30) { ctx in
            for i in 1...4 { try ctx.checkCancellation(); ctx.report(iteration: i, loss: 1 / Double(i)) }
        }
        XCTAssertTrue(waitFor { jobs.job(job.id)?.status == .succeeded })
        let done = try XCTUnwrap(jobs.job(job.id))
        XCTAssertEqual(done.progress, 1)
        XCTAssertEqual(done.iteration, 4)
        XCTAssertEqual(done.loss, 0.25)
        XCTAssertEqual(done.styleID, 30)
        XCTAssertNotNil(done.startedAt)
        XCTAssertNotNil(done.finishedAt)
    }

    func testADeadlineDrivesProgressAndETAWhenItComesFirst() throws {
        let jobs = try JobManager(file: file)
        let gate = DispatchSemaphore(value: 0)
        let job = try jobs.submit(kind: "train-style", iterations: 1000) { ctx in
            Thread.sleep(forTimeInterval: 0.5)
            ctx.report(iteration: 1, loss: nil, deadline: Date().addingTimeInterval(0.5))
            gate.wait()
        }
        XCTAssertTrue(waitFor { (jobs.job(job.id)?.iteration ?? 0) == 1 })
        let r = try XCTUnwrap(jobs.job(job.id))
        // By steps: 1/1000 done, ~500 s left; by the deadline: about half the time gone, ~0.5 s left.
        XCTAssertGreaterThan(r.progress, 0.3)
        XCTAssertLessThan(r.progress, 0.7)
        XCTAssertLessThanOrEqual(try XCTUnwrap(r.etaSeconds), 0.5)
        gate.signal()
        XCTAssertTrue(waitFor { jobs.job(job.id)?.status == .succeeded })
    }

    func testFailureCancelAndFullQueue() throws {
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        let jobs = try JobManager(file: file, capacity: 1)
        let gate = DispatchSemaphore(value: 0)
        let running = try jobs.submit(kind: "k", iterations: 1) { ctx in
            while !ctx.isCancelled { _ = gate.wait(timeout: .now() + 0.01) }
            try ctx.checkCancellation()
        }
        XCTAssertTrue(waitFor { jobs.job(running.id)?.status == .running })
        let queued = try jobs.submit(kind: "k", iterations: 1) { _ in throw Boom() }
        XCTAssertThrowsError(try jobs.submit(kind: "k", iterations: 1) { _ in }) { XCTAssertTrue($0 is JobManager.QueueFull) }
        XCTAssertTrue(jobs.cancel(running.id))
        XCTAssertTrue(waitFor { jobs.job(running.id)?.status == .cancelled })
        XCTAssertTrue(waitFor { jobs.job(queued.id)?.status == .failed })
        XCTAssertEqual(jobs.job(queued.id)?.error, "boom")
        XCTAssertFalse(jobs.cancel(queued.id), "finished jobs cannot be cancelled")
        XCTAssertFalse(jobs.cancel("no-such-job"))
    }

    func testCancelWhileQueuedNeverRuns() throws {
        let jobs = try JobManager(file: file, capacity: 4)
        let gate = DispatchSemaphore(value: 0)
        _ = try jobs.submit(kind: "k", iterations: 1) { _ in gate.wait() }
        final class Flag: @unchecked Sendable { var ran = false }
        let flag = Flag()
        let second = try jobs.submit(kind: "k", iterations: 1) { _ in flag.ran = true }
        XCTAssertTrue(jobs.cancel(second.id))
        gate.signal()
        XCTAssertTrue(waitFor { jobs.jobs.allSatisfy(\.isFinished) })
        XCTAssertEqual(jobs.job(second.id)?.status, .cancelled)
        XCTAssertFalse(flag.ran)
    }

    /// Found by the contract fuzzer: jobs cancelled while one runs used to keep their queue slot
    /// until the running one ended, so after a few dozen submit-and-cancel rounds `submit` answered
    /// QueueFull (503 job_queue_full, "8 training jobs are waiting") with none waiting.
    func testCancelledQueuedJobsFreeTheirSlotAtOnce() throws {
        let jobs = try JobManager(file: file, capacity: 2)
        let gate = DispatchSemaphore(value: 0)
        let running = try jobs.submit(kind: "k", iterations: 1) { _ in gate.wait() }
        XCTAssertTrue(waitFor { jobs.job(running.id)?.status == .running })
        for round in 0..<40 {
            let queued = try jobs.submit(kind: "k", iterations: 1) { _ in XCTFail("a cancelled job ran") }
            XCTAssertTrue(jobs.cancel(queued.id), "round \(round)")
        }
        // The queue still holds exactly `capacity` waiting jobs, and refuses the next.
        _ = try jobs.submit(kind: "k", iterations: 1) { _ in }
        _ = try jobs.submit(kind: "k", iterations: 1) { _ in }
        XCTAssertThrowsError(try jobs.submit(kind: "k", iterations: 1) { _ in }) { XCTAssertTrue($0 is JobManager.QueueFull) }
        gate.signal()
        XCTAssertTrue(waitFor { jobs.jobs.allSatisfy(\.isFinished) })
        XCTAssertEqual(jobs.jobs.filter { $0.status == .cancelled }.count, 40)
        XCTAssertEqual(jobs.jobs.filter { $0.status == .succeeded }.count, 3)
    }

    /// A restart finds the records on disk; what was running or queued is marked failed with a reason.
    func testRestartMarksInterruptedJobsFailed() throws {
        var jobs: JobManager? = try JobManager(file: file)
        let gate = DispatchSemaphore(value: 0)
        let done = try jobs!.submit(kind: "k", iterations: 1) { _ in }
        XCTAssertTrue(waitFor { jobs!.job(done.id)?.status == .succeeded })
        let stuck = try jobs!.submit(kind: "k", iterations: 10) { _ in gate.wait() }
        XCTAssertTrue(waitFor { jobs!.job(stuck.id)?.status == .running })
        XCTAssertTrue(waitFor { (try? String(contentsOf: self.file, encoding: .utf8))?.contains("\"running\"") ?? false })
        // Simulate a crash: a new manager reads the same file while the old one never finished.
        let restarted = try JobManager(file: file)
        XCTAssertEqual(restarted.job(done.id)?.status, .succeeded)
        XCTAssertEqual(restarted.job(stuck.id)?.status, .failed)
        XCTAssertEqual(restarted.job(stuck.id)?.error, "interrupted: the service stopped while this job was running")
        gate.signal()
        jobs = nil
    }

    func testRecordJSONUsesAPIFieldNames() throws {
        let r = JobRecord(id: "x", kind: "train-style", status: .running, iterations: 9, styleID: 3, createdAt: Date(timeIntervalSince1970: 0))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as? [String: Any])
        for key in ["id", "kind", "status", "progress", "iteration", "iterations", "style_id"] { XCTAssertNotNil(json[key], key) }
    }
}
