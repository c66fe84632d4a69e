import HTTP
import XCTest

final class ServerConfigEnvironmentTests: XCTestCase {
    func testEnvironmentSetsTimeoutsAndConnectionLimit() throws {
        var config = ServerConfig()
        try config.apply(environment: ["ATELIER_HEADER_TIMEOUT": "2", "ATELIER_BODY_TIMEOUT": "3.5", "ATELIER_IDLE_TIMEOUT": "4",
                                       "ATELIER_SEND_TIMEOUT": "5", "ATELIER_REQUEST_DEADLINE": "6", "ATELIER_MAX_CONNECTIONS": "40",
                                       "ATELIER_UNRELATED": "x"])
        XCTAssertEqual(config.headerReadTimeout, 2)
        XCTAssertEqual(config.bodyReadTimeout, 3.5)
        XCTAssertEqual(config.idleKeepAliveTimeout, 4)
        XCTAssertEqual(config.sendTimeout, 5)
        XCTAssertEqual(config.requestDeadline, 6)
        XCTAssertEqual(config.maxConnections, 40)
    }

    func testUnsetVariablesKeepTheDefaults() throws {
        var config = ServerConfig()
        try config.apply(environment: [:])
        XCTAssertEqual(config.bodyReadTimeout, ServerConfig().bodyReadTimeout)
        XCTAssertEqual(config.maxConnections, ServerConfig().maxConnections)
    }

    func testBadValuesAreRefusedByName() {
        for (name, value) in [("ATELIER_BODY_TIMEOUT", "0"), ("ATELIER_SEND_TIMEOUT", "-1"), ("ATELIER_IDLE_TIMEOUT", "soon"),
                              ("ATELIER_HEADER_TIMEOUT", "inf"), ("ATELIER_MAX_CONNECTIONS", "2.5"), ("ATELIER_MAX_CONNECTIONS", "0")] {
            var config = ServerConfig()
            XCTAssertThrowsError(try config.apply(environment: [name: value])) {
                XCTAssertTrue("\($0)".contains(name), "\($0)")
                XCTAssertTrue("\($0)".contains(value), "\($0)")
            }
        }
    }
}
