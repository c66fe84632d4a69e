import HTTP

/// A request the service refuses, with the status and machine-readable code it is answered with.
struct APIError: Error {
    let status: Int
    let code: String
    let message: String
    var retryAfter: Int? = nil
    /// For a 401: the `WWW-Authenticate` challenge.
    var challenge: String? = nil

    var response: HTTPResponse {
        var r = HTTPResponse.error(status: status, code: code, message: message, retryAfter: retryAfter)
        if let challenge { r.headers.set(name: "WWW-Authenticate", value: challenge) }
        return r
    }

    static func badRequest(_ message: String, code: String = "invalid_parameter") -> APIError {
        APIError(status: 400, code: code, message: message)
    }
    static func notFound(_ message: String, code: String = "not_found") -> APIError {
        APIError(status: 404, code: code, message: message)
    }
    static func unsupportedMediaType(_ message: String) -> APIError {
        APIError(status: 415, code: "unsupported_media_type", message: message)
    }
    static func unprocessable(_ message: String, code: String = "unusable_image") -> APIError {
        APIError(status: 422, code: code, message: message)
    }
}

extension APIError: CustomStringConvertible {
    var description: String { message }
}
