import Foundation
import ImageIO
@testable import Training
import XCTest

final class ImageFolderTests: XCTestCase {
    /// A 40×36 image of `base` plus a repeating ramp of amplitude `spread` (bytes), so its standard
    /// deviation is set by `spread`.
    static func image(base: Int, spread: Int) -> RGBImage {
        let pixels = (0..<(40 * 36 * 3)).map { i in UInt8(clamping: base + (spread == 0 ? 0 : (i * 7) % (spread + 1))) }
        return RGBImage(width: 40, height: 36, pixels: pixels)
    }

    func testDeviationIsThePopulationStandardDeviationOfTheBytesAsUnitValues() {
        // Half the bytes 0 and half 255: mean 0.5, every value 0.5 away from it.
        let halves = RGBImage(width: 2, height: 1, pixels: [0, 0, 0, 255, 255, 255])
        XCTAssertEqual(ImageFolder.deviation(halves), 0.5, accuracy: 1e-6)
        XCTAssertEqual(ImageFolder.deviation(Self.image(base: 255, spread: 0)), 0)
        let ramp = Self.image(base: 10, spread: 40)
        let values = ramp.pixels.map { Double($0) / 255 }
        let mean = values.reduce(0, +) / Double(values.count)
        let expected = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        XCTAssertEqual(Double(ImageFolder.deviation(ramp)), expected, accuracy: 1e-6)
    }

    func testFlatAndUnreadableFilesAreSkippedAndNamedWithTheirReason() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("image-folder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ name: String, _ image: RGBImage) throws {
            try Data(try ImageCodec.encodePNG(image)).write(to: dir.appendingPathComponent(name))
        }
        try write("a_painting.png", Self.image(base: 0, spread: 255))
        try write("b_blank.png", Self.image(base: 255, spread: 0))           // an overlay composited over white
        try write("c_nearly_flat.png", Self.image(base: 20, spread: 8))      // σ ≈ 0.01
        try write("d_dark_but_drawn.png", Self.image(base: 5, spread: 30))   // σ ≈ 0.035: dark art stays
        try Data("not an image".utf8).write(to: dir.appendingPathComponent("e_broken.jpg"))

        // keepSide 36 is the images' own shorter side: no resampling, so their deviations are as made.
        let folder = try ImageFolder(directory: dir, keepSide: 36)
        XCTAssertEqual(folder.images.count, 2)
        XCTAssertEqual(folder.skipped.count, 3)
        XCTAssertEqual(folder.skipped[0], "b_blank.png (flat: standard deviation 0.000)")
        XCTAssertTrue(folder.skipped[1].hasPrefix("c_nearly_flat.png (flat: standard deviation 0.01"), folder.skipped[1])
        XCTAssertEqual(folder.skipped[2], "e_broken.jpg (unreadable)")

        // The threshold is the caller's: at zero only the unreadable file is left out.
        XCTAssertEqual(try ImageFolder(directory: dir, keepSide: 36, minimumDeviation: 0).images.count, 4)
    }

    func testAFolderOfOnlyFlatImagesIsAnError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("image-folder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(try ImageCodec.encodePNG(Self.image(base: 255, spread: 0))).write(to: dir.appendingPathComponent("blank.png"))
        XCTAssertThrowsError(try ImageFolder(directory: dir, keepSide: 36))
    }
}
