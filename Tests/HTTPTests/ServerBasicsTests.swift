import Foundation
import HTTP
import XCTest

final class ServerBasicsTests: ServerTestCase {
    func testKeepAliveServesTwoRequestsOnOneConnection() throws {
        try startServer()
        let client = try connect()
        client.send("GET /one?style=mosaic HTTP/1.1\r\nHost: t\r\n\r\n")
        let first = client.readResponse()
        assertStandardHeaders(first)
        XCTAssertEqual(first?.status, 200)
        XCTAssertEqual(first?.bodyText, "GET /one")
        XCTAssertEqual(first?.headers["X-Style"], "mosaic")
        XCTAssertNil(first?.headers["Connection"])

        client.send("POST /two HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
        let second = client.readResponse()
        assertStandardHeaders(second)
        XCTAssertEqual(second?.bodyText, "hello")
        XCTAssertEqual(server.activeConnections, 1)
    }

    func testPipelinedRequestsAreAnsweredInOrder() throws {
        // The first request is the slowest, so answering out of order would show.
        try startServer(handler: { request, respond in
            let delay = request.path == "/1" ? 0.2 : 0.0
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { respond(.text(request.path)) }
        })
        let client = try connect()
        client.send((1...3).map { "GET /\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined()
            + "POST /4 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
        let bodies = (1...4).map { _ in client.readResponse()?.bodyText }
        XCTAssertEqual(bodies, ["/1", "/2", "/3", "/4"])
    }

    func testPipelineLimitAppliesBackPressureNotErrors() throws {
        try startServer(configure: { $0.maxPipelinedRequests = 2 }, handler: { request, respond in
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.01) { respond(.text(request.path)) }
        })
        let client = try connect()
        client.send((0..<20).map { "GET /\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined())
        let bodies = (0..<20).map { _ in client.readResponse()?.bodyText }
        XCTAssertEqual(bodies, (0..<20).map { "/\($0)" })
    }

    func testHeadHasContentLengthButNoBody() throws {
        try startServer()
        let client = try connect()
        client.send("HEAD /thing HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = client.readResponse(hasBody: false)
        assertStandardHeaders(head)
        XCTAssertEqual(head?.headers["X-Method"], "HEAD", "the handler sees HEAD")
        XCTAssertEqual(head?.headers["Content-Length"], String("HEAD /thing".utf8.count))
        // If any body bytes had been sent they would corrupt the next response.
        client.send("GET /next HTTP/1.1\r\nHost: t\r\n\r\n")
        let next = client.readResponse()
        XCTAssertEqual(next?.status, 200)
        XCTAssertEqual(next?.bodyText, "GET /next")
    }

    func testHandlerMayAnswerLaterFromAnotherQueue() throws {
        let otherQueue = DispatchQueue(label: "test.other")
        try startServer(handler: { request, respond in
            otherQueue.asyncAfter(deadline: .now() + 0.15) {
                respond(.text("late \(request.path)"))
                respond(.text("second answer is ignored"))
            }
        })
        let client = try connect()
        client.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.bodyText, "late /a")
        XCTAssertEqual(client.readResponse()?.bodyText, "late /b")
    }

    func testMalformedRequestGetsJSONErrorAndClose() throws {
        try startServer()
        let client = try connect()
        client.send("GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n")
        let response = client.readResponse()
        assertStandardHeaders(response)
        XCTAssertEqual(response?.status, 400)
        XCTAssertEqual(response?.headers["Content-Type"], "application/json")
        XCTAssertEqual(response?.headers["Connection"], "close")
        let object = try JSONSerialization.jsonObject(with: Data(response?.body ?? [])) as? [String: [String: String]]
        XCTAssertEqual(object?["error"]?["code"], "malformed_request")
        XCTAssertTrue(client.receivesEOF())
    }

    func testVersionNotSupported() throws {
        try startServer()
        let client = try connect()
        client.send("GET / HTTP/2.0\r\nHost: t\r\n\r\n")
        let response = client.readResponse()
        XCTAssertEqual(response?.status, 505)
        XCTAssertTrue(response?.bodyText.contains("version_not_supported") ?? false)
    }

    func testHTTP10ClosesUnlessKeepAliveRequested() throws {
        try startServer()
        let keepAlive = try connect()
        keepAlive.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(keepAlive.readResponse()?.headers["Connection"], "keep-alive")
        keepAlive.send("GET /b HTTP/1.0\r\n\r\n")
        let last = keepAlive.readResponse()
        XCTAssertEqual(last?.bodyText, "GET /b")
        XCTAssertEqual(last?.headers["Connection"], "close")
        XCTAssertTrue(keepAlive.receivesEOF())
    }

    func testConnectionCloseRequestIsHonoured() throws {
        try startServer()
        let client = try connect()
        client.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        let response = client.readResponse()
        assertStandardHeaders(response)
        XCTAssertEqual(response?.headers["Connection"], "close")
        XCTAssertTrue(client.receivesEOF())
        XCTAssertTrue(waitFor { self.server.activeConnections == 0 })
    }

    func testClientHalfCloseStillGetsAnswers() throws {
        try startServer()
        let client = try connect()
        client.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n")
        shutdown(client.fd, Int32(SHUT_WR))
        XCTAssertEqual(client.readResponse()?.bodyText, "GET /a")
        let last = client.readResponse()
        XCTAssertEqual(last?.bodyText, "GET /b")
        // Whether /b's response says `Connection: close` depends on whether the server has read
        // the EOF before answering it (a race); either way it must then close the connection.
        XCTAssertTrue(client.receivesEOF())
    }
}
