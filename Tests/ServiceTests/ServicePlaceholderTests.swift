import XCTest
@testable import Service
final class ServicePlaceholderTests: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
