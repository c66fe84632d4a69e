/// One part of a `multipart/form-data` body.
public struct MultipartPart: Sendable {
    /// The form field name from `Content-Disposition: form-data; name="..."`.
    public var name: String
    /// The `filename` (or decoded UTF-8 `filename*`) parameter, if any.
    public var filename: String?
    /// The part's own `Content-Type`, if any.
    public var contentType: String?
    /// All header fields of the part, in order.
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(name: String, filename: String? = nil, contentType: String? = nil,
                headers: HTTPHeaders = HTTPHeaders(), body: [UInt8]) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }
}

public enum MultipartError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The content type is not `multipart/form-data`.
    case notMultipartFormData
    /// No usable `boundary` parameter (absent, empty, longer than 70 characters).
    case missingBoundary
    /// The body does not contain the first `--boundary` line.
    case missingOpeningDelimiter
    /// The body ends before the closing `--boundary--`.
    case missingClosingDelimiter
    /// A part lacks `Content-Disposition: form-data` with a `name`.
    case missingName
    case tooManyParts(limit: Int)
    case partHeaderTooLarge(limit: Int)
    case malformed(String)

    public var description: String {
        switch self {
        case .notMultipartFormData: return "The content type is not multipart/form-data."
        case .missingBoundary: return "The multipart content type has no valid boundary parameter."
        case .missingOpeningDelimiter: return "The multipart body does not start with the boundary."
        case .missingClosingDelimiter: return "The multipart body has no closing boundary."
        case .missingName: return "A multipart part has no form-data name."
        case .tooManyParts(let limit): return "The multipart body has more than \(limit) parts."
        case .partHeaderTooLarge(let limit): return "A multipart part's headers exceed \(limit) bytes."
        case .malformed(let reason): return "Malformed multipart body: \(reason)"
        }
    }
}

/// `multipart/form-data` (RFC 7578) parsing of a fully received body.
public enum Multipart {
    public static let defaultMaxParts = 32
    public static let defaultMaxPartHeaderBytes = 8 * 1024

    /// Splits `body` into its parts. Preamble and epilogue are ignored; lines may end in
    /// CRLF (the standard) or bare LF between headers, but part bodies are delimited by
    /// exactly CRLF + "--" + boundary, so binary content is returned untouched.
    public static func parse(body: [UInt8], contentType: String,
                             maxParts: Int = defaultMaxParts,
                             maxPartHeaderBytes: Int = defaultMaxPartHeaderBytes) throws -> [MultipartPart] {
        let boundary = try self.boundary(fromContentType: contentType)
        let dashBoundary = Array("--\(boundary)".utf8)
        let delimiter = Array("\r\n--\(boundary)".utf8)

        // The first boundary line may open the body or follow a preamble.
        var cursor: Int
        if body.starts(with: dashBoundary) {
            cursor = dashBoundary.count
        } else if let found = ByteSearch.firstIndex(of: delimiter, in: body, from: 0) {
            cursor = found + delimiter.count
        } else {
            throw MultipartError.missingOpeningDelimiter
        }

        var parts: [MultipartPart] = []
        while true {
            // Right after a boundary: "--" closes the body, otherwise padding then a line end.
            if body[cursor...].starts(with: [UInt8(ascii: "-"), UInt8(ascii: "-")]) {
                return parts
            }
            while cursor < body.count, body[cursor] == ASCII.space || body[cursor] == ASCII.tab { cursor += 1 }
            if body[cursor...].starts(with: [ASCII.cr, ASCII.lf]) {
                cursor += 2
            } else if cursor < body.count, body[cursor] == ASCII.lf {
                cursor += 1
            } else if cursor >= body.count {
                throw MultipartError.missingClosingDelimiter
            } else {
                throw MultipartError.malformed("unexpected bytes after a boundary")
            }
            guard parts.count < maxParts else { throw MultipartError.tooManyParts(limit: maxParts) }

            let (headers, bodyStart) = try parsePartHeaders(body, from: cursor, limit: maxPartHeaderBytes)
            guard let end = ByteSearch.firstIndex(of: delimiter, in: body, from: bodyStart) else {
                throw MultipartError.missingClosingDelimiter
            }
            parts.append(try makePart(headers: headers, body: Array(body[bodyStart..<end])))
            cursor = end + delimiter.count
        }
    }

    /// The `boundary` parameter of a `multipart/form-data` content type (quoted or not).
    public static func boundary(fromContentType contentType: String) throws -> String {
        let parsed = HeaderParameters(contentType)
        guard parsed.value == "multipart/form-data" else { throw MultipartError.notMultipartFormData }
        guard let boundary = parsed.parameters["boundary"], !boundary.isEmpty, boundary.utf8.count <= 70 else {
            throw MultipartError.missingBoundary
        }
        return boundary
    }

    /// Header lines up to the empty line; returns them and the index where the body starts.
    private static func parsePartHeaders(_ body: [UInt8], from start: Int, limit: Int) throws -> (HTTPHeaders, Int) {
        var headers = HTTPHeaders()
        var lineStart = start
        while true {
            guard let lf = ByteSearch.firstIndex(of: ASCII.lf, in: body, from: lineStart),
                  lf - start <= limit else {
                if body.count - start > limit { throw MultipartError.partHeaderTooLarge(limit: limit) }
                throw MultipartError.missingClosingDelimiter
            }
            var lineEnd = lf
            if lineEnd > lineStart, body[lineEnd - 1] == ASCII.cr { lineEnd -= 1 }
            if lineEnd == lineStart { return (headers, lf + 1) }
            do {
                let field = try RequestParser.parseField(Array(body[lineStart..<lineEnd]))
                headers.add(name: field.name, value: field.value)
            } catch {
                throw MultipartError.malformed("invalid part header line")
            }
            lineStart = lf + 1
        }
    }

    private static func makePart(headers: HTTPHeaders, body: [UInt8]) throws -> MultipartPart {
        guard let disposition = headers["Content-Disposition"] else { throw MultipartError.missingName }
        let parsed = HeaderParameters(disposition)
        guard parsed.value == "form-data", let name = parsed.parameters["name"], !name.isEmpty else {
            throw MultipartError.missingName
        }
        var filename = parsed.parameters["filename"]
        if let extended = parsed.parameters["filename*"], let decoded = decodeExtendedValue(extended) {
            filename = decoded
        }
        return MultipartPart(name: name, filename: filename, contentType: headers["Content-Type"],
                             headers: headers, body: body)
    }

    /// RFC 8187 `UTF-8''percent%20encoded` values; other charsets are not supported.
    private static func decodeExtendedValue(_ value: String) -> String? {
        let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].lowercased() == "utf-8" else { return nil }
        return RequestTarget.percentDecode(pieces[2], plusAsSpace: false, strict: true)
    }
}
