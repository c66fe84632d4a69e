import Foundation
import Postgres
import XCTest
import PostgresTestSupport

final class PostgresPoolTests: XCTestCase {
    private var schema: TestDatabase!

    override func setUpWithError() throws { schema = try TestDatabase() }
    override func tearDown() { schema?.drop() }

    /// Callers share `size` connections; one more waits, and gives up after the wait limit.
    func testABorrowerWaitsBoundedlyForAFreeConnection() throws {
        let pool = try PostgresPool(url: schema.url, size: 1, waitSeconds: 0.3)
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = try? pool.withConnection { _ in holding.signal(); release.wait() }
        }
        holding.wait()
        let started = Date()
        XCTAssertThrowsError(try pool.query("SELECT 1")) { XCTAssertEqual(($0 as? PostgresError)?.kind, .poolExhausted, "\($0)") }
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.25)
        release.signal()
        let end = Date().addingTimeInterval(5)
        while Date() < end, (try? pool.query("SELECT 1")) == nil { usleep(10_000) }
        XCTAssertEqual(try pool.query("SELECT 1").first?.int(0), 1, "the connection is handed on once it is back")
    }

    /// Several threads through a small pool: every statement runs, none on a connection in use.
    func testThreadsShareTheConnections() throws {
        let pool = try PostgresPool(url: schema.url, size: 3)
        try pool.query("CREATE TABLE hits (n int)")
        let lock = NSLock()
        var errors: [String] = []
        DispatchQueue.concurrentPerform(iterations: 30) { i in
            do { try pool.transaction { c in try c.query("INSERT INTO hits VALUES ($1)", [.int(i)]) } } catch { lock.withLock { errors.append("\(error)") } }
        }
        XCTAssertEqual(errors, [])
        XCTAssertEqual(try pool.query("SELECT count(DISTINCT n) FROM hits").first?.int(0), 30)
    }

    /// Once the server is found unreachable, one borrower at a time tries it again while the
    /// others fail at once; the first one that gets through ends that.
    func testAnUnreachableServerFailsFastForAllButOneBorrower() throws {
        let role = "pool_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try schema.administer("CREATE ROLE \(role) LOGIN")
        defer { try? schema.administer("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '\(role)'; DROP ROLE \(role)") }
        let pool = try PostgresPool(url: schema.url(user: role), size: 4)
        pool.reconnectDelays = [0, 0.1]
        XCTAssertNil(pool.unreachableSince)
        try schema.administer("ALTER ROLE \(role) NOLOGIN; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '\(role)'")
        XCTAssertThrowsError(try pool.query("SELECT 1", idempotent: true))
        XCTAssertNotNil(pool.unreachableSince)

        // One borrower holds the probe (a slow reconnect); another fails at once meanwhile.
        let probing = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = try? pool.withConnection { c -> Void in probing.signal(); usleep(500_000); try c.query("SELECT 1") }
            done.signal()
        }
        probing.wait()
        let started = Date()
        XCTAssertThrowsError(try pool.query("SELECT 1")) { XCTAssertEqual(($0 as? PostgresError)?.kind, .connect, "\($0)") }
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.3, "failed without trying")
        done.wait()

        try schema.administer("ALTER ROLE \(role) LOGIN")
        XCTAssertEqual(try pool.query("SELECT 1").first?.int(0), 1, "the next borrower got through")
        XCTAssertNil(pool.unreachableSince)
    }
}
