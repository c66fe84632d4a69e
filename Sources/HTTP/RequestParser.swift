/// Incremental HTTP/1.1 request parser.
///
/// Feed bytes as they arrive with `append`, then call `next()` until it returns nil (more
/// input needed). A request split over any number of reads parses exactly like one read; a
/// read holding several pipelined requests yields them one after another.
///
/// For every request `next()` first yields `.head` (so a server can answer
/// `Expect: 100-continue` or reject an oversized declared body before it arrives), then
/// `.request` once the body is complete. After it throws, the parser stays failed: the
/// connection cannot be resynchronised and must be closed.
///
/// Policy decisions (RFC 9112 leaves some choice):
/// - Lines may end in CRLF or a bare LF; a CR anywhere else is rejected.
/// - Up to 8 empty lines before a request line are ignored.
/// - HTTP/1.1 requests must carry exactly one `Host` (400 otherwise); HTTP/1.0 may omit it.
/// - HTTP/1.x with x > 1 is treated as 1.1; any other major version is 505.
/// - Transfer-Encoding is accepted only as exactly `chunked` (other codings → 501), never
///   together with Content-Length, and not on HTTP/1.0 (both → 400).
/// - Content-Length may repeat (or be a list) only with identical values.
public struct RequestParser {
    public enum Event {
        case head(RequestHead)
        case request(HTTPRequest)
    }

    /// Where the parser stands within the current request; drives the server's timeouts.
    public enum Progress: Equatable {
        /// No byte of a next request has arrived yet.
        case betweenRequests
        case head
        case body
    }

    private enum State {
        case requestLine
        case headerLines
        case body(remaining: Int)
        case chunkSizeLine
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailerLines
        case failed(HTTPParseError)
    }

    /// Longest chunk-size line (size plus extensions) accepted.
    static let maxChunkSizeLineBytes = 4096
    private static let maxLeadingEmptyLines = 8

    private let limits: ServerConfig
    private var buffer: [UInt8] = []
    /// First unconsumed byte of `buffer`.
    private var position = 0
    /// Bytes from `position` up to here are known not to contain LF, so a line arriving one
    /// byte at a time is scanned only once.
    private var scannedUpTo = 0
    private var state = State.requestLine

    // The request being assembled.
    private var method = ""
    private var target = ""
    private var version = HTTPVersion.http1_1
    private var headers = HTTPHeaders()
    private var trailers = HTTPHeaders()
    private var sectionBytes = 0
    private var body: [UInt8] = []
    private var leadingEmptyLines = 0

    public init(limits: ServerConfig = ServerConfig()) {
        self.limits = limits
    }

    /// Unconsumed bytes held by the parser.
    public var bufferedByteCount: Int { buffer.count - position }

