@testable import HTTP
import XCTest

final class HTTPTypesTests: XCTestCase {
    func testHeadersLookupIsCaseInsensitiveAndOrdered() {
        var headers: HTTPHeaders = ["Content-Type": "text/plain", "X-A": "1"]
        headers.add(name: "x-a", value: "2")
        XCTAssertEqual(headers["content-type"], "text/plain")
        XCTAssertEqual(headers.values("X-a"), ["1", "2"])
        headers.set(name: "X-A", value: "3")
        XCTAssertEqual(headers.values("x-a"), ["3"])
        XCTAssertEqual(headers.map(\.name), ["Content-Type", "X-A"])
        headers.remove(name: "CONTENT-TYPE")
        XCTAssertNil(headers["Content-Type"])
        XCTAssertEqual(headers.count, 1)
    }

    func testQueryParsing() {
        let request = HTTPRequest(method: "GET", target: "/p%2Fq?style=a+b&style=second&empty&enc=%E2%9C%93&bad=%zz")
        XCTAssertEqual(request.path, "/p/q")
        XCTAssertEqual(request.query["style"], "a b")
        XCTAssertEqual(request.queryItems.map(\.name), ["style", "style", "empty", "enc", "bad"])
        XCTAssertEqual(request.queryItems[1].value, "second")
        XCTAssertEqual(request.query["empty"], "")
        XCTAssertEqual(request.query["enc"], "✓")
        XCTAssertEqual(request.query["bad"], "%zz")
    }

    func testDateFormat() {
        XCTAssertEqual(HTTPDate.format(secondsSince1970: 784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT")
        XCTAssertEqual(HTTPDate.now(), HTTPDate.now())
    }

    func testErrorResponseShape() throws {
        let response = HTTPResponse.error(status: 503, code: "too_many_connections", message: "Busy \"now\"", retryAfter: 1)
        XCTAssertEqual(response.headers["Content-Type"], "application/json")
        XCTAssertEqual(response.headers["Retry-After"], "1")
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: [String: String]]
        XCTAssertEqual(object?["error"]?["code"], "too_many_connections")
        XCTAssertEqual(object?["error"]?["message"], "Busy \"now\"")
    }

    func testSerializationAddsDateLengthAndConnection() {
        var response = HTTPResponse.text("hi")
        response.headers.add(name: "Content-Length", value: "999")
        response.headers.add(name: "X-Evil", value: "a\r\nInjected: yes")
        let text = String(decoding: ResponseWriter.serialize(response, forHeadRequest: false, keepAlive: false,
                                                             http10Client: false, date: "D"), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        XCTAssertTrue(text.contains("Date: D\r\n"))
        XCTAssertTrue(text.contains("Content-Length: 2\r\n"))
        XCTAssertFalse(text.contains("999"))
        XCTAssertTrue(text.contains("Connection: close\r\n"))
        XCTAssertFalse(text.contains("\r\nInjected"))
        XCTAssertTrue(text.hasSuffix("\r\n\r\nhi"))

        let head = String(decoding: ResponseWriter.serialize(.text("hello"), forHeadRequest: true, keepAlive: true,
                                                             http10Client: true, date: "D"), as: UTF8.self)
        XCTAssertTrue(head.contains("Content-Length: 5\r\n"))
        XCTAssertTrue(head.contains("Connection: keep-alive\r\n"))
        XCTAssertTrue(head.hasSuffix("\r\n\r\n"))
    }

    func testJSONEncodableResponse() {
        struct Payload: Encodable { let ok: Bool }
        let response = HTTPResponse.json(Payload(ok: true))
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self), #"{"ok":true}"#)
        // Raw JSON bytes pass through unchanged (not encoded as an array of numbers).
        XCTAssertEqual(HTTPResponse.json(Array("[1]".utf8)).body, Array("[1]".utf8))
        XCTAssertEqual(HTTPResponse.json(status: 201, Array("{}".utf8)).status, 201)
        XCTAssertEqual(HTTPResponse.reasonPhrase(for: 431), "Request Header Fields Too Large")
    }
}
