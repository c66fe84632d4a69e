import Foundation
import HTTP
import XCTest

final class ServerSendTimeoutTests: ServerTestCase {
    /// 16 MiB, marked every 4 KiB with its block number, so lost or reordered bytes show.
    static let big: [UInt8] = {
        var bytes = [UInt8](repeating: 0, count: 16 << 20)
        for i in stride(from: 0, to: bytes.count, by: 4096) { bytes[i] = UInt8(truncatingIfNeeded: i >> 12) }
        return bytes
    }()

    func startBigResponseServer(sendTimeout: TimeInterval) throws {
        _ = Self.big   // made before the clock of any test starts
        try startServer(configure: {
            $0.sendTimeout = sendTimeout
            $0.idleKeepAliveTimeout = 60   // far beyond the test: only the send timeout may close
        }, handler: { _, respond in respond(.bytes(contentType: "application/octet-stream", body: Self.big)) })
    }

    /// Found by the chaos test (scripts/test_chaos.py): a `Connection: close` response the client
    /// never read kept its connection, and the response's bytes, for good; only keep-alive
    /// connections fell under a timer (the idle one). Now both are closed once writing stalls.
    func testUnreadResponseIsDroppedAfterTheSendTimeout() throws {
        try startBigResponseServer(sendTimeout: 1)
        for closing in [true, false] {
            let client = try connect(timeout: 1)
            client.send("GET /big HTTP/1.1\r\nHost: t\r\n" + (closing ? "Connection: close\r\n" : "") + "\r\n")
            XCTAssertTrue(waitFor(timeout: 2) { self.server.activeConnections == 1 })
            XCTAssertTrue(waitFor(timeout: 6) { self.server.activeConnections == 0 },
                          "a response nobody reads still holds its connection (Connection: close: \(closing))")
            // What the kernel had buffered may still arrive; the rest never does.
            var received = 0
            while case let bytes = client.readAvailable(), !bytes.isEmpty { received += bytes.count }
            XCTAssertLessThan(received, Self.big.count)
        }
    }

    /// The timeout bounds a stall, not the transfer: a client that keeps reading gets everything
    /// even when that takes several times the timeout.
    func testSlowButSteadyReaderGetsTheWholeResponse() throws {
        try startBigResponseServer(sendTimeout: 1)
        let client = try connect(timeout: 2)
        client.send("GET /big HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        let started = Date()
        var received: [UInt8] = []
        while case let bytes = client.readAvailable(), !bytes.isEmpty {
            received += bytes
            usleep(20_000)   // at most 64 KiB per 20 ms: 16 MiB take over 5 s
        }
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 3)
        XCTAssertGreaterThan(received.count, Self.big.count, "the head and the whole body")
        XCTAssertTrue(received.suffix(Self.big.count).elementsEqual(Self.big), "the body arrived whole")
    }
}
