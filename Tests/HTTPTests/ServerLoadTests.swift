import Foundation
import HTTP
import XCTest

final class ServerLoadTests: ServerTestCase {
    /// A response far larger than the socket buffer exercises the EAGAIN / write-source path;
    /// a large upload exercises the direct-to-body fast path.
    func testLargeUploadAndDownload() throws {
        let big = (0..<(6 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try startServer(handler: { request, respond in
            respond(.bytes(contentType: "application/octet-stream", body: request.body.isEmpty ? big : request.body))
        })
        let client = try connect(timeout: 5)
        client.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        usleep(100_000)  // let the server fill the socket buffer and wait for writability
        XCTAssertEqual(client.readResponse()?.body == big, true)

        let upload = Array(big.prefix(3 * 1024 * 1024))
        client.send(Array("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: \(upload.count)\r\n\r\n".utf8) + upload)
        XCTAssertEqual(client.readResponse()?.body == upload, true)
    }

    /// Clients run on their own threads: blocking them on Dispatch's global pool would starve
    /// the pool the server's handlers run on.
    func testManyConcurrentClients() throws {
        try startServer()
        let group = DispatchGroup()
        let failures = FailureCounter()
        let port = self.port
        for clientIndex in 0..<16 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                guard let client = try? TestClient(port: port) else {
                    failures.increment()
                    return
                }
                for requestIndex in 0..<10 {
                    let path = "/c\(clientIndex)/r\(requestIndex)"
                    client.send("GET \(path) HTTP/1.1\r\nHost: t\r\n\r\n")
                    if client.readResponse()?.bodyText != "GET \(path)" {
                        failures.increment()
                    }
                }
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(failures.value, 0)
    }
}

private final class FailureCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
