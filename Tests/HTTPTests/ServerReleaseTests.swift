import Foundation
import HTTP
import XCTest

/// A stopped server, with the connections it served and the handler it was given, is freed: no
/// retain cycle keeps it (LeakSanitizer cannot tell here, see docs/reliability.md, so this checks
/// with weak references).
final class ServerReleaseTests: XCTestCase {
    final class Token {}

    func testStoppedServerAndItsHandlerAreFreed() throws {
        weak var weakServer: HTTPServer?
        weak var weakToken: Token?
        do {
            let token = Token()
            weakToken = token
            let server = HTTPServer(config: ServerTestCase.testConfig()) { request, respond in
                _ = token   // the handler holds the token as long as the server holds the handler
                respond(.text("ok \(request.path)"))
            }
            weakServer = server
            let port = try server.start()
            for keepAlive in [true, false] {
                let client = try TestClient(port: port)
                client.send("GET /\(keepAlive) HTTP/1.1\r\nHost: t\r\n\(keepAlive ? "" : "Connection: close\r\n")\r\n")
                XCTAssertEqual(client.readResponse()?.status, 200)
            }
            server.shutdown(gracePeriod: 0.2)
            server.waitUntilStopped()
        }
        // Dispatch releases a cancelled source's handlers asynchronously.
        let deadline = Date().addingTimeInterval(3)
        while (weakServer != nil || weakToken != nil) && Date() < deadline { usleep(10_000) }
        XCTAssertNil(weakServer, "the stopped server is still alive")
        XCTAssertNil(weakToken, "the handler (and what it captures) is still alive")
    }
}
