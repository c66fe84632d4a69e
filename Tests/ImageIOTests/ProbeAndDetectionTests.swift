import XCTest

@testable import ImageIO

final class ProbeAndDetectionTests: XCTestCase {
    func testDetectsFormatByMagicNumber() throws {
        XCTAssertEqual(ImageCodec.detectFormat(try Fixture.bytes("rgb_7x5.png")), .png)
        XCTAssertEqual(ImageCodec.detectFormat(try Fixture.bytes("baseline_33x17.jpg")), .jpeg)
        XCTAssertNil(ImageCodec.detectFormat([]))
        XCTAssertNil(ImageCodec.detectFormat([0xFF, 0xD8]))
        XCTAssertNil(ImageCodec.detectFormat(Array("GIF89a".utf8)))
    }

    func testProbeReadsHeaderOnly() throws {
        let cases: [(String, ImageFormat, Int, Int)] = [
            ("rgb_7x5.png", .png, 7, 5), ("interlaced_rgb_33x17.png", .png, 33, 17),
            ("progressive_33x17.jpg", .jpeg, 33, 17), ("cmyk_16x16.jpg", .jpeg, 16, 16),
            // Header-only: a file whose pixels could never be decoded still probes.
            ("huge_header_100000x100000.png", .png, 100_000, 100_000),
            ("truncated_33x17.png", .png, 33, 17),
        ]
        for (name, format, width, height) in cases {
            let probed = try ImageCodec.probe(try Fixture.bytes(name))
            XCTAssertEqual(probed.format, format, name)
            XCTAssertEqual([probed.width, probed.height], [width, height], name)
        }
    }

    func testProbeSwapsSidesForRotatingOrientation() throws {
        // orientation_6.jpg stores a 16×32 picture shown rotated as 32×16.
        let probed = try ImageCodec.probe(try Fixture.bytes("orientation_6.jpg"))
        XCTAssertEqual([probed.width, probed.height], [32, 16])
    }

    func testEmptyAndUnknownInputs() {
        XCTAssertThrowsError(try ImageCodec.decode([])) { XCTAssertEqual(($0 as? ImageError)?.kind, .empty) }
        XCTAssertThrowsError(try ImageCodec.probe([])) { XCTAssertEqual(($0 as? ImageError)?.kind, .empty) }
        XCTAssertThrowsError(try ImageCodec.decode(Array("hello".utf8))) {
            XCTAssertEqual(($0 as? ImageError)?.kind, .unsupportedFormat)
        }
    }
}
