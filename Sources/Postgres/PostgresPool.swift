import Foundation

/// Up to `size` connections to one database, shared by threads: a caller borrows one for the
/// length of a closure (one statement, or a transaction). Connections open on first need and
/// are kept; a borrower waits at most `waitSeconds` for a free one.
///
/// Once a borrower finds the server unreachable, the pool fails fast: until a borrower gets
/// through again, one borrower at a time tries to reach it (with the connection's reconnect
/// attempts) while the others fail at once with a `.connect` error, instead of each waiting
/// through the attempts and holding connections meanwhile.
public final class PostgresPool: @unchecked Sendable {
    public let url: String
    public let size: Int
    public let waitSeconds: TimeInterval
    private let lock = NSLock()
    private let available: DispatchSemaphore
    private var idle: [PostgresConnection] = []
    /// The reconnect attempts of a borrowed connection (`PostgresConnection.reconnectDelays`):
    /// shorter than a lone connection's, since the pool fails fast for the others meanwhile and
    /// its users retry at their own pace.
    public var reconnectDelays: [TimeInterval] = [0, 0.25, 0.5, 1]
    private var unreachable: (since: Date, error: PostgresError)?
    private var probing = false

    /// Opens one connection at once, so a wrong URL fails here. `startupWaitSeconds`: how long
    /// to keep trying while no server answers yet (`PostgresConnection.connectWhenReady`), as
    /// when replicas and the database start together; `waiting` hears why each try failed.
    public init(url: String, size: Int = 4, waitSeconds: TimeInterval = 30, startupWaitSeconds: TimeInterval = 0,
                waiting: (String) -> Void = { _ in }) throws {
        precondition(size > 0)
        (self.url, self.size, self.waitSeconds) = (url, size, waitSeconds)
        available = DispatchSemaphore(value: size)
        idle = [try PostgresConnection.connectWhenReady(url: url, waitSeconds: startupWaitSeconds, waiting: waiting)]
    }

    /// Since when, and why, the server has been unreachable; nil while it answers.
    public var unreachableSince: Date? { lock.withLock { unreachable?.since } }

    /// The server answered elsewhere (a health check on a connection of its own): borrowers
    /// stop failing fast at once, without waiting for the current probe's reconnect pauses.
    public func noteReachable() { lock.withLock { unreachable = nil } }

    public func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        guard available.wait(timeout: .now() + waitSeconds) == .success else {
            throw PostgresError(.poolExhausted, "all \(size) connections stayed busy for \(Int(waitSeconds)) s")
        }
        defer { available.signal() }
        let probe: Bool = try lock.withLock {
            guard let down = unreachable else { return false }
            guard !probing else {
                throw PostgresError(.connect, "the database has been unreachable for \(Int(-down.since.timeIntervalSinceNow)) s: \(down.error.message)")
            }
            probing = true
            return true
        }
        defer { if probe { lock.withLock { probing = false } } }
        do {
            let connection = try lock.withLock { idle.popLast() } ?? PostgresConnection(url: url)
            connection.reconnectDelays = reconnectDelays
            defer { lock.withLock { idle.append(connection) } }
            let value = try body(connection)
            lock.withLock { unreachable = nil }
            return value
        } catch let error as PostgresError where error.kind == .connect || error.kind == .connectionLost {
            lock.withLock { if unreachable == nil { unreachable = (Date(), error) } }
            throw error
        } catch let error as PostgresError where error.kind == .statement {
            lock.withLock { unreachable = nil }   // the server answered, if only to refuse
            throw error
        }
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
