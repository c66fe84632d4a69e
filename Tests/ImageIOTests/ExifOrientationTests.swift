import XCTest

@testable import ImageIO

final class ExifOrientationTests: XCTestCase {
    /// Each fixture stores the picture transformed so that its orientation tag shows it as the
    /// same upright 32×16 picture: red, green on top; blue, white below.
    func testAllEightOrientationsDisplayUpright() throws {
        for orientation in 1...8 {
            let name = "orientation_\(orientation).jpg"
            let bytes = try Fixture.bytes(name)
            XCTAssertEqual(ExifOrientation.inJPEG(bytes)?.rawValue, orientation, name)
            let image = try ImageCodec.decode(bytes)
            XCTAssertEqual([image.width, image.height], [32, 16], name)
            let corners: [(x: Int, y: Int, rgb: [Int])] = [
                (0, 0, [255, 0, 0]), (31, 0, [0, 255, 0]), (0, 15, [0, 0, 255]), (31, 15, [255, 255, 255]),
            ]
            for (x, y, rgb) in corners {
                let actual = image.pixel(x: x, y: y).map(Int.init)
                XCTAssertTrue(zip(actual, rgb).allSatisfy { abs($0 - $1) <= 10 }, "\(name) (\(x), \(y)): \(actual)")
            }
            let probed = try ImageCodec.probe(bytes)
            XCTAssertEqual([probed.width, probed.height], [32, 16], name)
        }
    }

    /// A 3×2 image with distinct pixels, to check the exact mapping of every transform.
    private let sample = RGBImage(width: 3, height: 2, pixels: (0..<6).flatMap { [UInt8($0), 0, 0] })

    private func indices(_ image: RGBImage) -> [[UInt8]] {
        (0..<image.height).map { y in (0..<image.width).map { x in image.pixel(x: x, y: y)[0] } }
    }

    func testTransformsMoveEveryPixel() {
        // sample is [[0, 1, 2], [3, 4, 5]]
        let expected: [ExifOrientation: [[UInt8]]] = [
            .identity: [[0, 1, 2], [3, 4, 5]],
            .flipHorizontal: [[2, 1, 0], [5, 4, 3]],
            .rotate180: [[5, 4, 3], [2, 1, 0]],
            .flipVertical: [[3, 4, 5], [0, 1, 2]],
            .transpose: [[0, 3], [1, 4], [2, 5]],
            .rotate90Clockwise: [[3, 0], [4, 1], [5, 2]],
            .transverse: [[5, 2], [4, 1], [3, 0]],
            .rotate90CounterClockwise: [[2, 5], [1, 4], [0, 3]],
        ]
        for orientation in ExifOrientation.allCases {
            XCTAssertEqual(indices(orientation.apply(to: sample)), expected[orientation], "\(orientation)")
        }
    }

    private func tiff(bigEndian: Bool, entries: [(tag: UInt16, type: UInt16, value: UInt16)]) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32) -> [UInt8] { bigEndian ? u16(UInt16(v >> 16)) + u16(UInt16(v & 0xFFFF)) : u16(UInt16(v & 0xFFFF)) + u16(UInt16(v >> 16)) }
        var bytes: [UInt8] = bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]
        bytes += u16(42) + u32(8) + u16(UInt16(entries.count))
        for entry in entries { bytes += u16(entry.tag) + u16(entry.type) + u32(1) + u16(entry.value) + [0, 0] }
        return bytes + u32(0)
    }

    func testParsesBothByteOrdersAndSkipsOtherTags() {
        let entries: [(tag: UInt16, type: UInt16, value: UInt16)] = [(0x010F, 3, 9), (0x0112, 3, 6)]
        XCTAssertEqual(ExifOrientation.inTIFF(tiff(bigEndian: true, entries: entries)), .rotate90Clockwise)
        XCTAssertEqual(ExifOrientation.inTIFF(tiff(bigEndian: false, entries: entries)), .rotate90Clockwise)
    }

    func testIgnoresInvalidOrMalformedTags() {
        XCTAssertNil(ExifOrientation.inTIFF(tiff(bigEndian: false, entries: [(0x0112, 3, 9)])), "out of range")
        XCTAssertNil(ExifOrientation.inTIFF(tiff(bigEndian: false, entries: [(0x0112, 4, 6)])), "wrong type")
        let full = tiff(bigEndian: true, entries: [(0x0112, 3, 6)])
        // The last 6 bytes (value padding, next-IFD offset) are not needed to read the tag.
        for length in 0..<full.count - 6 {
            XCTAssertNil(ExifOrientation.inTIFF(Array(full.prefix(length))), "prefix \(length)")
        }
        XCTAssertNil(ExifOrientation.inTIFF([0x49, 0x49, 42, 0, 0xFF, 0xFF, 0xFF, 0x7F]), "IFD offset past end")
    }

    func testNoExifMeansNoOrientation() throws {
        XCTAssertNil(ExifOrientation.inJPEG(try Fixture.bytes("baseline_33x17.jpg")))
        XCTAssertNil(ExifOrientation.inJPEG([0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF]), "segment longer than file")
    }
}
