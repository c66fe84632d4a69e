import HTTP
import XCTest

/// Property: however a valid byte stream is cut into reads, the parser yields the same heads and
/// requests as from one read. Every two-way cut of each stream is tried, then random cuts into
/// several reads (fixed seed, bounded count). Fuzz/HTTPRequestFuzzer checks the same for any input.
final class RequestSplitPropertyTests: XCTestCase {
    static let streams: [String] = [
        "GET /styles?model=stylebank&q=a+b%21 HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n",
        "POST /stylize?style=3:0.5,12:0.5 HTTP/1.1\r\nHost: h\r\nContent-Type: image/png\r\nContent-Length: 12\r\n\r\n\u{89}PNG\r\n\u{1a}\nabcd",
        "POST /styles HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nWiki\r\nA\r\npedia in\r\n\r\n0\r\nX-Checksum: 7\r\n\r\n",
        "POST /a HTTP/1.1\nHost: h\nExpect: 100-continue\nContent-Length: 3\n\nabc"
            + "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
            + "DELETE /jobs/7 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        "\r\n\r\nGET http://example.com/p%20q?x=%2F HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0, 0\r\n\r\n",
    ]

    /// Everything the parser reports, as comparable text.
    private func transcript(_ reads: [ArraySlice<UInt8>], file: StaticString = #filePath, line: UInt = #line) -> [String] {
        var parser = RequestParser()
        var events: [String] = []
        for read in reads {
            parser.append(read)
            do {
                while let event = try parser.next() {
                    switch event {
                    case .head(let h):
                        events.append("head \(h.method) \(h.target) \(h.version) \(h.headers) \(h.framing) \(h.expectsContinue)")
                    case .request(let r):
                        events.append("request \(r.method) \(r.path) \(r.queryItems.map { "\($0.name)=\($0.value)" }) \(r.headers) \(r.body) \(r.trailers) \(r.keepAlive)")
                    }
                }
            } catch {
                XCTFail("a valid stream was rejected: \(error)", file: file, line: line)
                return events
            }
        }
        events.append("left \(parser.bufferedByteCount) \(parser.progress)")
        return events
    }

    func testEveryTwoWayCutParsesLikeOneRead() {
        for stream in Self.streams {
            let bytes = Array(stream.utf8)
            let whole = transcript([bytes[...]])
            XCTAssertEqual(whole.filter { $0.hasPrefix("request") }.count, stream.components(separatedBy: "HTTP/1.").count - 1)
            for cut in 0...bytes.count {
                XCTAssertEqual(transcript([bytes[..<cut], bytes[cut...]]), whole, "cut at \(cut) of \(stream.debugDescription)")
            }
        }
    }

    func testRandomCutsIntoManyReadsParseLikeOneRead() {
        var random = SeededGenerator(state: 0x5eed)
        for stream in Self.streams {
            let bytes = Array(stream.utf8)
            let whole = transcript([bytes[...]])
            for _ in 0..<200 {
                let cuts = (0..<Int.random(in: 1...12, using: &random)).map { _ in Int.random(in: 0...bytes.count, using: &random) }.sorted()
                let bounds = [0] + cuts + [bytes.count]
                let reads = zip(bounds, bounds.dropFirst()).map { bytes[$0..<$1] }
                XCTAssertEqual(transcript(reads), whole, "cuts \(cuts) of \(stream.debugDescription)")
            }
        }
    }
}

/// SplitMix64, so the random cuts are the same on every run.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

