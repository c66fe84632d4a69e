/// Why a request was rejected by the parser: the status to answer with and the
/// machine-readable `code` / human `message` of the JSON error body.
public struct HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String

    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status) \(code): \(message)" }

    static func malformed(_ message: String) -> HTTPParseError {
        HTTPParseError(status: 400, code: "malformed_request", message: message)
    }

    static func headerTooLarge(_ message: String) -> HTTPParseError {
        HTTPParseError(status: 431, code: "header_too_large", message: message)
    }

    static let uriTooLong = HTTPParseError(
        status: 414, code: "uri_too_long", message: "The request line exceeds the limit.")

    static func payloadTooLarge(limit: Int) -> HTTPParseError {
        HTTPParseError(status: 413, code: "payload_too_large",
                       message: "The request body exceeds the limit of \(limit) bytes.")
    }

    static func unsupportedTransferEncoding(_ value: String) -> HTTPParseError {
        HTTPParseError(status: 501, code: "unsupported_transfer_encoding",
                       message: "Transfer-Encoding '\(value)' is not supported; only 'chunked' is.")
    }

    static func versionNotSupported(_ version: String) -> HTTPParseError {
        HTTPParseError(status: 505, code: "version_not_supported",
                       message: "\(version) is not supported; use HTTP/1.0 or HTTP/1.1.")
    }
}
