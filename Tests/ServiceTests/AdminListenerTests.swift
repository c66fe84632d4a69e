import Foundation
import HTTP
import XCTest
@testable import Service

/// `serve --admin-port`: the metrics move to a listener of their own with the probes; the public
/// port no longer shows them, and the admin port serves nothing else (no state changes there).
final class AdminListenerTests: XCTestCase {
    func testMetricsMoveToTheAdminListenerWithTheProbes() throws {
        let fixture = try ServiceFixture(configure: {
            $0.metricsOnAdminListener = true
            $0.access = AccessPolicy(writeToken: "w", readToken: "r")
        })
        let admin = HTTPServer(config: ServerConfig(host: "127.0.0.1", port: 0), handler: fixture.service.handleAdmin)
        let adminClient = TestClient(port: try admin.start())
        defer { admin.shutdown(gracePeriod: 1); admin.waitUntilStopped() }

        XCTAssertEqual(try fixture.client.request("GET", "/metrics", headers: [("Authorization", "Bearer r")]).status, 404)
        XCTAssertEqual(try fixture.client.request("GET", "/healthz").status, 200, "the public probes stay for existing set-ups")

        let metrics = try adminClient.request("GET", "/metrics")   // no token on the admin listener
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(String(decoding: metrics.body, as: UTF8.self).contains("atelier_queue_depth"))
        XCTAssertEqual(try adminClient.request("GET", "/healthz").status, 200)
        XCTAssertEqual(try adminClient.request("GET", "/readyz").status, 200)
        for (method, path) in [("GET", "/styles"), ("POST", "/styles"), ("DELETE", "/styles/1000"), ("POST", "/stylize"), ("GET", "/")] {
            let r = try adminClient.request(method, path)
            XCTAssertEqual(r.status, 404, "\(method) \(path) on the admin listener")
            XCTAssertTrue(String(decoding: r.body, as: UTF8.self).contains("/metrics"), "the error names what it serves")
        }
    }

    func testWithoutAnAdminListenerMetricsStayPublic() throws {
        let fixture = try ServiceFixture()
        XCTAssertEqual(try fixture.client.request("GET", "/metrics").status, 200)
    }
}
