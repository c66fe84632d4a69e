import Foundation
import Postgres
import XCTest
import PostgresTestSupport
@testable import Service

/// The style store contract against PostgreSQL (a schema of its own per test); each handle is a
/// separate store with its own connections, as a replica has. Skipped without a test server.
final class PostgresStyleStoreTests: XCTestCase {
    private var database: TestDatabase!
    private var contract: StyleStoreContract!

    override func setUpWithError() throws {
        database = try TestDatabase()
        contract = StyleStoreContract { [unowned self] in try PostgresStyleStore(url: database.url) }
    }

    override func tearDown() { database?.drop() }

    func testAddUpdateAndList() throws { try contract.addUpdateAndList() }
    func testFilesRoundTrip() throws { try contract.filesRoundTrip() }
    func testDelete() throws { try contract.delete() }
    func testConcurrentAddsGetUniqueIDs() throws { try contract.concurrentAddsGetUniqueIDs() }
    func testConcurrentUpdatesAreNotLost() throws { try contract.concurrentUpdatesAreNotLost() }

    /// Replicas starting at once on an empty database all come up, the schema made once.
    func testStoresOpeningAtOnceMigrateOnce() throws {
        let lock = NSLock()
        var opened = 0, errors: [String] = []
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do { _ = try PostgresStyleStore(url: database.url); lock.withLock { opened += 1 } } catch { lock.withLock { errors.append("\(error)") } }
        }
        XCTAssertEqual(errors, [])
        XCTAssertEqual(opened, 4)
        let store = try PostgresStyleStore(url: database.url)   // and once more, later
        let versions = try store.pool.query("SELECT version FROM atelier_schema_migrations ORDER BY version").map { try $0.int(0) }
        XCTAssertEqual(versions, StateSchema.migrations.steps.map(\.version))
        XCTAssertEqual(try store.add(name: "first", model: "stylebank", image: nil, settings: StyleStoreContract.settings).id, StoredStyle.firstID)
    }
}
