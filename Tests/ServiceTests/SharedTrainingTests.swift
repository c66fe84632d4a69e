import Foundation
import ImageIO
import XCTest
import PostgresTestSupport
@testable import Service

/// Replicas with roles on one PostgreSQL store, in this process: API replicas queue training
/// jobs and never run them; a trainer replica runs them; every API replica then serves the
/// style. (A few steps at 64², as StyleLearningTests.) Skipped without a test server.
final class SharedTrainingTests: XCTestCase {
    private var database: TestDatabase!
    private var root: URL!
    private var photos: URL { root.appendingPathComponent("photos") }

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-shared-\(UUID())")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        for i in 0..<3 {
            try Data(try ImageCodec.encodePNG(ServiceFixture.image(width: 80 + 16 * i, height: 72))).write(to: photos.appendingPathComponent("photo\(i).png"))
        }
    }

    override func tearDown() {
        database?.drop()
        if let root { try? FileManager.default.removeItem(at: root) }
    }

    /// Made by the first replica, so a test that needs none runs without a server.
    private func sharedDatabase() throws -> TestDatabase {
        if database == nil { database = try TestDatabase() }
        return database
    }

    private func replica(_ role: ServiceRole) throws -> ServiceFixture {
        let database = try sharedDatabase()
        return try ServiceFixture(registry: StyleLearningTests.registry()) { [database, root, photos] config in
            config.dataDirectory = root!.appendingPathComponent("replica-\(UUID())")
            config.modelsDirectory = StyleLearningTests.modelsDirectory
            config.trainingPhotosDirectory = photos
            config.checkpointSeconds = 0
            config.storeURL = database.url
            config.role = role
            config.storeRefreshSeconds = 0.2
        }
    }

    private func postStyle(_ replica: ServiceFixture) throws -> (style: Int, job: String) {
        let r = try replica.client.multipart("/styles", files: [("image", "painting.png", "image/png", ServiceFixture.png(width: 90, height: 70))],
                                             fields: [("iterations", "3"), ("size", "64")])
        XCTAssertEqual(r.status, 202, String(decoding: r.body, as: UTF8.self))
        let style = try XCTUnwrap((r.json?["style"] as? [String: Any])?["id"] as? Int)
        let job = try XCTUnwrap((r.json?["job"] as? [String: Any])?["id"] as? String)
        return (style, job)
    }

    private func until(_ timeout: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end { if try condition() { return true }; usleep(50_000) }
        return try condition()
    }

    private func jobStatus(_ replica: ServiceFixture, _ id: String) throws -> String? {
        try replica.client.request("GET", "/jobs/\(id)").json?["status"] as? String
    }

    private func stylize(_ replica: ServiceFixture, _ style: Int) throws -> TestClient.Response {
        try replica.client.request("POST", "/stylize?model=stylebank&style=\(style)", headers: [("Content-Type", "image/png")],
                                   body: ServiceFixture.png(width: 40, height: 32))
    }

    func testAPIReplicasQueueJobsButNeverRunThem() throws {
        let api = try replica(.api)
        let posted = try postStyle(api)
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertEqual(try jobStatus(api, posted.job), "queued")
        XCTAssertEqual(try stylize(api, posted.style).errorCode, "style_not_ready", "not ready while it waits for a trainer")
        XCTAssertEqual(try api.client.request("DELETE", "/jobs/\(posted.job)").status, 202)
        XCTAssertEqual(try jobStatus(api, posted.job), "cancelled")
        XCTAssertEqual(try api.client.request("GET", "/styles/\(posted.style)?model=stylebank").status, 404, "cancelling a queued job removes its style")
    }

    func testAStylePostedToOneAPIIsTrainedByATrainerAndServedByTheOther() throws {
        let first = try replica(.api), second = try replica(.api), trainer = try replica(.trainer)
        let posted = try postStyle(first)
        XCTAssertTrue(try until(120) { try jobStatus(second, posted.job) == "succeeded" }, "the trainer ran the job")
        // Each API replica installs it at its next refresh of the store.
        XCTAssertTrue(try until(10) { try stylize(second, posted.style).status == 200 }, "the other API serves the learned style")
        XCTAssertTrue(try until(10) { try stylize(first, posted.style).status == 200 })
        XCTAssertEqual(try stylize(first, posted.style).body, try stylize(second, posted.style).body, "both serve the same stored bank")
        let detail = try first.client.request("GET", "/styles/\(posted.style)?model=stylebank").json?["style"] as? [String: Any]
        XCTAssertEqual(detail?["status"] as? String, "ready")
        _ = trainer

        // Deleted through one API: gone from the other after its next refresh.
        XCTAssertEqual(try second.client.request("DELETE", "/styles/\(posted.style)?model=stylebank").status, 204)
        XCTAssertTrue(try until(5) { try stylize(first, posted.style).status == 404 })
    }

    func testTheAPIAndTrainerRolesNeedASharedStore() throws {
        XCTAssertThrowsError(try ServiceFixture(registry: StyleLearningTests.registry()) { [root] config in
            config.dataDirectory = root!.appendingPathComponent("alone")
            config.role = .api
        }) { XCTAssertTrue("\($0)".contains("ATELIER_STORE"), "\($0)") }
    }
}
