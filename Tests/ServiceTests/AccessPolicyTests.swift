import XCTest
@testable import Service

final class AccessPolicyTests: XCTestCase {
    func testWithoutTokensEverythingIsOpen() {
        let open = AccessPolicy()
        XCTAssertNil(open.check(method: "DELETE", path: "/styles/1000", authorization: nil))
        XCTAssertNil(open.check(method: "POST", path: "/styles", authorization: "Bearer anything"))
        XCTAssertTrue(open.summary.contains("OPEN"))
        XCTAssertEqual(AccessPolicy(writeToken: "  ", readToken: ""), open, "blank tokens are no tokens")
    }

    func testWriteTokenGuardsStateChangesOnly() {
        let p = AccessPolicy(writeToken: "s3cret")
        for (method, path) in [("POST", "/styles"), ("DELETE", "/styles/1000"), ("DELETE", "/jobs/abc"), ("PUT", "/styles/3")] {
            XCTAssertEqual(p.check(method: method, path: path, authorization: nil)?.code, "missing_token", "\(method) \(path)")
            XCTAssertEqual(p.check(method: method, path: path, authorization: "Bearer wrong")?.code, "invalid_token")
            XCTAssertEqual(p.check(method: method, path: path, authorization: "Bearer s3cre")?.code, "invalid_token", "a prefix is not the token")
            XCTAssertNil(p.check(method: method, path: path, authorization: "Bearer s3cret"))
            XCTAssertNil(p.check(method: method, path: path, authorization: "bearer  s3cret "))
        }
        XCTAssertNil(p.check(method: "POST", path: "/stylize", authorization: nil))
        XCTAssertNil(p.check(method: "GET", path: "/styles", authorization: nil))
        XCTAssertEqual(p.check(method: "POST", path: "/styles", authorization: "Basic czNjcmV0")?.code, "missing_token")
        XCTAssertEqual(p.check(method: "POST", path: "/styles", authorization: nil)?.challenge, #"Bearer realm="atelier""#)
        XCTAssertEqual(p.check(method: "POST", path: "/styles", authorization: nil)?.status, 401)
    }

    func testReadTokenGuardsReadsButNotProbes() {
        let p = AccessPolicy(writeToken: "w", readToken: "r")
        XCTAssertEqual(p.check(method: "GET", path: "/styles", authorization: nil)?.code, "missing_token")
        XCTAssertEqual(p.check(method: "POST", path: "/stylize", authorization: "Bearer x")?.code, "invalid_token")
        XCTAssertNil(p.check(method: "POST", path: "/stylize", authorization: "Bearer r"))
        XCTAssertNil(p.check(method: "GET", path: "/metrics", authorization: "Bearer w"), "the write token reads too")
        XCTAssertEqual(p.check(method: "DELETE", path: "/styles/1000", authorization: "Bearer r")?.code, "invalid_token", "the read token writes nothing")
        XCTAssertNil(p.check(method: "GET", path: "/healthz", authorization: nil))
        XCTAssertNil(p.check(method: "GET", path: "/readyz", authorization: nil))
        XCTAssertNil(p.check(method: "GET", path: "/", authorization: nil), "the web page holds no data; its API calls carry the token")
    }

    func testConstantTimeEqualityAndTokenFiles() throws {
        XCTAssertTrue(AccessPolicy.constantTimeEqual("abc", "abc"))
        XCTAssertFalse(AccessPolicy.constantTimeEqual("abc", "abd"))
        XCTAssertFalse(AccessPolicy.constantTimeEqual("abc", "abcd"))
        XCTAssertFalse(AccessPolicy.constantTimeEqual("", "a"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-token-\(UUID())")
        try Data("from-a-secret\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        XCTAssertEqual(try AccessPolicy.token("ATELIER_API_TOKEN", environment: ["ATELIER_API_TOKEN_FILE": file.path]), "from-a-secret")
        XCTAssertEqual(try AccessPolicy.token("ATELIER_API_TOKEN", environment: ["ATELIER_API_TOKEN": "direct"]), "direct")
        XCTAssertNil(try AccessPolicy.token("ATELIER_API_TOKEN", environment: [:]))
        XCTAssertThrowsError(try AccessPolicy.token("ATELIER_API_TOKEN", environment: ["ATELIER_API_TOKEN_FILE": "/nonexistent/token"]))
    }

    /// Over HTTP: a write without the token is 401 with a challenge and changes nothing.
    func testEndpointsAnswer401WithAChallenge() throws {
        let fixture = try ServiceFixture { $0.access = AccessPolicy(writeToken: "s3cret") }
        let r = try fixture.client.request("DELETE", "/jobs/nope")
        XCTAssertEqual(r.status, 401)
        XCTAssertEqual(r.headers["www-authenticate"], #"Bearer realm="atelier""#)
        XCTAssertEqual(r.errorCode, "missing_token")
        let withToken = try fixture.client.request("DELETE", "/jobs/nope", headers: [("Authorization", "Bearer s3cret")])
        XCTAssertEqual(withToken.status, 404)
        XCTAssertEqual(try fixture.client.request("GET", "/styles").status, 200)
        let stylize = try fixture.client.multipart("/stylize?style=1", files: [("image", "p.png", "image/png", ServiceFixture.png(width: 32, height: 32))])
        XCTAssertEqual(stylize.status, 200)
    }
}
