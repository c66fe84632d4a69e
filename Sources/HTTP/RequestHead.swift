/// Everything before the body: what the parser knows once the empty line has arrived.
public struct RequestHead: Sendable {
    public var method: String
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// How the body is delimited.
    public var framing: BodyFraming
    /// `Expect: 100-continue` on an HTTP/1.1 request.
    public var expectsContinue: Bool

    public enum BodyFraming: Sendable, Equatable {
        case contentLength(Int)
        case chunked
    }

    /// Whether bytes of a body follow the head.
    public var hasBody: Bool {
        if case .contentLength(0) = framing { return false }
        return true
    }
}
