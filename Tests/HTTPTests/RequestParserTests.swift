@testable import HTTP
import XCTest

final class RequestParserTests: XCTestCase {
    /// Parses `input` fed whole or one byte at a time and returns the completed requests.
    private func parse(_ input: String, config: ServerConfig = ServerConfig(), byteByByte: Bool = false) throws -> [HTTPRequest] {
        try parse(Array(input.utf8), config: config, byteByByte: byteByByte)
    }

    private func parse(_ input: [UInt8], config: ServerConfig = ServerConfig(), byteByByte: Bool = false) throws -> [HTTPRequest] {
        var parser = RequestParser(limits: config)
        var requests: [HTTPRequest] = []
        func drain() throws {
            while let event = try parser.next() {
                if case .request(let request) = event { requests.append(request) }
            }
        }
        if byteByByte {
            for byte in input {
                parser.append([byte])
                try drain()
            }
        } else {
            parser.append(input)
            try drain()
        }
        return requests
    }

    private func assertRejected(_ input: String, status: Int, config: ServerConfig = ServerConfig(),
                                file: StaticString = #filePath, line: UInt = #line) {
        for byteByByte in [false, true] {
            XCTAssertThrowsError(try parse(input, config: config, byteByByte: byteByByte), file: file, line: line) { error in
                XCTAssertEqual((error as? HTTPParseError)?.status, status, "\(error)", file: file, line: line)
            }
        }
    }

    func testSimpleGet() throws {
        let requests = try parse("GET /v1/styles?style=mosaic&x=a+b%21 HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n")
        XCTAssertEqual(requests.count, 1)
        let request = try XCTUnwrap(requests.first)
        XCTAssertEqual(request.method, "GET")
        XCTAssertEqual(request.target, "/v1/styles?style=mosaic&x=a+b%21")
        XCTAssertEqual(request.path, "/v1/styles")
        XCTAssertEqual(request.query["style"], "mosaic")
        XCTAssertEqual(request.query["x"], "a b!")
        XCTAssertEqual(request.version, .http1_1)
        XCTAssertEqual(request.headers["host"], "example")
        XCTAssertEqual(request.headers["ACCEPT"], "*/*")
        XCTAssertTrue(request.body.isEmpty)
        XCTAssertTrue(request.keepAlive)
    }

    func testPostWithContentLength() throws {
        let requests = try parse("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world")
        XCTAssertEqual(requests.map { String(decoding: $0.body, as: UTF8.self) }, ["hello world"])
    }

    func testChunkedBodyWithExtensionsTrailersAndUppercaseHex() throws {
        let payload = String(repeating: "z", count: 26)
        let input = "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "1A;name=value;flag\r\n\(payload)\r\n"
            + "5 ; ext=\"quoted\"\r\nhello\r\n"
            + "0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"
        for byteByByte in [false, true] {
            let request = try XCTUnwrap(try parse(input, byteByByte: byteByByte).first)
            XCTAssertEqual(String(decoding: request.body, as: UTF8.self), payload + "hello")
            XCTAssertEqual(request.trailers["x-checksum"], "abc")
            XCTAssertEqual(request.trailers.count, 2)
        }
    }

    func testPipelinedRequestsInOneBuffer() throws {
        let input = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
            + "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
            + "GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        let requests = try parse(input)
        XCTAssertEqual(requests.map(\.path), ["/a", "/b", "/c"])
        XCTAssertEqual(requests[1].body, Array("abc".utf8))
        XCTAssertEqual(requests.map(\.keepAlive), [true, true, false])
    }

    func testByteByByteMatchesWholeBuffer() throws {
        let input = "\r\nGET /a%20b?q=1 HTTP/1.1\r\nHost: h\r\n\r\n"
            + "POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            + "PUT /c HTTP/1.0\nContent-Length: 4\n\nwxyz"
        let whole = try parse(input)
        let split = try parse(input, byteByByte: true)
        XCTAssertEqual(whole.count, 3)
        XCTAssertEqual(whole.map(\.path), split.map(\.path))
        XCTAssertEqual(whole.map(\.path), ["/a b", "/b", "/c"])
        XCTAssertEqual(whole.map(\.body), split.map(\.body))
        XCTAssertEqual(whole.map(\.headers), split.map(\.headers))
        XCTAssertEqual(split[2].version, .http1_0)
    }

    func testHeadEventPrecedesBody() throws {
        var parser = RequestParser()
        parser.append(Array("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n".utf8))
        guard case .head(let head)? = try parser.next() else { return XCTFail("expected head") }
        XCTAssertTrue(head.expectsContinue)
        XCTAssertEqual(head.framing, .contentLength(4))
        XCTAssertNil(try parser.next())
        XCTAssertEqual(parser.progress, .body)
        parser.append(Array("data".utf8))
        guard case .request(let request)? = try parser.next() else { return XCTFail("expected request") }
        XCTAssertEqual(request.body, Array("data".utf8))
        XCTAssertEqual(parser.progress, .betweenRequests)
    }

    func testHeaderOrderAndDuplicatesArePreserved() throws {
        let request = try XCTUnwrap(try parse("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a:  2 \r\nX-B: 3\r\n\r\n").first)
        XCTAssertEqual(request.headers.values("X-A"), ["1", "2"])
        XCTAssertEqual(request.headers.map(\.name), ["Host", "X-A", "x-a", "X-B"])
    }

