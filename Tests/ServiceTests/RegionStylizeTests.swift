import XCTest
import ImageIO
import Models
import Tensor
@testable import Service

/// Region-wise styling from a mask (`POST /stylize` with `mask` and `styles=`).
final class RegionStylizeTests: XCTestCase {
    /// A mask whose left `split` columns are `left` and the rest `right` (RGB triples).
    static func mask(width: Int, height: Int, split: Int, left: [UInt8], right: [UInt8]) -> RGBImage {
        var px: [UInt8] = []
        for _ in 0..<height { for x in 0..<width { px += x < split ? left : right } }
        return RGBImage(width: width, height: height, pixels: px)
    }

    func testMaskRegionsInOrderOfFirstAppearanceWithStrayColoursJoiningTheNearest() throws {
        var image = Self.mask(width: 20, height: 10, split: 8, left: [250, 250, 250], right: [0, 0, 200])
        image.pixels[3 * 15 + 0] = 10   // one stray pixel near blue joins blue
        let mask = try RegionMask(image, minShare: 0.01)
        XCTAssertEqual(mask.hexColors, ["#fafafa", "#0000c8"])
        XCTAssertEqual(mask.labels[15], 1)
        XCTAssertEqual(mask.labels[7], 0)
        XCTAssertEqual(mask.labels[8], 1)

        var many: [UInt8] = []
        for i in 0..<90 { many += [UInt8(i * 2), 0, 0] }
        XCTAssertThrowsError(try RegionMask(RGBImage(width: 9, height: 10, pixels: many)), "90 equal regions are too many")
    }

    func testSoftMapsArePartitionOfUnityAndSharpAwayFromBorders() throws {
        let mask = try RegionMask(Self.mask(width: 40, height: 30, split: 20, left: [0, 0, 0], right: [255, 255, 255]))
        let maps = mask.softMaps(width: 23, height: 17, feather: 2)
        XCTAssertEqual(maps.count, 2)
        for i in 0..<(23 * 17) { XCTAssertEqual(maps[0].scalars[i] + maps[1].scalars[i], 1, accuracy: 1e-5) }
        XCTAssertEqual(maps[0].scalars[5 * 23 + 0], 1, accuracy: 1e-6)
        XCTAssertEqual(maps[1].scalars[5 * 23 + 22], 1, accuracy: 1e-6)
        let border = maps[0].scalars[5 * 23 + 11]
        XCTAssertTrue(border > 0.05 && border < 0.95, "a soft border: \(border)")
    }

    func testBoxBlurMatchesTheDirectWindowMean() {
        var rng = SplitMix64(seed: 7)
        for (w, h, r) in [(1, 1, 1), (7, 5, 1), (13, 3, 2), (5, 17, 4), (31, 9, 3)] {
            let plane = (0..<(w * h)).map { _ in Float(rng.uniform()) }
            let fast = boxBlur(plane, width: w, height: h, radius: r), ref = boxBlurReference(plane, width: w, height: h, radius: r)
            for i in 0..<(w * h) { XCTAssertEqual(fast[i], ref[i], accuracy: 1e-5, "\(w)×\(h) r\(r) at \(i)") }
        }
    }

    func post(_ client: TestClient, query: String, mask: RGBImage?, fields: [(String, String)] = []) throws -> TestClient.Response {
        var files: [(field: String, filename: String, type: String, bytes: [UInt8])] = [("image", "photo.png", "image/png", ServiceFixture.png(width: 64, height: 48))]
        if let mask { files.append(("mask", "mask.png", "image/png", try ImageCodec.encodePNG(mask))) }
        return try client.multipart("/stylize?format=png&\(query)", files: files, fields: fields)
    }

    func decode(_ r: TestClient.Response) throws -> RGBImage {
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        return try ImageCodec.decode(r.body, maxPixels: 1 << 20)
    }

