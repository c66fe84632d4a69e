import XCTest

@testable import ImageIO

final class ColorTests: XCTestCase {
    private func luma(_ rgb: [UInt8]) -> Double {
        0.299 * Double(rgb[0]) + 0.587 * Double(rgb[1]) + 0.114 * Double(rgb[2])
    }

    func testYCbCrMatchesJPEGReferenceValues() {
        let red = YCbCr(red: 255, green: 0, blue: 0)
        XCTAssertEqual(red.luma, 76.245, accuracy: 0.01)
        XCTAssertEqual(red.blueDifference, 84.97, accuracy: 0.01)
        XCTAssertEqual(red.redDifference, 255.5, accuracy: 0.01)
        let gray = YCbCr(red: 77, green: 77, blue: 77)
        XCTAssertEqual(gray.blueDifference, 128, accuracy: 0.001)
        XCTAssertEqual(gray.redDifference, 128, accuracy: 0.001)
        for rgb: [UInt8] in [[255, 0, 0], [12, 200, 99], [0, 0, 0], [255, 255, 255], [3, 250, 254]] {
            let back = YCbCr(red: rgb[0], green: rgb[1], blue: rgb[2]).rgb
            XCTAssertEqual([back.red, back.green, back.blue], rgb)
        }
    }

    func testPreservingColorKeepsLumaAndTakesChroma() {
        // Stylized: a gray ramp. Original: a light brown, unsaturated enough that no channel clips.
        let stylized = RGBImage(width: 4, height: 1, pixels: [60, 60, 60, 100, 100, 100, 140, 140, 140, 180, 180, 180])
        let original = RGBImage(width: 4, height: 1, red: 180, green: 140, blue: 100)
        let result = stylized.preservingColor(of: original)
        let brown = YCbCr(red: 180, green: 140, blue: 100)
        for x in 0..<4 {
            let pixel = result.pixel(x: x, y: 0)
            XCTAssertEqual(luma(pixel), luma(stylized.pixel(x: x, y: 0)), accuracy: 1.5)
            let chroma = YCbCr(red: pixel[0], green: pixel[1], blue: pixel[2])
            XCTAssertEqual(chroma.blueDifference, brown.blueDifference, accuracy: 2)
            XCTAssertEqual(chroma.redDifference, brown.redDifference, accuracy: 2)
            XCTAssertGreaterThan(pixel[0], pixel[2], "brown: more red than blue")
        }
        // Y = 100 with the brown's Cb - 128 = -26.749, Cr - 128 = 23.252:
        // R = 100 + 1.402 Cr = 132.6, G = 100 - 0.344136 Cb - 0.714136 Cr = 92.6, B = 100 + 1.772 Cb = 52.6.
        XCTAssertEqual(result.pixel(x: 1, y: 0), [133, 93, 53])
    }

    func testPreservingColorOfGrayOriginalGivesGray() {
        let stylized = RGBImage(width: 3, height: 2, pixels: [200, 10, 10, 10, 200, 10, 10, 10, 200, 90, 90, 0, 0, 90, 90, 255, 255, 255])
        let result = stylized.preservingColor(of: RGBImage(width: 6, height: 4, red: 50, green: 50, blue: 50))
        XCTAssertEqual([result.width, result.height], [3, 2])
        for y in 0..<2 {
            for x in 0..<3 {
                let pixel = result.pixel(x: x, y: y)
                XCTAssertEqual(Int(pixel[0]), Int(pixel[1]), accuracy: 1)
                XCTAssertEqual(Int(pixel[1]), Int(pixel[2]), accuracy: 1)
                XCTAssertEqual(Double(pixel[0]), luma(stylized.pixel(x: x, y: y)), accuracy: 1)
            }
        }
    }

    func testBlendedIsLinearMix() {
        let black = RGBImage(width: 2, height: 1, pixels: [0, 0, 0, 100, 200, 50])
        let white = RGBImage(width: 2, height: 1, pixels: [255, 255, 255, 200, 0, 150])
        XCTAssertEqual(black.blended(with: white, amount: 0), black)
        XCTAssertEqual(black.blended(with: white, amount: 1), white)
        XCTAssertEqual(black.blended(with: white, amount: 0.25).pixels, [64, 64, 64, 125, 150, 75])
        XCTAssertEqual(black.blended(with: white, amount: 0.5).pixels, [128, 128, 128, 150, 100, 100])
        XCTAssertEqual(black.blended(with: white, amount: 7), white, "amount is clamped")
    }
}
