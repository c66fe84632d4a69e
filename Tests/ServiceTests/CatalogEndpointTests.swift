import XCTest
@testable import Service

final class CatalogEndpointTests: XCTestCase {
    func testHealthReadyStylesModelsMetrics() throws {
        let fixture = try ServiceFixture()
        XCTAssertEqual(try fixture.client.request("GET", "/healthz").status, 200)
        XCTAssertEqual(try fixture.client.request("GET", "/readyz").status, 200)

        let styles = try fixture.client.request("GET", "/styles")
        let list = try XCTUnwrap(styles.json?["styles"] as? [[String: Any]])
        XCTAssertEqual(list.filter { $0["model"] as? String == "multistyle26" }.count, 26)
        XCTAssertEqual(list[3]["id"] as? Int, 3)
        XCTAssertEqual(list[3]["model"] as? String, "multistyle26")
        XCTAssertEqual(list[3]["status"] as? String, "ready")

        let models = try XCTUnwrap(try fixture.client.request("GET", "/models").json?["models"] as? [[String: Any]])
        let multistyle = models.first { $0["name"] as? String == "multistyle26" }
        XCTAssertEqual(multistyle?["styles"] as? Int, 26)
        XCTAssertEqual(multistyle?["default"] as? Bool, true)
        XCTAssertEqual(models.map { $0["name"] as? String ?? "" }, models.map { $0["name"] as? String ?? "" }.sorted())

        let head = try fixture.client.request("HEAD", "/styles")
        XCTAssertEqual(head.status, 200)
        XCTAssertTrue(head.body.isEmpty)

        let metrics = String(decoding: try fixture.client.request("GET", "/metrics").body, as: UTF8.self)
        XCTAssertTrue(metrics.contains(#"atelier_http_requests_total{route="/styles",status="200"} 2"#), metrics)
        XCTAssertTrue(metrics.contains("atelier_queue_depth 0"))
        XCTAssertTrue(metrics.contains("atelier_http_request_duration_seconds_bucket"))
    }
}

final class StyleBlendTests: XCTestCase {
    func testParsesAndNormalizes() throws {
        let ids = Set(0..<26)
        XCTAssertEqual(try StyleBlend(parsing: "3", validIDs: ids).weights, [3: 1])
        XCTAssertEqual(try StyleBlend(parsing: "3:1,12:3", validIDs: ids).weights, [3: 0.25, 12: 0.75])
        XCTAssertEqual(try StyleBlend(parsing: "3:0.5, 3:0.5", validIDs: ids).weights, [3: 1])
        for bad in ["", "x", "3:", "3:0", "3:-2", "3:nan", "1:2:3", "3,,4"] {
            XCTAssertThrowsError(try StyleBlend(parsing: bad, validIDs: ids), bad)
        }
        XCTAssertThrowsError(try StyleBlend(parsing: "26", validIDs: ids))
    }
}

final class WorkerPoolTests: XCTestCase {
    func testBoundedQueueRejectsWhenFullAndRunsEverythingAccepted() {
        let pool = WorkerPool(workers: 1, capacity: 2)
        let gate = DispatchSemaphore(value: 0), done = DispatchGroup()
        done.enter()
        XCTAssertTrue(pool.submit { gate.wait(); done.leave() })       // running, blocked
        while pool.running == 0 { usleep(1000) }
        done.enter(); XCTAssertTrue(pool.submit { done.leave() })       // queued 1
        done.enter(); XCTAssertTrue(pool.submit { done.leave() })       // queued 2
        XCTAssertFalse(pool.submit {})                                  // full
        XCTAssertEqual(pool.waiting, 2)
        gate.signal()
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        pool.stop()
    }
}