    public var progress: Progress {
        switch state {
        case .requestLine: return bufferedByteCount == 0 ? .betweenRequests : .head
        case .headerLines, .failed: return .head
        case .body(let remaining): return remaining == 0 ? .head : .body
        case .chunkSizeLine, .chunkData, .chunkDataEnd, .trailerLines: return .body
        }
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        var bytes = bytes[...]
        // Fast path: body bytes of a Content-Length request go straight to the body.
        if case .body(let remaining) = state, remaining > 0, position == buffer.count {
            let direct = min(remaining, bytes.count)
            body.append(contentsOf: bytes.prefix(direct))
            state = .body(remaining: remaining - direct)
            bytes = bytes.dropFirst(direct)
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let array = Array(bytes)
        array.withUnsafeBytes { append($0) }
    }

    /// The next parse event, or nil when more input is needed.
    public mutating func next() throws -> Event? {
        if case .failed(let error) = state { throw error }
        do {
            let event = try step()
            compact()
            return event
        } catch let error as HTTPParseError {
            state = .failed(error)
            throw error
        }
    }

    // MARK: - State machine

    private mutating func step() throws -> Event? {
        while true {
            switch state {
            case .failed(let error):
                throw error

            case .requestLine:
                guard let line = try nextLine(limit: limits.maxRequestLineBytes, tooLong: .uriTooLong) else {
                    return nil
                }
                if line.isEmpty {
                    leadingEmptyLines += 1
                    if leadingEmptyLines > Self.maxLeadingEmptyLines {
                        throw HTTPParseError.malformed("Too many empty lines before the request line.")
                    }
                    continue
                }
                try parseRequestLine(line)
                state = .headerLines

            case .headerLines:
                let budget = limits.maxHeaderBytes - sectionBytes
                let tooLarge = HTTPParseError.headerTooLarge("The header section exceeds \(limits.maxHeaderBytes) bytes.")
                guard let line = try nextLine(limit: budget, tooLong: tooLarge, countsTowardSection: true) else {
                    return nil
                }
                if line.isEmpty {
                    let head = try finishHead()
                    switch head.framing {
                    case .contentLength(let length): state = .body(remaining: length)
                    case .chunked: state = .chunkSizeLine
                    }
                    return .head(head)
                }
                if headers.count >= limits.maxHeaderCount {
                    throw HTTPParseError.headerTooLarge("More than \(limits.maxHeaderCount) header fields.")
                }
                let field = try Self.parseField(line)
                headers.add(name: field.name, value: field.value)

            case .body(let remaining):
                if remaining > 0 {
                    let available = min(remaining, bufferedByteCount)
                    guard available > 0 else { return nil }
                    body.append(contentsOf: buffer[position..<position + available])
                    position += available
                    state = .body(remaining: remaining - available)
                    if available < remaining { return nil }
                }
                return .request(finishRequest())

            case .chunkSizeLine:
                guard let line = try nextLine(limit: Self.maxChunkSizeLineBytes,
                                              tooLong: .malformed("Chunk size line too long.")) else { return nil }
                let size = try Self.parseChunkSize(line)
                if size == 0 {
                    sectionBytes = 0
                    state = .trailerLines
                } else {
                    guard size <= limits.maxBodyBytes - body.count else {
                        throw HTTPParseError.payloadTooLarge(limit: limits.maxBodyBytes)
                    }
                    state = .chunkData(remaining: size)
                }

            case .chunkData(let remaining):
                let available = min(remaining, bufferedByteCount)
                guard available > 0 else { return nil }
                body.append(contentsOf: buffer[position..<position + available])
                position += available
                state = available == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - available)

            case .chunkDataEnd:
                guard bufferedByteCount >= 1 else { return nil }
                if buffer[position] == ASCII.lf {
                    position += 1
                } else if buffer[position] == ASCII.cr {
                    guard bufferedByteCount >= 2 else { return nil }
                    guard buffer[position + 1] == ASCII.lf else {
                        throw HTTPParseError.malformed("Chunk data not followed by CRLF.")
                    }
                    position += 2
                } else {
                    throw HTTPParseError.malformed("Chunk data longer than its declared size.")
                }
                scannedUpTo = position
                state = .chunkSizeLine

            case .trailerLines:
                let budget = limits.maxHeaderBytes - sectionBytes
                let tooLarge = HTTPParseError.headerTooLarge("The trailer section exceeds \(limits.maxHeaderBytes) bytes.")
                guard let line = try nextLine(limit: budget, tooLong: tooLarge, countsTowardSection: true) else {
                    return nil
                }
                if line.isEmpty {
                    return .request(finishRequest())
                }
                if trailers.count >= limits.maxHeaderCount {
                    throw HTTPParseError.headerTooLarge("More than \(limits.maxHeaderCount) trailer fields.")
                }
                let field = try Self.parseField(line)
                trailers.add(name: field.name, value: field.value)
            }
        }
    }

