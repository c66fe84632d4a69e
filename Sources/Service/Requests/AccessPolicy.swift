import Foundation

/// Who may do what (`ATELIER_API_TOKEN`, `ATELIER_READ_TOKEN`): with a write token set, every
/// request that changes state (any POST, PUT, PATCH or DELETE other than `POST /stylize`) needs
/// `Authorization: Bearer <write token>`; with a read token set too, every other request but the
/// probes (`/healthz`, `/readyz`) and the web page (`/`) needs the read or the write token. Without tokens everything is
/// open, as before. Tokens are compared in constant time. Decided without HTTP, so it is tested
/// on values.
public struct AccessPolicy: Sendable, Equatable {
    public var writeToken: String?
    public var readToken: String?

    public init(writeToken: String? = nil, readToken: String? = nil) {
        (self.writeToken, self.readToken) = (writeToken.flatMap(Self.nonEmpty), readToken.flatMap(Self.nonEmpty))
    }

    static func nonEmpty(_ s: String) -> String? {
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? nil : t
    }

    /// Paths open to everyone whatever the tokens: liveness and readiness probes, and the web
    /// page, which holds no data (a browser cannot send a bearer token to load it; the page
    /// sends the token it is given with its API calls).
    static let openPaths: Set<String> = ["/healthz", "/readyz", "/"]

    public static func changesState(method: String, path: String) -> Bool {
        ["POST", "PUT", "PATCH", "DELETE"].contains(method) && path != "/stylize"
    }

    /// nil when allowed; else the 401 to answer (with a `WWW-Authenticate` challenge).
    func check(method: String, path: String, authorization: String?) -> APIError? {
        if Self.openPaths.contains(path) { return nil }
        let presented = Self.bearer(authorization)
        let writes = Self.changesState(method: method, path: path)
        let accepted = writes ? [writeToken] : [writeToken, readToken]
        let required = writes ? writeToken != nil : readToken != nil
        guard required else { return nil }
        if let presented, accepted.contains(where: { $0.map { Self.constantTimeEqual($0, presented) } ?? false }) { return nil }
        let what = writes ? "changing state" : "this request"
        var error = APIError(status: 401, code: presented == nil ? "missing_token" : "invalid_token",
                             message: presented == nil ? "\(what) needs Authorization: Bearer <token>" : "the bearer token is not valid for \(what)")
        error.challenge = presented == nil ? #"Bearer realm="atelier""# : #"Bearer realm="atelier", error="invalid_token""#
        return error
    }

    /// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
    static func bearer(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    /// Equal strings, in time that depends on the lengths only, not on where they first differ.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt64(x.count ^ y.count)
        for i in 0..<max(x.count, y.count) {
            difference |= UInt64((i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0))
        }
        return difference == 0
    }

    /// A token from the environment: `NAME`, or the first line of the file `NAME_FILE` (a
    /// Kubernetes secret mounted as a file).
    public static func token(_ name: String, environment: [String: String]) throws -> String? {
        if let value = environment[name] { return nonEmpty(value) }
        guard let path = environment["\(name)_FILE"] else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw ServiceError("\(name)_FILE: cannot read \(path)") }
        guard let token = nonEmpty(String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "") else {
            throw ServiceError("\(name)_FILE: \(path) holds no token")
        }
        return token
    }

    /// One line for the start-up log.
    public var summary: String {
        switch (writeToken, readToken) {
        case (nil, nil): return "writes are OPEN to anyone who can reach the port (set ATELIER_API_TOKEN)"
        case (_?, nil): return "writes need the API token; reads and /stylize are open"
        case (nil, _?): return "reads need the read token; writes are OPEN (set ATELIER_API_TOKEN)"
        case (_?, _?): return "writes need the API token; reads need the read or API token"
        }
    }
}
