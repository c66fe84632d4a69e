import Foundation
import XCTest
import PostgresTestSupport
@testable import Service

/// Two service replicas, each with its own data folder, sharing one PostgreSQL store: what one
/// stores the other serves after it starts. Skipped without a test server (scripts/with_postgres.sh).
final class SharedStoreEndpointTests: XCTestCase {
    private var database: TestDatabase!
    private var folders: [URL] = []

    override func setUpWithError() throws { database = try TestDatabase() }

    override func tearDown() {
        database?.drop()
        for f in folders { try? FileManager.default.removeItem(at: f) }
    }

    private func replica() throws -> ServiceFixture {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-replica-\(UUID())")
        folders.append(folder)
        return try ServiceFixture(registry: ArbitraryStyleEndpointTests.freshRegistry()) { [database] in
            $0.dataDirectory = folder
            $0.storeURL = database!.url
        }
    }

    func testAStyleRegisteredOnOneReplicaIsServedByAnother() throws {
        let photo = ServiceFixture.png(width: 60, height: 44)
        func stylize(_ replica: ServiceFixture, _ query: String) throws -> TestClient.Response {
            try replica.client.multipart("/stylize?format=png&" + query, files: [("image", "photo.png", "image/png", photo)])
        }
        let a = try replica()
        let registered = try a.client.multipart("/styles?model=adain&name=stripes",
                                                files: [("image", "painting.png", "image/png", ArbitraryStyleEndpointTests.painting())])
        XCTAssertEqual(registered.status, 201, String(decoding: registered.body, as: UTF8.self))
        let id = try XCTUnwrap((registered.json?["style"] as? [String: Any])?["id"] as? Int)
        XCTAssertEqual(id, StoredStyle.firstID, "the database hands out the first id")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folders[0].appendingPathComponent("styles").path),
                       "nothing is stored in the replica's data folder")
        let fromA = try stylize(a, "style=\(id)")
        XCTAssertEqual(fromA.status, 200)

        let b = try replica()
        let fromB = try stylize(b, "style=\(id)")
        XCTAssertEqual(fromB.status, 200, String(decoding: fromB.body, as: UTF8.self))
        XCTAssertEqual(fromB.body, fromA.body, "the same stored statistics, byte for byte")
        XCTAssertEqual(try b.client.request("GET", "/styles/\(id)/image").body, Array(try PostgresStyleStore(url: database.url).file(.image, of: id) ?? Data()))
        XCTAssertEqual((try b.client.request("GET", "/styles/\(id)").json?["style"] as? [String: Any])?["name"] as? String, "stripes")

        // Both replicas adding at once: distinct ids from the one sequence.
        let lock = NSLock()
        var ids: [Int] = []
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            let r = try? (i % 2 == 0 ? a : b).client.multipart("/styles?model=adain",
                                                               files: [("image", "p.png", "image/png", ArbitraryStyleEndpointTests.painting(phase: i))])
            if let id = (r?.json?["style"] as? [String: Any])?["id"] as? Int { lock.withLock { ids.append(id) } }
        }
        XCTAssertEqual(Set(ids).count, 4, "\(ids)")
        XCTAssertFalse(ids.contains(id))

        XCTAssertEqual(try b.client.request("DELETE", "/styles/\(id)").status, 204)
        XCTAssertNil(try PostgresStyleStore(url: database.url).style(id), "deleted from the shared store")
    }

    /// While the database refuses the service, requests that need it answer 503 (with
    /// Retry-After) after the bounded reconnect attempts; once it is back, they are answered again.
    func testAnUnreachableStoreAnswers503UntilItIsBack() throws {
        let role = "user_" + database.schema
        try database.administer("CREATE ROLE \(role) LOGIN; GRANT ALL ON SCHEMA \(database.schema) TO \(role)")
        defer { try? database.administer("DROP SCHEMA \(database.schema) CASCADE; DROP ROLE \(role)") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-replica-\(UUID())")
        folders.append(folder)
        let url = database.url(user: role)
        let service = try ServiceFixture(registry: ArbitraryStyleEndpointTests.freshRegistry()) {
            $0.dataDirectory = folder
            $0.storeURL = url
        }
        XCTAssertEqual(try service.client.request("GET", "/jobs").status, 200)
        XCTAssertEqual(try service.client.request("GET", "/readyz").status, 200)

        try database.administer("ALTER ROLE \(role) NOLOGIN; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '\(role)'")
        let down = try service.client.request("GET", "/jobs")
        XCTAssertEqual(down.status, 503, String(decoding: down.body, as: UTF8.self))
        XCTAssertEqual(down.errorCode, "store_unavailable")
        XCTAssertEqual(down.headers["retry-after"], "5")
        let fast = Date()
        XCTAssertEqual(try service.client.request("GET", "/jobs").errorCode, "store_unavailable")
        XCTAssertLessThan(Date().timeIntervalSince(fast), 2.5, "later requests do not each wait through the reconnect attempts")
        // Readiness is checked at most once a second: within two, it says the store is away.
        let unready = try waitForStatus(service, "/readyz", 503)
        XCTAssertEqual(unready.errorCode, "store_unavailable", String(decoding: unready.body, as: UTF8.self))
        XCTAssertEqual(try service.client.request("GET", "/healthz").status, 200, "alive all the same")

        try database.administer("ALTER ROLE \(role) LOGIN")
        XCTAssertEqual(try service.client.request("GET", "/jobs").status, 200, "reconnected")
        XCTAssertEqual(try waitForStatus(service, "/readyz", 200).status, 200)
        try database.administer("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '\(role)'")
    }

    /// GETs `path` until it answers `status`, for up to 5 s; the last answer.
    private func waitForStatus(_ service: ServiceFixture, _ path: String, _ status: Int) throws -> TestClient.Response {
        let end = Date().addingTimeInterval(5)
        var response = try service.client.request("GET", path)
        while response.status != status, Date() < end {
            usleep(100_000)
            response = try service.client.request("GET", path)
        }
        return response
    }
}
