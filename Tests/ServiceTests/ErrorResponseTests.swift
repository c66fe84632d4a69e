import XCTest
import ImageIO
@testable import Service

/// Every bad input gets its 4xx with a JSON body naming the problem, and the server stays up.
final class ErrorResponseTests: XCTestCase {
    var fixture: ServiceFixture!
    override func setUpWithError() throws { fixture = try ServiceFixture() }
    override func tearDownWithError() throws {
        let health = try fixture.client.request("GET", "/healthz")
        XCTAssertEqual(health.status, 200, "server unhealthy after the test")
        fixture = nil
    }

    private func assertError(_ r: TestClient.Response, _ status: Int, _ code: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, status, String(decoding: r.body, as: UTF8.self), file: file, line: line)
        XCTAssertEqual(r.headers["content-type"], "application/json", file: file, line: line)
        XCTAssertEqual(r.errorCode, code, String(decoding: r.body, as: UTF8.self), file: file, line: line)
        XCTAssertNotNil((r.json?["error"] as? [String: Any])?["message"] as? String, file: file, line: line)
    }

    func testUnknownStyleModelAndRoute() throws {
        let png = ServiceFixture.png(width: 32, height: 32)
        assertError(try fixture.client.multipart("/stylize?style=99", files: [("image", "a.png", "image/png", png)]), 404, "unknown_style")
        assertError(try fixture.client.multipart("/stylize?style=1&model=nope", files: [("image", "a.png", "image/png", png)]), 404, "unknown_model")
        assertError(try fixture.client.request("GET", "/nothing-here"), 404, "not_found")
        let wrongMethod = try fixture.client.request("GET", "/stylize")
        assertError(wrongMethod, 405, "method_not_allowed")
        XCTAssertEqual(wrongMethod.headers["allow"], "POST")
    }

    func testBadParameters() throws {
        let png = ServiceFixture.png(width: 32, height: 32)
        for query in ["style=abc", "style=3:-1", "style=3:0.5,", "strength=2", "strength=x", "max_size=0",
                      "max_size=100000", "format=gif", "quality=0", "preserve_color=maybe"] {
            assertError(try fixture.client.multipart("/stylize?\(query)", files: [("image", "a.png", "image/png", png)]), 400, "invalid_parameter")
        }
    }

    func testNotAnImageAndUnusableImages() throws {
        assertError(try fixture.client.request("POST", "/stylize?style=1", headers: [("Content-Type", "text/plain")], body: Array("hello".utf8)),
                    415, "unsupported_media_type")
        assertError(try fixture.client.request("POST", "/stylize?style=1", headers: [("Content-Type", "image/png")], body: Array("not really a png".utf8)),
                    415, "unsupported_media_type")
        let png = ServiceFixture.png(width: 64, height: 64)
        assertError(try fixture.client.request("POST", "/stylize?style=1", headers: [("Content-Type", "image/png")], body: Array(png.prefix(png.count / 2))),
                    422, "unusable_image")
        let jpeg = ServiceFixture.jpeg(width: 64, height: 64)
        assertError(try fixture.client.request("POST", "/stylize?style=1", headers: [("Content-Type", "image/jpeg")], body: Array(jpeg.prefix(200))),
                    422, "unusable_image")
        assertError(try fixture.client.request("POST", "/stylize?style=1", headers: [("Content-Type", "image/png")], body: Self.hugePNGHeader()),
                    422, "image_too_large")
        assertError(try fixture.client.multipart("/stylize?style=1", files: [("image", "tiny.png", "image/png", ServiceFixture.png(width: 4, height: 50))]),
                    422, "image_too_small")
    }

    func testMissingImageAndMalformedMultipart() throws {
        // A file under a name the route does not know is refused by name, not ignored.
        assertError(try fixture.client.multipart("/stylize?style=1", files: [("other", "a.png", "image/png", ServiceFixture.png(width: 32, height: 32))]),
                    400, "unknown_parameter")
        assertError(try fixture.client.multipart("/stylize?style=1", files: [], fields: [("strength", "0.5")]), 400, "missing_image")
        assertError(try fixture.client.request("POST", "/stylize", headers: [("Content-Type", "multipart/form-data; boundary=xyz")], body: Array("garbage".utf8)),
                    400, "malformed_multipart")
    }

    func testBodyTooLargeIs413() throws {
        let small = try ServiceFixture(server: { $0.maxBodyBytes = 1000 })
        let r = try small.client.request("POST", "/stylize", headers: [("Content-Type", "image/png")], body: [UInt8](repeating: 7, count: 5000))
        assertError(r, 413, "payload_too_large")
    }

    func testFullQueueIs503WithRetryAfter() throws {
        let full = try ServiceFixture(configure: { $0.queueCapacity = 0 })
        let r = try full.client.multipart("/stylize?style=1", files: [("image", "a.png", "image/png", ServiceFixture.png(width: 32, height: 32))])
        assertError(r, 503, "queue_full")
        XCTAssertNotNil(r.headers["retry-after"])
    }

    /// A PNG claiming 100000×100000 pixels: signature, IHDR, an empty IDAT and IEND (CRCs computed).
    static func hugePNGHeader() -> [UInt8] {
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            var crc: UInt32 = 0xffff_ffff
            for b in body { crc ^= UInt32(b); for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 } }
            return be32(UInt32(data.count)) + body + be32(crc ^ 0xffff_ffff)
        }
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + chunk("IHDR", be32(100_000) + be32(100_000) + [8, 2, 0, 0, 0]) + chunk("IDAT", []) + chunk("IEND", [])
    }
}
