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

    /// A server-side kill of the connection: a read is retried on a new connection; a write
    /// reports that the connection was lost (it may or may not have happened), and the next
    /// statement reconnects.
    func testReconnectsAfterTheServerDroppedTheConnection() throws {
        let c = try PostgresConnection(url: schema.url), killer = try PostgresConnection(url: schema.url)
        try c.execute("CREATE TABLE t (id int)")
        let first = c.backendPID
        try killer.query("SELECT pg_terminate_backend($1::int)", [.int(Int(first))])
        XCTAssertEqual(try c.query("SELECT 1", idempotent: true).first?.int(0), 1)
        XCTAssertNotEqual(c.backendPID, first)

        try killer.query("SELECT pg_terminate_backend($1::int)", [.int(Int(c.backendPID))])
        XCTAssertThrowsError(try c.query("INSERT INTO t VALUES (1)")) { XCTAssertEqual(($0 as? PostgresError)?.kind, .connectionLost, "\($0)") }
        try c.query("INSERT INTO t VALUES (2)")
        XCTAssertEqual(try c.query("SELECT count(*) FROM t").first?.int(0), 1)
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
