import XCTest

@testable import ImageIO

final class PNGDecodeTests: XCTestCase {
    func testRGB() throws {
        let image = try Fixture.decoded("rgb_7x5.png")
        XCTAssertEqual([image.width, image.height], [7, 5])
        assertPixels(image, within: 0) { x, y in FixturePattern.rgb(x, y).map(Int.init) }
    }

    func testGray8BecomesEqualChannels() throws {
        let image = try Fixture.decoded("gray8_7x5.png")
        assertPixels(image, within: 0) { x, y in Array(repeating: Int(FixturePattern.gray(x, y)), count: 3) }
    }

    func testGray1BitExpandsToBlackAndWhite() throws {
        let image = try Fixture.decoded("gray1_9x3.png")
        XCTAssertEqual([image.width, image.height], [9, 3])
        assertPixels(image, within: 0) { x, y in Array(repeating: (x + y) % 2 == 1 ? 255 : 0, count: 3) }
    }

    func testGrayAlphaIsCompositedOverWhite() throws {
        let image = try Fixture.decoded("gray_alpha_7x5.png")
        assertPixels(image, within: 0) { x, y in
            let value = FixturePattern.overWhite(Int(FixturePattern.gray(x, y)), alpha: FixturePattern.alpha(x, y))
            return Array(repeating: Int(value), count: 3)
        }
        // Pixel (0, 0) is fully transparent.
        XCTAssertEqual(image.pixel(x: 0, y: 0), [255, 255, 255])
    }

    func testRGBAIsCompositedOverWhite() throws {
        let image = try Fixture.decoded("rgba_7x5.png")
        assertPixels(image, within: 0) { x, y in
            FixturePattern.rgb(x, y).map { Int(FixturePattern.overWhite(Int($0), alpha: FixturePattern.alpha(x, y))) }
        }
        // Spot check by hand: (3, 2) has colour (133, 121, 61) and alpha 157.
        XCTAssertEqual(FixturePattern.rgb(3, 2), [133, 121, 61])
        XCTAssertEqual(FixturePattern.alpha(3, 2), 157)
        // Red: (133 * 157 + 255 * 98) / 255 = 179.9; green 172.498; blue 135.6.
        XCTAssertEqual(image.pixel(x: 3, y: 2), [180, 172, 136])
    }

    func testPaletteWithTransparency() throws {
        let image = try Fixture.decoded("palette4_trns_7x5.png")
        assertPixels(image, within: 0) { x, y in
            let index = FixturePattern.paletteIndex(x, y)
            return FixturePattern.paletteColor(index).map {
                Int(FixturePattern.overWhite($0, alpha: FixturePattern.paletteAlpha(index)))
            }
        }
        XCTAssertEqual(image.pixel(x: 0, y: 0), [255, 255, 255], "index 0 is fully transparent")
    }

    func testSixteenBitKeepsHighByte() throws {
        let image = try Fixture.decoded("rgb16_7x5.png")
        assertPixels(image, within: 0) { x, y in FixturePattern.rgb(x, y).map(Int.init) }
    }

    func testInterlaced() throws {
        let image = try Fixture.decoded("interlaced_rgb_33x17.png")
        XCTAssertEqual([image.width, image.height], [33, 17])
        assertPixels(image, within: 0) { x, y in FixturePattern.rgb(x, y).map(Int.init) }
    }

    func testExifOrientationChunkIsApplied() throws {
        let bytes = try Fixture.bytes("rgb_exif6_7x5.png")
        let image = try ImageCodec.decode(bytes)
        XCTAssertEqual([image.width, image.height], [5, 7])
        // Rotated 90° clockwise: shown (x, y) is stored (y, 4 - x).
        assertPixels(image, within: 0) { x, y in FixturePattern.rgb(y, 4 - x).map(Int.init) }
        let probed = try ImageCodec.probe(bytes)
        XCTAssertEqual([probed.width, probed.height], [5, 7])
    }
}
