import XCTest

@testable import ImageIO

final class JPEGDecodeTests: XCTestCase {
    private func assertSmoothGradient(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let image = try Fixture.decoded(name, file: file, line: line)
        XCTAssertEqual([image.width, image.height], [33, 17], file: file, line: line)
        assertPixels(image, within: 12, file: file, line: line) { x, y in
            FixturePattern.smoothRGB(x, y, width: 33, height: 17)
        }
    }

    func testBaseline() throws { try assertSmoothGradient("baseline_33x17.jpg") }

    func testProgressive() throws { try assertSmoothGradient("progressive_33x17.jpg") }

    func testGrayscaleBecomesEqualChannels() throws {
        let image = try Fixture.decoded("gray_33x17.jpg")
        for index in stride(from: 0, to: image.pixels.count, by: 3) {
            XCTAssertEqual(image.pixels[index], image.pixels[index + 1])
            XCTAssertEqual(image.pixels[index], image.pixels[index + 2])
        }
        assertPixels(image, within: 6) { x, y in
            Array(repeating: FixturePattern.smoothGray(x, y, width: 33, height: 17), count: 3)
        }
    }

    func testAdobeInvertedCMYKIsConvertedToRGB() throws {
        let image = try Fixture.decoded("cmyk_16x16.jpg")
        XCTAssertEqual([image.width, image.height], [16, 16])
        // Quadrant centres: cyan, magenta, 50% black, yellow ink.
        let expected: [(x: Int, y: Int, rgb: [Int])] = [
            (4, 4, [0, 255, 255]), (11, 4, [255, 0, 255]), (4, 11, [127, 127, 127]), (11, 11, [255, 255, 0]),
        ]
        for (x, y, rgb) in expected {
            let actual = image.pixel(x: x, y: y).map(Int.init)
            for channel in 0..<3 {
                XCTAssertEqual(actual[channel], rgb[channel], accuracy: 6, "pixel (\(x), \(y)): \(actual)")
            }
        }
    }

    func testCMYKConversionFormulas() {
        XCTAssertEqual(DecodedPixelLayout.multiply(255, 255), 255)
        XCTAssertEqual(DecodedPixelLayout.multiply(255, 128), 128)
        let inverted = [UInt8]([255, 0, 255, 128])  // no cyan, full magenta, no yellow, half black
        let plain = [UInt8]([0, 255, 0, 127])
        let fromInverted = inverted.withUnsafeBufferPointer { DecodedPixelLayout.invertedCMYK.convertToRGB($0) }
        let fromPlain = plain.withUnsafeBufferPointer { DecodedPixelLayout.cmyk.convertToRGB($0) }
        XCTAssertEqual(fromInverted, [128, 0, 128])
        XCTAssertEqual(fromPlain, [128, 0, 128])
    }
}
