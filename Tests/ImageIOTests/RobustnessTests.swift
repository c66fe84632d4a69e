import XCTest

@testable import ImageIO

final class RobustnessTests: XCTestCase {
    private func assertThrows(_ kind: ImageError.Kind, _ body: @autoclosure () throws -> some Any, _ note: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), note, file: file, line: line) { error in
            let imageError = error as? ImageError
            XCTAssertEqual(imageError?.kind, kind, "\(note) \(error)", file: file, line: line)
            XCTAssertFalse(imageError?.message.isEmpty ?? true, file: file, line: line)
        }
    }

    func testHugeHeaderIsRejectedBeforeAllocating() throws {
        // 10^10 pixels: were the decoder to allocate them, the test would run out of memory.
        let bytes = try Fixture.bytes("huge_header_100000x100000.png")
        assertThrows(.tooLarge, try ImageCodec.decode(bytes))
        assertThrows(.tooLarge, try ImageCodec.decode(bytes, maxPixels: 100_000 * 100_000 - 1))
    }

    func testMaxPixelsIsInclusive() throws {
        let png = try Fixture.bytes("rgb_7x5.png")
        XCTAssertEqual(try ImageCodec.decode(png, maxPixels: 35).width, 7)
        assertThrows(.tooLarge, try ImageCodec.decode(png, maxPixels: 34))
        let jpeg = try Fixture.bytes("baseline_33x17.jpg")
        XCTAssertEqual(try ImageCodec.decode(jpeg, maxPixels: 33 * 17).width, 33)
        assertThrows(.tooLarge, try ImageCodec.decode(jpeg, maxPixels: 33 * 17 - 1))
    }

    func testZeroSizedHeaderIsCorrupt() throws {
        var bytes = try Fixture.bytes("rgb_7x5.png")
        bytes[16..<20] = [0, 0, 0, 0]  // IHDR width; libpng checks the size before the CRC
        assertThrows(.corrupt, try ImageCodec.decode(bytes))
    }

    func testTruncatedFixturesAreCorrupt() throws {
        assertThrows(.corrupt, try ImageCodec.decode(try Fixture.bytes("truncated_33x17.png")))
        assertThrows(.corrupt, try ImageCodec.decode(try Fixture.bytes("truncated_33x17.jpg")))
    }

    /// Every prefix must either throw an ImageError or decode to an image of the full size.
    func testEveryPrefixThrowsOrDecodes() throws {
        let names = [
            "rgb_7x5.png", "palette4_trns_7x5.png", "interlaced_rgb_33x17.png", "rgb16_7x5.png", "rgb_exif6_7x5.png",
            "baseline_33x17.jpg", "progressive_33x17.jpg", "gray_33x17.jpg", "cmyk_16x16.jpg", "orientation_6.jpg",
        ]
        for name in names {
            let bytes = try Fixture.bytes(name)
            let full = try ImageCodec.decode(bytes)
            var failures = 0
            for length in 0..<bytes.count {
                let prefix = Array(bytes.prefix(length))
                do {
                    let image = try ImageCodec.decode(prefix)
                    XCTAssertEqual([image.width, image.height], [full.width, full.height], "\(name) prefix \(length)")
                } catch is ImageError {
                    failures += 1
                }
                _ = try? ImageCodec.probe(prefix)
            }
            // Only prefixes that cut at most the trailing marker may decode.
            XCTAssertGreaterThan(failures, bytes.count - 20, name)
        }
    }

    func testCorruptedBytesNeverCrash() throws {
        var generator = SeededGenerator(seed: 42)
        for name in ["interlaced_rgb_33x17.png", "baseline_33x17.jpg", "progressive_33x17.jpg"] {
            let original = try Fixture.bytes(name)
            for _ in 0..<300 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...8, using: &generator) {
                    // Keep the magic number so the decoder, not detection, sees the damage.
                    let index = Int.random(in: 4..<bytes.count, using: &generator)
                    bytes[index] = UInt8.random(in: 0...255, using: &generator)
                }
                _ = try? ImageCodec.decode(bytes)
            }
        }
    }

    func testRandomBytesBehindValidMagicThrow() {
        var generator = SeededGenerator(seed: 7)
        for magic: [UInt8] in [[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8, 0xFF], []] {
            for length in [0, 1, 10, 100, 1000, 5000] {
                for _ in 0..<20 {
                    let bytes = magic + (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    XCTAssertThrowsError(try ImageCodec.decode(bytes))
                    _ = try? ImageCodec.probe(bytes)
                }
            }
        }
    }
}

/// Deterministic xorshift generator, so a failure reproduces.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
