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
}
