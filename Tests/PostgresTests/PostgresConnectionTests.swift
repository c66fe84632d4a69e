import Foundation
import Postgres
import XCTest
import PostgresTestSupport

final class PostgresConnectionTests: XCTestCase {
    private var schema: TestDatabase!

    override func setUpWithError() throws { schema = try TestDatabase() }
    override func tearDown() { schema?.drop() }

    func testParametersAndResultsRoundTripInTheirTypes() throws {
        let c = try PostgresConnection(url: schema.url)
        let bytes = Data((0..<1000).map { UInt8($0 % 256) })   // every byte value, zeros included
        let date = Date(timeIntervalSince1970: 1_700_000_000.25)
        let row = try XCTUnwrap(c.query("SELECT $1::bigint, $2::int, $3::float8, $4::bool, $5::text, $6::bytea, $7::timestamptz, $8::text",
                                        [.int(-5_000_000_000), .int(-7), .double(0.1), .bool(true), .text("naïve 'quoted' ✓"),
                                         .bytes(bytes), .date(date), .null]).first)
        XCTAssertEqual(try row.int(0), -5_000_000_000)
        XCTAssertEqual(try row.int(1), -7)
        XCTAssertEqual(try row.double(2), 0.1)
        XCTAssertEqual(try row.bool(3), true)
        XCTAssertEqual(try row.string(4), "naïve 'quoted' ✓")
        XCTAssertEqual(try row.bytes(5), bytes)
        XCTAssertEqual(try XCTUnwrap(row.date(6)).timeIntervalSince1970, date.timeIntervalSince1970, accuracy: 1e-6)
        XCTAssertTrue(row.isNull(7))
        XCTAssertThrowsError(try row.bytes(4), "text is not bytea")
    }

    func testServerErrorsCarryTheirSQLState() throws {
        let c = try PostgresConnection(url: schema.url)
        try c.execute("CREATE TABLE t (id int PRIMARY KEY)")
        try c.query("INSERT INTO t VALUES ($1)", [.int(1)])
        XCTAssertThrowsError(try c.query("INSERT INTO t VALUES ($1)", [.int(1)])) { error in
            XCTAssertEqual((error as? PostgresError)?.sqlState, "23505", "\(error)")   // unique_violation
            XCTAssertEqual((error as? PostgresError)?.kind, .statement)
        }
        XCTAssertThrowsError(try c.query("SELEC 1")) { XCTAssertEqual(($0 as? PostgresError)?.sqlState, "42601") }   // syntax_error
        XCTAssertEqual(try c.query("SELECT count(*) FROM t").first?.int(0), 1, "the connection stays usable after errors")
    }

    func testATransactionThatThrowsIsRolledBack() throws {
        let c = try PostgresConnection(url: schema.url)
        try c.execute("CREATE TABLE t (id int)")
        struct Abort: Error {}
        XCTAssertThrowsError(try c.transaction { try c.query("INSERT INTO t VALUES (1)"); throw Abort() })
        try c.transaction { try c.query("INSERT INTO t VALUES (2)") }
        XCTAssertEqual(try c.query("SELECT array_agg(id)::text FROM t").first?.string(0), "{2}")
    }

    /// A server-side kill of an idle connection is noticed before the next statement is sent,
    /// so that statement, even a write, runs on a new connection; a connection lost during a
    /// write reports it (the write may or may not have happened), and the next statement reconnects.
    func testReconnectsAfterTheServerDroppedTheConnection() throws {
        let c = try PostgresConnection(url: schema.url), killer = try PostgresConnection(url: schema.url)
        try c.execute("CREATE TABLE t (id int)")
        func kill(_ pid: Int32) throws {
            try killer.query("SELECT pg_terminate_backend($1::int)", [.int(Int(pid))])
            let end = Date().addingTimeInterval(10)   // until the backend is gone (its socket closed)
            while Date() < end, try killer.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", [.int(Int(pid))]).first?.int(0) != 0 { usleep(10_000) }
            usleep(200_000)   // it leaves pg_stat_activity a moment before its process exits and the socket closes
        }
        let first = c.backendPID
        try kill(first)
        XCTAssertEqual(try c.query("SELECT 1", idempotent: true).first?.int(0), 1)
        XCTAssertNotEqual(c.backendPID, first)

        let second = c.backendPID
        try kill(second)
        try c.query("INSERT INTO t VALUES (1)")
        XCTAssertNotEqual(c.backendPID, second, "the write went to a new connection")

        XCTAssertThrowsError(try c.query("SELECT pg_terminate_backend(pg_backend_pid())")) {
            XCTAssertEqual(($0 as? PostgresError)?.kind, .connectionLost, "\($0)")
        }
        try c.query("INSERT INTO t VALUES (2)")
        XCTAssertEqual(try c.query("SELECT count(*) FROM t").first?.int(0), 2)
    }

