import Foundation
import HTTP
import XCTest

/// Base class for socket-level tests: starts a server on 127.0.0.1 with an ephemeral port
/// and stops it after the test.
class ServerTestCase: XCTestCase {
    var server: HTTPServer!
    var port = 0

    /// Echoes the request: body back (or "METHOD path" when empty), method/path/query in headers.
    static let echoHandler: HTTPHandler = { request, respond in
        var headers = HTTPHeaders()
        headers.add(name: "X-Method", value: request.method)
        headers.add(name: "X-Path", value: request.path)
        headers.add(name: "X-Style", value: request.query["style"] ?? "")
        let body = request.body.isEmpty ? Array("\(request.method) \(request.path)".utf8) : request.body
        respond(.bytes(contentType: "application/octet-stream", body: body, headers: headers))
    }

    /// A config with short timeouts suited to tests.
    static func testConfig() -> ServerConfig {
        var config = ServerConfig(host: "127.0.0.1", port: 0)
        config.headerReadTimeout = 2
        config.bodyReadTimeout = 2
        config.idleKeepAliveTimeout = 2
        config.requestDeadline = 5
        config.lingerTimeout = 0.5
        return config
    }

    func startServer(configure: (inout ServerConfig) -> Void = { _ in },
                     handler: @escaping HTTPHandler = ServerTestCase.echoHandler) throws {
        var config = Self.testConfig()
        configure(&config)
        let server = HTTPServer(config: config, handler: handler)
        port = try server.start()
        self.server = server
        addTeardownBlock {
            server.shutdown(gracePeriod: 0)
            server.waitUntilStopped()
        }
    }

    func connect(timeout: TimeInterval = 3) throws -> TestClient {
        try TestClient(port: port, timeout: timeout)
    }

    /// Every response the server writes must carry these.
    func assertStandardHeaders(_ response: RawResponse?, file: StaticString = #filePath, line: UInt = #line) {
        guard let response else { return XCTFail("no response", file: file, line: line) }
        XCTAssertNotNil(response.headers["Date"], "Date missing", file: file, line: line)
        XCTAssertTrue(response.headers["Date"]?.hasSuffix(" GMT") ?? false, file: file, line: line)
        XCTAssertNotNil(response.headers["Content-Length"], "Content-Length missing", file: file, line: line)
    }

    /// Waits until `condition` holds or `timeout` passes.
    func waitFor(timeout: TimeInterval = 2, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}
