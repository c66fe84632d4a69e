import Foundation
import HTTP
import XCTest
@testable import Service

/// A stopped service is freed, with its worker pool, job manager and stores: nothing it starts
/// (threads, timers, queued work) keeps it alive in a cycle. Checked with weak references, since
/// LeakSanitizer cannot follow Swift's tagged references (docs/reliability.md).
final class ServiceReleaseTests: XCTestCase {
    func testStoppedServiceIsFreed() throws {
        weak var weakService: AtelierService?
        do {
            let config = ServiceConfig(dataDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("atelier-test-\(UUID())"))
            defer { try? FileManager.default.removeItem(at: config.dataDirectory) }
            let service = try AtelierService(config: config, registry: ServiceFixture.registry)
            weakService = service
            for target in ["/healthz", "/models", "/styles", "/jobs"] {
                let answered = DispatchSemaphore(value: 0)
                var status = 0
                service.handle(HTTPRequest(method: "GET", target: target)) { response in
                    status = response.status
                    answered.signal()
                }
                XCTAssertEqual(answered.wait(timeout: .now() + 10), .success, target)
                XCTAssertEqual(status, 200, target)
            }
            service.stop()
        }
        let deadline = Date().addingTimeInterval(5)
        while weakService != nil && Date() < deadline { usleep(10_000) }
        XCTAssertNil(weakService, "the stopped service is still alive")
    }
}
