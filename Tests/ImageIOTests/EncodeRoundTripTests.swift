import XCTest

@testable import ImageIO

final class EncodeRoundTripTests: XCTestCase {
    private func patterned(width: Int, height: Int) -> RGBImage {
        RGBImage(width: width, height: height, pixels: (0..<height).flatMap { y in
            (0..<width).flatMap { x in FixturePattern.rgb(x, y) }
        })
    }

    func testPNGRoundTripIsExact() throws {
        let image = patterned(width: 37, height: 23)
        let encoded = try ImageCodec.encodePNG(image)
        XCTAssertEqual(ImageCodec.detectFormat(encoded), .png)
        XCTAssertEqual(try ImageCodec.decode(encoded), image)
    }

    func testJPEGRoundTripAtQuality95IsClose() throws {
        // Smooth content: JPEG's error on hard noise is large at any quality.
        let image = RGBImage(width: 64, height: 48, pixels: (0..<48).flatMap { y in
            (0..<64).flatMap { x in FixturePattern.smoothRGB(x, y, width: 64, height: 48).map(UInt8.init) }
        })
        let encoded = try ImageCodec.encodeJPEG(image, quality: 95)
        XCTAssertEqual(ImageCodec.detectFormat(encoded), .jpeg)
        let decoded = try ImageCodec.decode(encoded)
        XCTAssertEqual([decoded.width, decoded.height], [64, 48])
        let differences = zip(decoded.pixels, image.pixels).map { abs(Int($0) - Int($1)) }
        XCTAssertLessThanOrEqual(differences.max() ?? 0, 6)
        XCTAssertLessThan(Double(differences.reduce(0, +)) / Double(differences.count), 1.5)
    }

    func testLowerQualityGivesSmallerFiles() throws {
        let image = patterned(width: 64, height: 64)
        XCTAssertLessThan(try ImageCodec.encodeJPEG(image, quality: 30).count, try ImageCodec.encodeJPEG(image, quality: 95).count)
    }

    func testLargeImageGrowsOutputBuffers() throws {
        // Noise does not compress, so both encoders must grow past their first 16 KB.
        var generator = SystemRandomNumberGenerator()
        let image = RGBImage(width: 300, height: 200, pixels: (0..<300 * 200 * 3).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let png = try ImageCodec.encodePNG(image)
        XCTAssertGreaterThan(png.count, 100_000)
        XCTAssertEqual(try ImageCodec.decode(png), image)
        XCTAssertEqual(try ImageCodec.decode(try ImageCodec.encodeJPEG(image, quality: 100)).width, 300)
    }

    func testEmptyImageCannotBeEncoded() {
        let empty = RGBImage(width: 0, height: 0, pixels: [])
        XCTAssertThrowsError(try ImageCodec.encodePNG(empty)) { XCTAssertEqual(($0 as? ImageError)?.kind, .empty) }
        XCTAssertThrowsError(try ImageCodec.encodeJPEG(empty)) { XCTAssertEqual(($0 as? ImageError)?.kind, .empty) }
    }

    func testJPEGRejectsSidesAboveItsLimit() {
        let wide = RGBImage(width: 70_000, height: 1, red: 0, green: 0, blue: 0)
        XCTAssertThrowsError(try ImageCodec.encodeJPEG(wide)) { XCTAssertEqual(($0 as? ImageError)?.kind, .tooLarge) }
    }
}
