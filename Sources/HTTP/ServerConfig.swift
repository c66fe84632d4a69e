import Foundation

/// Tunables of an `HTTPServer`: where it listens and every limit it enforces.
///
/// Each limit violation is answered with a JSON error (see `HTTPResponse.error`) and the
/// connection is closed afterwards, except `idleKeepAliveTimeout`, which closes silently.
public struct ServerConfig: Sendable {
    /// IPv4 address to bind, e.g. "0.0.0.0" or "127.0.0.1".
    public var host: String
    /// TCP port; 0 picks an ephemeral port (`HTTPServer.start()` returns the bound one).
    public var port: Int
    /// `listen(2)` backlog.
    public var backlog: Int32 = 128

    /// Longest accepted request line (method, target, version), in bytes. Exceeding it → 414.
    public var maxRequestLineBytes = 8 * 1024
    /// Total size of the header section (and separately of a chunked trailer section). → 431.
    public var maxHeaderBytes = 16 * 1024
    /// Most header fields per request (and per trailer section). → 431.
    public var maxHeaderCount = 100
    /// Largest request body, declared or chunked. → 413.
    public var maxBodyBytes = 32 * 1024 * 1024

    /// Connections served at once. Further clients are accepted, sent 503 with
    /// `Retry-After: 1`, and closed.
    public var maxConnections = 256
    /// Complete requests buffered per connection while an earlier one is being handled.
    /// When reached, the server stops reading from that connection (back-pressure, no error).
    public var maxPipelinedRequests = 16

    /// The whole request head must arrive within this many seconds of its first byte
    /// (for a new connection: of the accept). Slowloris defence. → 408.
    public var headerReadTimeout: TimeInterval = 10
    /// The whole body must arrive within this many seconds after the head. → 408.
    public var bodyReadTimeout: TimeInterval = 60
    /// A keep-alive connection with nothing in progress is closed silently after this long.
    public var idleKeepAliveTimeout: TimeInterval = 30
    /// Writing a response may stall (the peer taking none of it) for at most this long; then the
    /// connection is closed and the unsent rest dropped, so a client that never reads cannot keep
    /// a connection slot and the response's memory. Every write that makes progress restarts it.
    public var sendTimeout: TimeInterval = 30
    /// The handler must answer within this many seconds. → 503 `deadline_exceeded`.
    public var requestDeadline: TimeInterval = 120
    /// After the last response on a closing connection the server half-closes and keeps
    /// discarding input for at most this long, so the client sees the response instead of a
    /// TCP reset caused by unread data.
    public var lingerTimeout: TimeInterval = 2

    public init(host: String = "0.0.0.0", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}
