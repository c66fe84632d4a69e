import Foundation
import HTTP
import XCTest

final class ServerLimitsTests: ServerTestCase {
    func testExpectContinueAccepted() throws {
        try startServer()
        let client = try connect()
        client.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let interim = client.readResponse()
        XCTAssertEqual(interim?.status, 100)
        client.send("data")
        let final = client.readResponse()
        XCTAssertEqual(final?.status, 200)
        XCTAssertEqual(final?.bodyText, "data")
    }

    func testExpectContinueRejectedWhenTooLarge() throws {
        try startServer { $0.maxBodyBytes = 1024 }
        let client = try connect()
        client.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
        let response = client.readResponse()
        assertStandardHeaders(response)
        XCTAssertEqual(response?.status, 413)
        XCTAssertTrue(response?.bodyText.contains("payload_too_large") ?? false)
        XCTAssertEqual(response?.headers["Connection"], "close")
        XCTAssertTrue(client.receivesEOF())
    }

    func testBodyTooLargeClosesConnection() throws {
        try startServer { $0.maxBodyBytes = 1024 }
        let client = try connect()
        client.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 4096\r\n\r\n" + String(repeating: "x", count: 4096))
        let response = client.readResponse()
        XCTAssertEqual(response?.status, 413)
        XCTAssertTrue(client.receivesEOF())

        let chunked = try connect()
        chunked.send("POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in 0..<3 { chunked.send("200\r\n" + String(repeating: "y", count: 512) + "\r\n") }
        XCTAssertEqual(chunked.readResponse()?.status, 413)
        XCTAssertTrue(chunked.receivesEOF())
    }

    func testHeaderTimeoutAnswers408AndCloses() throws {
        try startServer { $0.headerReadTimeout = 0.3 }
        let client = try connect()
        let start = Date()
        client.send("GET / HTTP/1.1\r\nHost: t\r\n")  // never finished
        let response = client.readResponse()
        XCTAssertEqual(response?.status, 408)
        XCTAssertTrue(response?.bodyText.contains("request_timeout") ?? false)
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.5)
        XCTAssertTrue(client.receivesEOF())
    }

    func testHeaderTimeoutIsNotResetByTrickledBytes() throws {
        try startServer { $0.headerReadTimeout = 0.4 }
        let client = try connect()
        let start = Date()
        client.send("GET / HTTP/1.1\r\n")
        for _ in 0..<8 {
            usleep(100_000)
            client.send("X: y\r\n")
        }
        XCTAssertEqual(client.readResponse()?.status, 408)
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.5)
    }

    func testSilentConnectionIsClosedWithoutResponse() throws {
        try startServer { $0.headerReadTimeout = 0.3 }
        let client = try connect()
        XCTAssertTrue(client.receivesEOF())
    }

    func testIdleKeepAliveTimeoutClosesSilently() throws {
        try startServer { $0.idleKeepAliveTimeout = 0.3 }
        let client = try connect()
        client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 200)
        let start = Date()
        XCTAssertTrue(client.receivesEOF())
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.5)
    }

    func testBodyTimeout() throws {
        try startServer { $0.bodyReadTimeout = 0.3 }
        let client = try connect()
        client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        XCTAssertEqual(client.readResponse()?.status, 408)
    }

    func testSlowClientDoesNotBlockOthers() throws {
        try startServer()
        let slow = try connect()
        let slowDone = expectation(description: "slow client answered")
        Thread.detachNewThread {  // not the Dispatch pool, which the server's handlers use
            for byte in "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n".utf8 {
                slow.send([byte])
                usleep(100_000)
                if byte == UInt8(ascii: "H") { break }  // stop after a few bytes; enough to prove the point
            }
            slowDone.fulfill()
        }
        usleep(250_000)  // the slow client is mid-request now
        let fast = try connect()
        let start = Date()
        fast.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(fast.readResponse()?.bodyText, "GET /fast")
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.0)  // loose: CI machines are shared
        wait(for: [slowDone], timeout: 5)
    }

    func testSlowByteByByteRequestIsServed() throws {
        try startServer()
        let client = try connect()
        for byte in "GET /trickle HTTP/1.1\r\nHost: t\r\n\r\n".utf8 {
            client.send([byte])
            usleep(5_000)
        }
        XCTAssertEqual(client.readResponse()?.bodyText, "GET /trickle")
    }

    func testTooManyConnectionsGets503() throws {
        try startServer { $0.maxConnections = 2 }
        let first = try connect(), second = try connect()
        for client in [first, second] {
            client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertEqual(client.readResponse()?.status, 200)
        }
        let third = try connect()
        let response = third.readResponse()
        assertStandardHeaders(response)
        XCTAssertEqual(response?.status, 503)
        XCTAssertEqual(response?.headers["Retry-After"], "1")
        XCTAssertTrue(response?.bodyText.contains("too_many_connections") ?? false)
        XCTAssertTrue(third.receivesEOF())
        XCTAssertEqual(server.activeConnections, 2)

        // Once one leaves, a new client is served again.
        first.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        _ = first.readResponse()
        XCTAssertTrue(waitFor { self.server.activeConnections == 1 })
        let fourth = try connect()
        fourth.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(fourth.readResponse()?.status, 200)
    }

    func testRequestDeadlineExceeded() throws {
        try startServer(configure: { $0.requestDeadline = 0.3 }, handler: { _, _ in /* never answers */ })
        let client = try connect()
        client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = client.readResponse()
        assertStandardHeaders(response)
        XCTAssertEqual(response?.status, 503)
        XCTAssertTrue(response?.bodyText.contains("deadline_exceeded") ?? false)
        XCTAssertTrue(client.receivesEOF())
    }

    func testOversizeHeaderOverSocket() throws {
        try startServer { $0.maxHeaderBytes = 512 }
        let client = try connect()
        client.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "b", count: 2000))\r\n\r\n")
        let response = client.readResponse()
        XCTAssertEqual(response?.status, 431)
        XCTAssertTrue(response?.bodyText.contains("header_too_large") ?? false)
    }
}
