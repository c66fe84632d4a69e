import Foundation

/// Up to `size` connections to one database, shared by threads: a caller borrows one for the
/// length of a closure (one statement, or a transaction). Connections open on first need and
/// are kept; a borrower waits at most `waitSeconds` for a free one.
public final class PostgresPool: @unchecked Sendable {
    public let url: String
    public let size: Int
    public let waitSeconds: TimeInterval
    private let lock = NSLock()
    private let available: DispatchSemaphore
    private var idle: [PostgresConnection] = []

    /// Opens one connection at once, so a wrong URL or an unreachable server fails here.
    public init(url: String, size: Int = 4, waitSeconds: TimeInterval = 30) throws {
        precondition(size > 0)
        (self.url, self.size, self.waitSeconds) = (url, size, waitSeconds)
        available = DispatchSemaphore(value: size)
        idle = [try PostgresConnection(url: url)]
    }

    public func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        guard available.wait(timeout: .now() + waitSeconds) == .success else {
            throw PostgresError(.poolExhausted, "all \(size) connections stayed busy for \(Int(waitSeconds)) s")
        }
        defer { available.signal() }
        let connection = try lock.withLock { idle.popLast() } ?? PostgresConnection(url: url)
        defer { lock.withLock { idle.append(connection) } }
        return try body(connection)
    }

    /// One statement on a pooled connection (see `PostgresConnection.query`).
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = [], idempotent: Bool = false) throws -> [PostgresRow] {
        try withConnection { try $0.query(sql, parameters, idempotent: idempotent) }
    }

    /// `body` in a transaction on one pooled connection.
    @discardableResult
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try withConnection { c in try c.transaction { try body(c) } }
    }
}
