import HTTP

/// What a `RequestParser` makes of some bytes, as text: every event in order, then how it ended
/// (an error, or waiting for more input). Two ways of delivering the same bytes must give the
/// same transcript.
public enum ParseTranscript {
    /// Small limits, so the fuzzer reaches every limit the parser enforces.
    public static let limits: ServerConfig = {
        var config = ServerConfig()
        config.maxRequestLineBytes = 512
        config.maxHeaderBytes = 1024
        config.maxHeaderCount = 12
        config.maxBodyBytes = 8192
        return config
    }()

    /// Feeds `reads` one after another, draining events after each.
    public static func of<Reads: Sequence>(_ reads: Reads) -> [String] where Reads.Element == ArraySlice<UInt8> {
        var parser = RequestParser(limits: limits)
        var lines: [String] = []
        for read in reads {
            parser.append(read)
            do {
                while let event = try parser.next() { lines.append(describe(event)) }
            } catch let error as HTTPParseError {
                precondition((400..<600).contains(error.status), "parse error with status \(error.status)")
                lines.append("error \(error)")
                return lines
            } catch {
                preconditionFailure("the parser threw a non-HTTPParseError: \(error)")
            }
        }
        lines.append("waiting \(parser.progress)")
        return lines
    }

    /// The same bytes as one read, as two reads split at `cut`, and (for short inputs) one byte
    /// per read, checked to parse identically.
    public static func checkSplits(_ bytes: [UInt8], cut: Int) {
        let whole = of([bytes[...]])
        let cut = min(max(cut, 0), bytes.count)
        let split = of([bytes[..<cut], bytes[cut...]])
        precondition(whole == split, "split at \(cut) parses differently:\n\(whole)\nvs\n\(split)")
        if bytes.count <= 600 {
            let single = of(bytes.indices.map { bytes[$0...$0] })
            precondition(whole == single, "byte-at-a-time parses differently:\n\(whole)\nvs\n\(single)")
        }
    }

    static func describe(_ event: RequestParser.Event) -> String {
        switch event {
        case .head(let head):
            return "head \(head.method) \(head.target) \(head.version) \(head.headers) \(head.framing) continue=\(head.expectsContinue)"
        case .request(let r):
            let query = r.queryItems.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
            return "request \(r.method) \(r.path) ?\(query) body=\(r.body) trailers=\(r.trailers) keepAlive=\(r.keepAlive)"
        }
    }
}