    /// Waiting for a server at start-up: nothing answering is waited for, within the limit; a
    /// server that answers but refuses the client fails at once.
    func testConnectWhenReadyWaitsForAnAbsentServerButNotForARefusal() throws {
        var reasons: [String] = []
        let started = Date()
        XCTAssertThrowsError(try PostgresConnection.connectWhenReady(url: "postgresql://nobody@127.0.0.1:1/none", waitSeconds: 1.2) { reasons.append($0) }) {
            XCTAssertEqual(($0 as? PostgresError)?.kind, .connect, "\($0)")
        }
        let waited = Date().timeIntervalSince(started)
        XCTAssertGreaterThan(waited, 0.6, "it tried again for a while")
        XCTAssertLessThan(waited, 3)
        XCTAssertGreaterThanOrEqual(reasons.count, 2, "\(reasons)")

        var parts = URLComponents(string: schema.url)!
        parts.user = "no_such_role_\(UInt32.random(in: 0...UInt32.max))"
        let refused = Date()
        XCTAssertThrowsError(try PostgresConnection.connectWhenReady(url: parts.string!, waitSeconds: 30)) {
            XCTAssertEqual(($0 as? PostgresError)?.kind, .connect, "\($0)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(refused), 2, "a refusal is not waited out")
        XCTAssertEqual(try PostgresConnection.connectWhenReady(url: schema.url, waitSeconds: 5).query("SELECT 1").first?.int(0), 1)
    }

    /// The first connection fails at once (a wrong URL shows at start-up), without the password.
    func testAnUnreachableServerFailsWithoutShowingThePassword() throws {
        // Port 1 on loopback: nothing listens, so each attempt is refused at once.
        XCTAssertThrowsError(try PostgresConnection(url: "postgresql://nobody:secret@127.0.0.1:1/none")) { error in
            XCTAssertEqual((error as? PostgresError)?.kind, .connect)
            XCTAssertFalse("\(error)".contains("secret"), "the password stays out of messages: \(error)")
        }
    }

    func testMigrationsRunOnceEvenWhenReplicasStartTogether() throws {
        let migrations = PostgresMigrations(steps: [
            .init(1, "CREATE TABLE a (id int); CREATE SEQUENCE a_ids"),
            .init(2, "ALTER TABLE a ADD COLUMN name text"),
        ], lockKey: 42)
        let connections = try (0..<4).map { _ in try PostgresConnection(url: schema.url) }
        var applied = [[Int]](repeating: [], count: connections.count)
        var errors = [Error?](repeating: nil, count: connections.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: connections.count) { i in
            do { let done = try migrations.apply(on: connections[i]); lock.withLock { applied[i] = done } } catch { lock.withLock { errors[i] = error } }
        }
        XCTAssertEqual(errors.compactMap { $0 }.map { "\($0)" }, [])
        XCTAssertEqual(applied.flatMap { $0 }.sorted(), [1, 2], "each step ran exactly once: \(applied)")
        XCTAssertEqual(try migrations.apply(on: connections[0]), [], "a later start has nothing to do")
        XCTAssertEqual(try connections[0].query("SELECT array_agg(version ORDER BY version)::text FROM atelier_schema_migrations").first?.string(0), "{1,2}")
    }
}
