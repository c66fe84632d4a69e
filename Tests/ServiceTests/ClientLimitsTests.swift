import XCTest
@testable import Service

final class ClientLimitsTests: XCTestCase {
    func testClientIsTheAddressWithoutItsPort() {
        XCTAssertEqual(ClientLimits.client(of: "10.0.0.7:51234"), "10.0.0.7")
        XCTAssertEqual(ClientLimits.client(of: "[::1]:8080"), "::1")
        XCTAssertEqual(ClientLimits.client(of: "127.0.0.1"), "127.0.0.1")
        XCTAssertEqual(ClientLimits.client(of: ""), "")
    }

    func testRequestsInFlightAreBoundedPerClient() {
        let limits = ClientLimits(maxRequests: 2, maxJobs: 1)
        XCTAssertTrue(limits.enter("a"))
        XCTAssertTrue(limits.enter("a"))
        XCTAssertFalse(limits.enter("a"), "a third request of the same client")
        XCTAssertTrue(limits.enter("b"), "another client is not affected")
        limits.leave("a")
        XCTAssertTrue(limits.enter("a"))
        XCTAssertEqual(limits.requestsInFlight("a"), 2)
    }

    func testJobsAreBoundedPerClientUntilTheyFinish() {
        let limits = ClientLimits(maxRequests: 8, maxJobs: 1)
        XCTAssertTrue(limits.mayStartJob("a", activeJobs: []))
        limits.recordJob("j1", client: "a")
        XCTAssertFalse(limits.mayStartJob("a", activeJobs: ["j1"]))
        XCTAssertTrue(limits.mayStartJob("b", activeJobs: ["j1"]))
        XCTAssertTrue(limits.mayStartJob("a", activeJobs: []), "j1 finished")
    }

    /// Over HTTP: past the bound a client gets 429 with Retry-After; probes are never limited.
    func testTooManyRequestsIs429AndProbesStayOpen() throws {
        let fixture = try ServiceFixture { $0.maxRequestsPerClient = 0 }
        let r = try fixture.client.request("GET", "/styles")
        XCTAssertEqual(r.status, 429)
        XCTAssertEqual(r.errorCode, "too_many_requests")
        XCTAssertEqual(r.headers["retry-after"], "1")
        XCTAssertEqual(try fixture.client.request("GET", "/healthz").status, 200)
        XCTAssertEqual(try fixture.client.request("GET", "/readyz").status, 200)
        let normal = try ServiceFixture()
        for _ in 0..<20 { XCTAssertEqual(try normal.client.request("GET", "/styles").status, 200, "answered requests leave the count") }
    }
}

/// Every route refuses a query parameter it does not take, by name.
final class UnknownQueryParameterTests: XCTestCase {
    func testRoutesNameTheParameterTheyDoNotTake() throws {
        let fixture = try ServiceFixture()
        for target in ["/styles?colour=red", "/models?verbose=1", "/jobs?all=1", "/styles/3?modle=stylebank", "/healthz?x=1"] {
            let r = try fixture.client.request("GET", target)
            XCTAssertEqual(r.status, 400, target)
            XCTAssertEqual(r.errorCode, "unknown_parameter", target)
            XCTAssertTrue(String(decoding: r.body, as: UTF8.self).contains(String(target.split(separator: "?")[1].split(separator: "=")[0])), target)
        }
        XCTAssertEqual(try fixture.client.request("GET", "/styles/3?model=multistyle26").status, 200)
        XCTAssertEqual(try fixture.client.request("GET", "/styles").status, 200)
    }
}
