import XCTest

@testable import ImageIO

/// Property: every prefix of a valid PNG or JPEG either throws an `ImageError` or — when the cut
/// only removes what follows the image data (IEND, the EOI marker) — decodes to exactly the
/// pixels of the whole file. Never a crash, never other pixels. Every cut of every fixture.
final class TruncationPropertyTests: XCTestCase {
    static let fixtures = [
        "rgb_7x5.png", "rgba_7x5.png", "gray1_9x3.png", "gray8_7x5.png", "gray_alpha_7x5.png", "palette4_trns_7x5.png",
        "rgb16_7x5.png", "rgb_exif6_7x5.png", "interlaced_rgb_33x17.png",
        "baseline_33x17.jpg", "progressive_33x17.jpg", "gray_33x17.jpg", "cmyk_16x16.jpg", "orientation_6.jpg",
    ]

    func testEveryTruncationThrowsOrGivesTheSamePixels() throws {
        for name in Self.fixtures {
            let bytes = try Fixture.bytes(name)
            let whole = try ImageCodec.decode(bytes)
            var refused = 0
            for length in 0..<bytes.count {
                let prefix = Array(bytes[..<length])
                do {
                    let image = try ImageCodec.decode(prefix)
                    XCTAssertEqual(image, whole, "\(name) cut to \(length) of \(bytes.count) bytes decodes to other pixels")
                    XCTAssertGreaterThan(length, bytes.count - 16, "\(name) cut to \(length) of \(bytes.count) bytes, inside the image data, decodes")
                } catch let error as ImageError {
                    XCTAssertFalse(error.message.isEmpty)
                    refused += 1
                } catch {
                    XCTFail("\(name) cut to \(length): \(error) is not an ImageError")
                }
                // The header-only probe must not crash either, and agree when it answers.
                if let probed = try? ImageCodec.probe(prefix) {
                    XCTAssertEqual([probed.width, probed.height], [whole.width, whole.height], "\(name) cut to \(length)")
                }
            }
            XCTAssertGreaterThan(refused, bytes.count - 16, name)
        }
    }
}
