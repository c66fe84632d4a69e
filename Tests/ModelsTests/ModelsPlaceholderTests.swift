import XCTest
@testable import Models
final class ModelsPlaceholderTests: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