    func testMalformedRequestLines() {
        for line in ["GET /\r\n", "GET  / HTTP/1.1\r\n", "G@T / HTTP/1.1\r\n", "GET / HTTX/1.1\r\n",
                     "GET / HTTP/1.1 extra\r\n", "GET foo HTTP/1.1\r\n", "GET / HTTP/1\r\n",
                     "GET /a\rb HTTP/1.1\r\n", "GET /%zz HTTP/1.1\r\n"] {
            assertRejected(line + "Host: h\r\n\r\n", status: 400)
        }
    }

    func testBadHeaderLines() {
        for header in ["Bad Name: x", "Name : x", ": x", "NoColon", "X-Ctl: a\u{1}b", "X-Cr: a\rb"] {
            assertRejected("GET / HTTP/1.1\r\nHost: h\r\n\(header)\r\n\r\n", status: 400)
        }
    }

    func testObsoleteLineFoldingIsRejected() {
        assertRejected("GET / HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n  continued\r\n\r\n", status: 400)
    }

    /// Policy: HTTP/1.1 requires exactly one Host (RFC 9112 §3.2); HTTP/1.0 may omit it.
    func testHostRequirement() throws {
        assertRejected("GET / HTTP/1.1\r\n\r\n", status: 400)
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400)
        XCTAssertEqual(try parse("GET / HTTP/1.0\r\n\r\n").count, 1)
    }

    func testOversizeHeaderSection() {
        var config = ServerConfig()
        config.maxHeaderBytes = 256
        let big = String(repeating: "v", count: 300)
        assertRejected("GET / HTTP/1.1\r\nHost: h\r\nX-Big: \(big)\r\n\r\n", status: 431, config: config)
        // Rejected before the head completes, so an endless header cannot fill memory.
        XCTAssertThrowsError(try parse("GET / HTTP/1.1\r\nHost: h\r\nX-Big: \(big)", config: config))
        let many = (0..<20).map { "X-\($0): \(String(repeating: "a", count: 10))\r\n" }.joined()
        assertRejected("GET / HTTP/1.1\r\nHost: h\r\n\(many)\r\n", status: 431, config: config)
    }

    func testTooManyHeaders() {
        var config = ServerConfig()
        config.maxHeaderCount = 5
        let headers = (0..<5).map { "X-\($0): 1\r\n" }.joined()
        assertRejected("GET / HTTP/1.1\r\nHost: h\r\n\(headers)\r\n", status: 431, config: config)
    }

    func testRequestLineTooLong() {
        var config = ServerConfig()
        config.maxRequestLineBytes = 64
        let path = "/" + String(repeating: "a", count: 100)
        assertRejected("GET \(path) HTTP/1.1\r\nHost: h\r\n\r\n", status: 414, config: config)
        XCTAssertThrowsError(try parse("GET \(path)", config: config))
    }

    func testContentLengthRules() throws {
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400)
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", status: 400)
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\nabcd", status: 400)
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", status: 400)
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", status: 400)
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\nabc", status: 400)
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", status: 413)
        var config = ServerConfig()
        config.maxBodyBytes = 10
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", status: 413, config: config)
        // Identical duplicates are tolerated.
        let request = try XCTUnwrap(try parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc").first)
        XCTAssertEqual(request.body, Array("abc".utf8))
    }

    func testChunkErrors() {
        let head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        assertRejected(head + "xyz\r\nabc\r\n0\r\n\r\n", status: 400)
        assertRejected(head + ";ext\r\n", status: 400)
        assertRejected(head + "3\r\nabcd\r\n0\r\n\r\n", status: 400)
        assertRejected(head + "FFFFFFFFFFFFFFFFFFFF\r\n", status: 400)
        var config = ServerConfig()
        config.maxBodyBytes = 8
        assertRejected(head + "5\r\nabcde\r\n5\r\nabcde\r\n0\r\n\r\n", status: 413, config: config)
    }

    func testTransferEncodingVariants() {
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", status: 501)
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501)
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", status: 400)
        assertRejected("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400)
    }

    func testUnsupportedVersions() throws {
        assertRejected("GET / HTTP/2.0\r\nHost: h\r\n\r\n", status: 505)
        assertRejected("GET / HTTP/0.9\r\nHost: h\r\n\r\n", status: 505)
        // A higher 1.x minor is served as 1.1.
        XCTAssertEqual(try parse("GET / HTTP/1.2\r\nHost: h\r\n\r\n").first?.version.major, 1)
    }

    func testParserStaysFailed() throws {
        var parser = RequestParser()
        parser.append(Array("BROKEN\r\n".utf8))
        XCTAssertThrowsError(try parser.next())
        parser.append(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        XCTAssertThrowsError(try parser.next())
    }

    func testKeepAliveSemantics() throws {
        let requests = try parse("GET / HTTP/1.0\r\n\r\n"
            + "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
            + "GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, Close\r\n\r\n")
        XCTAssertEqual(requests.map(\.keepAlive), [false, true, false])
    }

    func testAbsoluteAndAsteriskTargets() throws {
        let requests = try parse("GET http://example.com/a/b?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"
            + "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(requests.map(\.path), ["/a/b", "*"])
        XCTAssertEqual(requests[0].query["x"], "1")
    }
}
