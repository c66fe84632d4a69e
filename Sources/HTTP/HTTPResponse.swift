import Foundation

/// A response produced by a handler. The server adds `Date`, `Content-Length` and, when it
/// will close the connection, `Connection: close`; any such fields set here are replaced.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A body of arbitrary bytes with the given media type.
    public static func bytes(status: Int = 200, contentType: String, body: [UInt8],
                             headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var headers = headers
        headers.set(name: "Content-Type", value: contentType)
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    /// Plain UTF-8 text.
    public static func text(status: Int = 200, _ text: String) -> HTTPResponse {
        bytes(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    /// Already-encoded JSON bytes.
    public static func json(status: Int = 200, _ jsonBytes: [UInt8],
                            headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        bytes(status: status, contentType: "application/json", body: jsonBytes, headers: headers)
    }

    /// Encodes `value` with `encoder`. If encoding fails the result is a 500
    /// `internal_error` response instead (a handler bug, not the client's fault).
    public static func json<Value: Encodable>(status: Int = 200, _ value: Value,
                                              encoder: JSONEncoder = JSONEncoder()) -> HTTPResponse {
        do {
            return bytes(status: status, contentType: "application/json", body: Array(try encoder.encode(value)))
        } catch {
            return .error(status: 500, code: "internal_error", message: "Could not encode the response.")
        }
    }

    /// The service-wide error shape: `{"error": {"code": "...", "message": "..."}}`.
    /// `retryAfter` (seconds) adds a `Retry-After` header; `headers` are added as well.
    public static func error(status: Int, code: String, message: String,
                             retryAfter: Int? = nil, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        struct Body: Encodable {
            struct Detail: Encodable { let code: String; let message: String }
            let error: Detail
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(Body(error: .init(code: code, message: message)))).map(Array.init)
            ?? Array(#"{"error":{"code":"internal_error","message":""}}"#.utf8)
        var headers = headers
        if let retryAfter { headers.set(name: "Retry-After", value: String(retryAfter)) }
        return Self.bytes(status: status, contentType: "application/json", body: bytes, headers: headers)
    }

    /// The error response for a rejected request.
    public static func error(_ parseError: HTTPParseError) -> HTTPResponse {
        error(status: parseError.status, code: parseError.code, message: parseError.message)
    }

    /// Standard reason phrase for `status` ("Unknown" for codes not listed).
    public static func reasonPhrase(for status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 417: return "Expectation Failed"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Unknown"
        }
    }
}
