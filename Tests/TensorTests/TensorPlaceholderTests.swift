import XCTest
@testable import Tensor
final class TensorPlaceholderTests: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