    /// Mean absolute difference over columns x0..<x1 of two same-size images.
    func difference(_ a: RGBImage, _ b: RGBImage, columns: Range<Int>) -> Double {
        var sum = 0.0, n = 0
        for y in 0..<a.height { for x in columns { for c in 0..<3 {
            sum += abs(Double(a.pixels[(y * a.width + x) * 3 + c]) - Double(b.pixels[(y * b.width + x) * 3 + c])); n += 1
        } } }
        return sum / Double(n)
    }

    func testMultiStyle26RegionsTakeEachStyleAwayFromTheBorder() throws {
        let fixture = try ServiceFixture()
        let mask = Self.mask(width: 32, height: 24, split: 16, left: [0, 0, 0], right: [255, 255, 255])
        let regions = try decode(post(fixture.client, query: "styles=3,12&feather=3", mask: mask))
        let three = try decode(post(fixture.client, query: "style=3", mask: nil))
        let twelve = try decode(post(fixture.client, query: "style=12", mask: nil))
        XCTAssertEqual([regions.width, regions.height], [64, 48])
        XCTAssertLessThan(difference(regions, three, columns: 0..<20), 0.6)
        XCTAssertLessThan(difference(regions, twelve, columns: 44..<64), 0.6)
        XCTAssertGreaterThan(difference(three, twelve, columns: 0..<64), 10, "the two styles differ, so the test can tell them apart")
    }

    func testStyleBankFusesBankResponses() throws {
        let fixture = try ServiceFixture(registry: StyleLearningTests.registry())
        let one = Self.mask(width: 8, height: 8, split: 8, left: [9, 9, 9], right: [9, 9, 9])
        let whole = try decode(post(fixture.client, query: "model=stylebank&styles=1", mask: one))
        let single = try decode(post(fixture.client, query: "model=stylebank&style=1", mask: nil))
        XCTAssertEqual(whole.pixels, single.pixels, "a one-colour mask is the plain style")

        let mask = Self.mask(width: 32, height: 24, split: 16, left: [0, 0, 0], right: [255, 255, 255])
        let fused = try decode(post(fixture.client, query: "model=stylebank&styles=0,1", mask: mask))
        let a = try decode(post(fixture.client, query: "model=stylebank&style=0", mask: nil))
        XCTAssertLessThan(difference(fused, a, columns: 0..<16), difference(fused, single, columns: 0..<16), "left is style 0")
        XCTAssertLessThan(difference(fused, single, columns: 48..<64), difference(fused, a, columns: 48..<64), "right is style 1")
    }

    func testMaskErrors() throws {
        let fixture = try ServiceFixture()
        let two = Self.mask(width: 32, height: 24, split: 16, left: [0, 0, 0], right: [255, 255, 255])
        let mismatch = try post(fixture.client, query: "styles=3,5,7", mask: two)
        XCTAssertEqual(mismatch.status, 422)
        XCTAssertEqual(mismatch.errorCode, "mask_style_mismatch")
        XCTAssertTrue(String(decoding: mismatch.body, as: UTF8.self).contains("#000000, #ffffff"))
        XCTAssertEqual(try post(fixture.client, query: "styles=3,5", mask: nil).status, 400)
        XCTAssertEqual(try post(fixture.client, query: "style=3", mask: two, fields: [("styles", "3,5")]).status, 400)
        XCTAssertEqual(try post(fixture.client, query: "", mask: two).status, 400)
        XCTAssertEqual(try post(fixture.client, query: "styles=3,99", mask: two).errorCode, "unknown_style")
        XCTAssertEqual(try post(fixture.client, query: "styles=1,2,3,4,5,6,7,8,9", mask: two).status, 400)
        XCTAssertEqual(try post(fixture.client, query: "styles=3,5&feather=-1", mask: two).status, 400)
        let notImage = try fixture.client.multipart("/stylize?styles=3,5", files: [("image", "p.png", "image/png", ServiceFixture.png(width: 64, height: 48)),
                                                                              ("mask", "m.txt", "text/plain", Array("hello".utf8))])
        XCTAssertEqual(notImage.status, 415)
    }
}
