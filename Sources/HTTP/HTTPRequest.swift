/// The protocol version from a request line, e.g. 1.1.
public struct HTTPVersion: Sendable, Equatable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    public var description: String { "HTTP/\(major).\(minor)" }
}

/// A complete request as handed to an `HTTPHandler`.
public struct HTTPRequest: Sendable {
    /// Method exactly as sent (case-sensitive, e.g. "GET", "HEAD", "POST").
    public var method: String
    /// Request target exactly as sent, e.g. "/v1/stylize?style=mosaic".
    public var target: String
    /// Percent-decoded path without the query ("*" for `OPTIONS *`; for an absolute-form
    /// target the path part of the URL). `+` is not special in paths.
    public var path: String
    /// Query parameters in order, percent-decoded with `+` meaning space.
    public var queryItems: [(name: String, value: String)]
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// Trailer fields of a chunked body (empty otherwise).
    public var trailers: HTTPHeaders
    public var body: [UInt8]
    /// Peer address as "ip:port".
    public var remoteAddress: String

    /// Builds a request, deriving `path` and `queryItems` from `target`. A target whose path
    /// is not validly percent-encoded keeps the raw path (the parser rejects such requests
    /// before they get here).
    public init(
        method: String,
        target: String,
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [],
        trailers: HTTPHeaders = HTTPHeaders(),
        remoteAddress: String = ""
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.trailers = trailers
        self.remoteAddress = remoteAddress
        let parts = RequestTarget.split(target)
        self.path = RequestTarget.decodePath(parts.rawPath) ?? parts.rawPath
        self.queryItems = parts.rawQuery.map(RequestTarget.parseQuery) ?? []
    }

    /// Query parameters by name; when a name repeats, the first value wins.
    public var query: [String: String] {
        var result: [String: String] = [:]
        for item in queryItems where result[item.name] == nil {
            result[item.name] = item.value
        }
        return result
    }

    /// Whether the connection may stay open after this request: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool {
        let tokens = headers.tokens("Connection")
        if version.major == 1 && version.minor == 0 {
            return tokens.contains("keep-alive") && !tokens.contains("close")
        }
        return !tokens.contains("close")
    }
}

/// Splitting and decoding of request targets (RFC 9112 §3.2).
enum RequestTarget {
    /// Separates the raw (still encoded) path from the raw query. Handles origin-form
    /// ("/a?b"), absolute-form ("http://host/a?b") and asterisk-form ("*").
    static func split(_ target: String) -> (rawPath: String, rawQuery: String?) {
        var rest = Substring(target)
        let lower = target.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
            rest = rest[rest.index(rest.firstIndex(of: ":")!, offsetBy: 3)...]
            if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) {
                rest = rest[slash...]
            } else {
                rest = ""
            }
            if !rest.hasPrefix("/") { rest = "/" + rest }
        }
        if let questionMark = rest.firstIndex(of: "?") {
            return (String(rest[..<questionMark]), String(rest[rest.index(after: questionMark)...]))
        }
        return (String(rest), nil)
    }

    /// Whether the parser should accept this target form at all.
    static func isAcceptableForm(_ target: String) -> Bool {
        if target == "*" || target.hasPrefix("/") { return true }
        let lower = target.lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    /// Strict percent-decoding of a path: nil for a broken escape, invalid UTF-8 or NUL.
    static func decodePath(_ raw: String) -> String? {
        guard let decoded = percentDecode(raw, plusAsSpace: false, strict: true) else { return nil }
        return decoded.contains("\0") ? nil : decoded
    }

    /// Lenient query parsing: "a=1&b=x+y&c" → [("a","1"), ("b","x y"), ("c","")].
    /// Malformed escapes are kept literally rather than failing the request.
    static func parseQuery(_ raw: String) -> [(name: String, value: String)] {
        raw.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let name: Substring, value: Substring
            if let equals = pair.firstIndex(of: "=") {
                name = pair[..<equals]
                value = pair[pair.index(after: equals)...]
            } else {
                name = pair
                value = ""
            }
            return (
                name: percentDecode(name, plusAsSpace: true, strict: false) ?? String(name),
                value: percentDecode(value, plusAsSpace: true, strict: false) ?? String(value)
            )
        }
    }

    /// Decodes %XX escapes (and optionally `+` as space). With `strict`, a '%' not followed
    /// by two hex digits or a result that is not UTF-8 yields nil; otherwise such bytes are
    /// kept as they are and invalid UTF-8 is repaired.
    static func percentDecode<S: StringProtocol>(_ text: S, plusAsSpace: Bool, strict: Bool) -> String? {
        let input = Array(text.utf8)
        guard input.contains(UInt8(ascii: "%")) || (plusAsSpace && input.contains(UInt8(ascii: "+"))) else {
            return String(text)
        }
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "%") {
                if index + 2 < input.count,
                   let high = ASCII.hexValue(input[index + 1]), let low = ASCII.hexValue(input[index + 2]) {
                    output.append(UInt8(high << 4 | low))
                    index += 3
                    continue
                }
                if strict { return nil }
                output.append(byte)
            } else if byte == UInt8(ascii: "+") && plusAsSpace {
                output.append(UInt8(ascii: " "))
            } else {
                output.append(byte)
            }
            index += 1
        }
        if strict { return String(validating: output, as: UTF8.self) }
        return String(decoding: output, as: UTF8.self)
    }
}
