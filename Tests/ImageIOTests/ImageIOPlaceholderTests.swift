import XCTest
@testable import ImageIO
final class ImageIOPlaceholderTests: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
