/// Turns a response into HTTP/1.1 wire bytes.
enum ResponseWriter {
    /// Fields the server owns; a handler's values for them are dropped.
    private static let serverOwnedFields = ["Content-Length", "Date", "Connection", "Transfer-Encoding"]

    /// - Parameters:
    ///   - forHeadRequest: omit the body but keep its `Content-Length`. If the handler
    ///     answered HEAD with an empty body and its own `Content-Length`, that one is kept.
    ///   - keepAlive: false adds `Connection: close`.
    ///   - http10Client: an HTTP/1.0 client needs `Connection: keep-alive` to stay open.
    static func serialize(_ response: HTTPResponse, forHeadRequest: Bool, keepAlive: Bool,
                          http10Client: Bool, date: String = HTTPDate.now()) -> [UInt8] {
        let status = response.status
        // 1xx and 204 must not carry a body or Content-Length; 304 has no body.
        let bodyForbidden = (100...199).contains(status) || status == 204
        let sendsBody = !forHeadRequest && !bodyForbidden && status != 304

        var head = "HTTP/1.1 \(status) \(HTTPResponse.reasonPhrase(for: status))\r\n"
        for field in response.headers where !serverOwnedFields.contains(where: { HTTPHeaders.namesEqual($0, field.name) }) {
            head += "\(sanitized(field.name)): \(sanitized(field.value))\r\n"
        }
        head += "Date: \(date)\r\n"
        if !bodyForbidden {
            var length = String(response.body.count)
            if forHeadRequest, response.body.isEmpty, let declared = response.headers["Content-Length"],
               !declared.isEmpty, declared.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                length = declared
            }
            head += "Content-Length: \(length)\r\n"
        }
        if !keepAlive {
            head += "Connection: close\r\n"
        } else if http10Client {
            head += "Connection: keep-alive\r\n"
        }
        head += "\r\n"

        var bytes = Array(head.utf8)
        if sendsBody { bytes.append(contentsOf: response.body) }
        return bytes
    }

    /// Strips CR and LF so a handler-supplied value cannot inject extra header lines.
    private static func sanitized(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == ASCII.cr || $0 == ASCII.lf }) else { return text }
        return String(text.map { $0 == "\r" || $0 == "\n" || $0 == "\r\n" ? " " : $0 })
    }

    static let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}