    /// Next line without its terminator (CRLF or LF), or nil if no full line is buffered yet.
    /// Throws `tooLong` as soon as the line is known to exceed `limit` bytes, so an endless
    /// line is rejected without buffering it.
    private mutating func nextLine(limit: Int, tooLong: HTTPParseError,
                                   countsTowardSection: Bool = false) throws -> [UInt8]? {
        let start = position
        guard let lf = ByteSearch.firstIndex(of: ASCII.lf, in: buffer, from: max(start, scannedUpTo)) else {
            scannedUpTo = buffer.count
            // +1 leaves room for the CR of a CRLF that has not been completed yet.
            if buffer.count - start > limit + 1 { throw tooLong }
            return nil
        }
        var end = lf
        if end > start && buffer[end - 1] == ASCII.cr { end -= 1 }
        let consumed = lf + 1 - start
        if end - start > limit || (countsTowardSection && consumed > limit) { throw tooLong }
        position = lf + 1
        scannedUpTo = position
        if countsTowardSection { sectionBytes += consumed }
        return Array(buffer[start..<end])
    }

    /// Drops consumed bytes once they dominate the buffer, keeping appends amortised O(1).
    private mutating func compact() {
        if position == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
            position = 0
            scannedUpTo = 0
        } else if position > 4096 && position > buffer.count / 2 {
            buffer.removeSubrange(0..<position)
            scannedUpTo -= position
            position = 0
        }
    }

    // MARK: - Pieces

    private mutating func parseRequestLine(_ line: [UInt8]) throws {
        let parts = line.split(separator: ASCII.space, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw HTTPParseError.malformed("The request line must be 'METHOD target HTTP/x.y'.")
        }
        let methodBytes = parts[0], targetBytes = parts[1], versionBytes = parts[2]
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(ASCII.isTokenChar) else {
            throw HTTPParseError.malformed("Invalid method.")
        }
        guard !targetBytes.isEmpty, targetBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw HTTPParseError.malformed("Invalid request target.")
        }
        version = try Self.parseVersion(versionBytes)
        method = String(decoding: methodBytes, as: UTF8.self)
        target = String(decoding: targetBytes, as: UTF8.self)
        guard RequestTarget.isAcceptableForm(target) else {
            throw HTTPParseError.malformed("Unsupported request target form.")
        }
        guard RequestTarget.decodePath(RequestTarget.split(target).rawPath) != nil else {
            throw HTTPParseError.malformed("Invalid percent-encoding in the request path.")
        }
    }

    private static func parseVersion(_ bytes: ArraySlice<UInt8>) throws -> HTTPVersion {
        let text = Array(bytes)
        guard text.count == 8, Array(text[0..<5]) == Array("HTTP/".utf8), text[6] == UInt8(ascii: "."),
              let major = digit(text[5]), let minor = digit(text[7]) else {
            throw HTTPParseError.malformed("Invalid HTTP version.")
        }
        guard major == 1 else {
            throw HTTPParseError.versionNotSupported("HTTP/\(major).\(minor)")
        }
        return HTTPVersion(major: 1, minor: minor)
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (0x30...0x39).contains(byte) ? Int(byte - 0x30) : nil
    }

    /// "Name: value" → trimmed parts, rejecting obs-fold, whitespace before the colon,
    /// non-token names and control characters in values.
    static func parseField(_ line: [UInt8]) throws -> (name: String, value: String) {
        if line.first == ASCII.space || line.first == ASCII.tab {
            throw HTTPParseError.malformed("Obsolete line folding is not supported.")
        }
        guard let colon = line.firstIndex(of: ASCII.colon), colon > 0 else {
            throw HTTPParseError.malformed("Header line without a name and colon.")
        }
        let name = line[..<colon]
        guard name.allSatisfy(ASCII.isTokenChar) else {
            throw HTTPParseError.malformed("Invalid header name.")
        }
        var value = line[(colon + 1)...]
        guard value.allSatisfy(ASCII.isFieldValueChar) else {
            throw HTTPParseError.malformed("Invalid character in a header value.")
        }
        while let first = value.first, first == ASCII.space || first == ASCII.tab { value = value.dropFirst() }
        while let last = value.last, last == ASCII.space || last == ASCII.tab { value = value.dropLast() }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// "1A;ext=1" → 26. Extensions are ignored (but must not contain control characters).
    static func parseChunkSize(_ line: [UInt8]) throws -> Int {
        var size = 0
        var index = 0
        while index < line.count, let value = ASCII.hexValue(line[index]) {
            // 15 hex digits already exceed any body limit; stop before Int overflows.
            guard index < 15 else { throw HTTPParseError.malformed("Chunk size too large.") }
            size = size << 4 | value
            index += 1
        }
        guard index > 0 else { throw HTTPParseError.malformed("Invalid chunk size.") }
        var rest = line[index...]
        while let first = rest.first, first == ASCII.space || first == ASCII.tab { rest = rest.dropFirst() }
        guard rest.isEmpty || rest.first == UInt8(ascii: ";") else {
            throw HTTPParseError.malformed("Invalid chunk size.")
        }
        guard rest.allSatisfy(ASCII.isFieldValueChar) else {
            throw HTTPParseError.malformed("Invalid character in a chunk extension.")
        }
        return size
    }

    private func finishHead() throws -> RequestHead {
        let hostCount = headers.values("Host").count
        if hostCount > 1 { throw HTTPParseError.malformed("More than one Host header.") }
        if hostCount == 0 && version.minor >= 1 {
            throw HTTPParseError.malformed("HTTP/1.1 requests must include a Host header.")
        }

        let framing: RequestHead.BodyFraming
        let transferCodings = headers.tokens("Transfer-Encoding")
        let lengthValues = headers.values("Content-Length")
        if headers.contains("Transfer-Encoding") {
            guard lengthValues.isEmpty else {
                throw HTTPParseError.malformed("Both Transfer-Encoding and Content-Length are present.")
            }
            guard version.minor >= 1 else {
                throw HTTPParseError.malformed("Transfer-Encoding is not allowed in HTTP/1.0.")
            }
            if transferCodings == ["chunked"] {
                framing = .chunked
            } else if transferCodings.dropLast().contains("chunked") || transferCodings.isEmpty {
                throw HTTPParseError.malformed("Invalid Transfer-Encoding.")
            } else if transferCodings.last != "chunked" {
                throw HTTPParseError.unsupportedTransferEncoding(headers.values("Transfer-Encoding").joined(separator: ", "))
            } else {
                throw HTTPParseError.unsupportedTransferEncoding(transferCodings.dropLast().joined(separator: ", "))
            }
        } else if !lengthValues.isEmpty {
            framing = .contentLength(try contentLength(from: lengthValues))
        } else {
            framing = .contentLength(0)
        }

        let expectsContinue = version.minor >= 1
            && headers.values("Expect").contains { $0.lowercased() == "100-continue" }
        return RequestHead(method: method, target: target, version: version, headers: headers,
                           framing: framing, expectsContinue: expectsContinue)
    }

    /// All Content-Length values (each possibly a comma list) must be the same decimal number.
    private func contentLength(from values: [String]) throws -> Int {
        let items = values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingASCIIWhitespace() }
        guard let first = items.first, items.allSatisfy({ $0 == first }) else {
            throw HTTPParseError.malformed("Conflicting Content-Length values.")
        }
        guard !first.isEmpty, first.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw HTTPParseError.malformed("Content-Length must be a non-negative decimal number.")
        }
        guard let length = Int(first), length <= limits.maxBodyBytes else {
            throw HTTPParseError.payloadTooLarge(limit: limits.maxBodyBytes)
        }
        return length
    }

    private mutating func finishRequest() -> HTTPRequest {
        let request = HTTPRequest(method: method, target: target, version: version,
                                  headers: headers, body: body, trailers: trailers)
        headers = HTTPHeaders()
        trailers = HTTPHeaders()
        body = []
        sectionBytes = 0
        leadingEmptyLines = 0
        state = .requestLine
        return request
    }
}
