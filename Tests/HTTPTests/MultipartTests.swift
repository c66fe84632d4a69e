import HTTP
import XCTest

final class MultipartTests: XCTestCase {
    private func body(_ text: String) -> [UInt8] { Array(text.utf8) }

    func testTwoPartsWithFilenameAndContentType() throws {
        let input = "--XyZ\r\n"
            + "Content-Disposition: form-data; name=\"style\"\r\n\r\n"
            + "mosaic\r\n"
            + "--XyZ\r\n"
            + "Content-Disposition: form-data; name=\"image\"; filename=\"cat photo.png\"\r\n"
            + "Content-Type: image/png\r\n\r\n"
            + "PNGDATA\r\n"
            + "--XyZ--\r\n"
        let parts = try Multipart.parse(body: body(input), contentType: "multipart/form-data; boundary=XyZ")
        XCTAssertEqual(parts.count, 2)
        XCTAssertEqual(parts[0].name, "style")
        XCTAssertNil(parts[0].filename)
        XCTAssertNil(parts[0].contentType)
        XCTAssertEqual(parts[0].body, body("mosaic"))
        XCTAssertEqual(parts[1].name, "image")
        XCTAssertEqual(parts[1].filename, "cat photo.png")
        XCTAssertEqual(parts[1].contentType, "image/png")
        XCTAssertEqual(parts[1].headers["content-type"], "image/png")
        XCTAssertEqual(parts[1].body, body("PNGDATA"))
    }

    func testQuotedBoundaryPreambleAndEpilogue() throws {
        let input = "This is the preamble.\r\n--a b:c\r\n"
            + "Content-Disposition: form-data; name=x\r\n\r\n1\r\n"
            + "--a b:c--\r\nepilogue --a b:c\r\n"
        let parts = try Multipart.parse(body: body(input), contentType: "Multipart/Form-Data; charset=utf-8; boundary=\"a b:c\"")
        XCTAssertEqual(parts.map(\.name), ["x"])
        XCTAssertEqual(parts[0].body, body("1"))
    }

    func testBinaryBodyWithCRLFAndDashes() throws {
        var payload: [UInt8] = Array(0...255)
        payload += body("\r\n--\r\nx--bound\r\n-bound\r\n-- \r\n--boun")  // near-misses of the delimiter
        payload += [0x0D, 0x0A, 0x0D]
        var input = body("--bound\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.bin\"\r\n\r\n")
        input += payload
        input += body("\r\n--bound--")
        let parts = try Multipart.parse(body: input, contentType: "multipart/form-data; boundary=bound")
        XCTAssertEqual(parts.count, 1)
        XCTAssertEqual(parts[0].body, payload)
    }

    func testEmptyPartBodyAndPadding() throws {
        let input = "--b  \r\nContent-Disposition: form-data; name=\"empty\"\r\n\r\n\r\n--b--"
        let parts = try Multipart.parse(body: body(input), contentType: "multipart/form-data; boundary=b")
        XCTAssertEqual(parts.first?.body, [])
    }

    func testMissingClosingBoundary() {
        let input = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated"
        XCTAssertThrowsError(try Multipart.parse(body: body(input), contentType: "multipart/form-data; boundary=b")) {
            XCTAssertEqual($0 as? MultipartError, .missingClosingDelimiter)
        }
        let truncatedAfterBoundary = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b"
        XCTAssertThrowsError(try Multipart.parse(body: body(truncatedAfterBoundary), contentType: "multipart/form-data; boundary=b")) {
            XCTAssertEqual($0 as? MultipartError, .missingClosingDelimiter)
        }
    }

    func testTooManyParts() {
        let part = "--b\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nv\r\n"
        let input = String(repeating: part, count: 4) + "--b--\r\n"
        XCTAssertThrowsError(try Multipart.parse(body: body(input), contentType: "multipart/form-data; boundary=b", maxParts: 3)) {
            XCTAssertEqual($0 as? MultipartError, .tooManyParts(limit: 3))
        }
        XCTAssertEqual(try Multipart.parse(body: body(input), contentType: "multipart/form-data; boundary=b", maxParts: 4).count, 4)
    }

    func testMissingBoundaryAndWrongType() {
        XCTAssertThrowsError(try Multipart.parse(body: [], contentType: "multipart/form-data")) {
            XCTAssertEqual($0 as? MultipartError, .missingBoundary)
        }
        XCTAssertThrowsError(try Multipart.parse(body: [], contentType: "application/json; boundary=x")) {
            XCTAssertEqual($0 as? MultipartError, .notMultipartFormData)
        }
        XCTAssertThrowsError(try Multipart.parse(body: body("no delimiter here"), contentType: "multipart/form-data; boundary=b")) {
            XCTAssertEqual($0 as? MultipartError, .missingOpeningDelimiter)
        }
    }

    func testMissingName() {
        for disposition in ["Content-Disposition: form-data\r\n", "Content-Disposition: attachment; name=\"a\"\r\n", ""] {
            let input = "--b\r\n\(disposition)\r\nv\r\n--b--"
            XCTAssertThrowsError(try Multipart.parse(body: body(input), contentType: "multipart/form-data; boundary=b")) {
                XCTAssertEqual($0 as? MultipartError, .missingName)
            }
        }
    }

    func testPartHeaderLimit() {
        let input = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: \(String(repeating: "p", count: 200))\r\n\r\nv\r\n--b--"
        XCTAssertThrowsError(try Multipart.parse(body: body(input), contentType: "multipart/form-data; boundary=b",
                                                 maxPartHeaderBytes: 100)) {
            XCTAssertEqual($0 as? MultipartError, .partHeaderTooLarge(limit: 100))
        }
    }

    func testExtendedFilename() throws {
        let input = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"fallback\"; filename*=UTF-8''%E2%9C%93.png\r\n\r\nx\r\n--b--"
        let parts = try Multipart.parse(body: body(input), contentType: "multipart/form-data; boundary=b")
        XCTAssertEqual(parts.first?.filename, "✓.png")
    }
}
