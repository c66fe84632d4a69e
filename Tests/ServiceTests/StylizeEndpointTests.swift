import XCTest
import ImageIO
@testable import Service

final class StylizeEndpointTests: XCTestCase {
    var fixture: ServiceFixture!
    override func setUpWithError() throws { fixture = try ServiceFixture() }
    override func tearDown() { fixture = nil }

    func testMultipartPNGGivesStylizedPNGOfSameSize() throws {
        let input = ServiceFixture.png(width: 70, height: 45)
        let r = try fixture.client.multipart("/stylize?style=3", files: [("image", "p.png", "image/png", input)])
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        XCTAssertEqual(r.headers["content-type"], "image/png")
        let out = try ImageCodec.decode(r.body)
        XCTAssertEqual([out.width, out.height], [70, 45])
        // Stylized, not passed through: far from the input on average.
        let original = ServiceFixture.image(width: 70, height: 45)
        let meanDiff = zip(out.pixels, original.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / out.pixels.count
        XCTAssertGreaterThan(meanDiff, 15)
    }

    func testRawJPEGBodyGivesJPEGAndFormatOverrides() throws {
        let jpeg = ServiceFixture.jpeg(width: 64, height: 48)
        let r = try fixture.client.request("POST", "/stylize?style=1", headers: [("Content-Type", "image/jpeg")], body: jpeg)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["content-type"], "image/jpeg")
        XCTAssertEqual(ImageCodec.detectFormat(r.body), .jpeg)
        let png = try fixture.client.request("POST", "/stylize?style=1&format=png", headers: [("Content-Type", "image/jpeg")], body: jpeg)
        XCTAssertEqual(ImageCodec.detectFormat(png.body), .png)
        let accept = try fixture.client.request("POST", "/stylize?style=1", headers: [("Content-Type", "image/jpeg"), ("Accept", "image/png")], body: jpeg)
        XCTAssertEqual(accept.headers["content-type"], "image/png")
    }

    func testBlendDiffersFromEitherStyleAndSitsBetween() throws {
        let input = ServiceFixture.png(width: 48, height: 48)
        func run(_ style: String) throws -> [UInt8] {
            let r = try fixture.client.multipart("/stylize?style=\(style)", files: [("image", "p.png", "image/png", input)])
            XCTAssertEqual(r.status, 200, style)
            return try ImageCodec.decode(r.body).pixels
        }
        let a = try run("3"), b = try run("12"), mix = try run("3:0.5,12:0.5")
        func dist(_ x: [UInt8], _ y: [UInt8]) -> Int { zip(x, y).map { abs(Int($0) - Int($1)) }.reduce(0, +) / x.count }
        XCTAssertGreaterThan(dist(mix, a), 3)
        XCTAssertGreaterThan(dist(mix, b), 3)
        XCTAssertLessThan(dist(mix, a), dist(a, b))
    }

    func testMaxSizeDownscalesKeepingAspectAndStrengthZeroKeepsPhoto() throws {
        let input = ServiceFixture.png(width: 200, height: 100)
        let r = try fixture.client.multipart("/stylize?style=0&max_size=64", files: [("image", "p.png", "image/png", input)])
        XCTAssertEqual(r.status, 200)
        let out = try ImageCodec.decode(r.body)
        XCTAssertEqual([out.width, out.height], [64, 32])
        let zero = try fixture.client.multipart("/stylize?style=0&strength=0", files: [("image", "p.png", "image/png", ServiceFixture.png(width: 40, height: 40))])
        XCTAssertEqual(try ImageCodec.decode(zero.body).pixels, ServiceFixture.image(width: 40, height: 40).pixels)
    }

    func testPreserveColorKeepsChroma() throws {
        let input = ServiceFixture.png(width: 48, height: 40)
        let r = try fixture.client.multipart("/stylize?style=4&preserve_color=true", files: [("image", "p.png", "image/png", input)])
        XCTAssertEqual(r.status, 200)
        let out = try ImageCodec.decode(r.body), original = ServiceFixture.image(width: 48, height: 40)
        // Compare chroma (Cb) of output and original: close, although luminance changed.
        func cb(_ p: [UInt8], _ i: Int) -> Double { -0.168736 * Double(p[3 * i]) - 0.331264 * Double(p[3 * i + 1]) + 0.5 * Double(p[3 * i + 2]) }
        let n = out.width * out.height
        let meanCbDiff = (0..<n).map { abs(cb(out.pixels, $0) - cb(original.pixels, $0)) }.reduce(0, +) / Double(n)
        XCTAssertLessThan(meanCbDiff, 4)
    }
}
