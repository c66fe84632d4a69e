/// A failure talking to PostgreSQL, with the server's message and, where it sent one, its
/// SQLSTATE code (e.g. "23505" for a unique violation).
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// No connection could be made (after every reconnect attempt).
        case connect
        /// The connection broke during the statement; whether a write took effect is unknown.
        case connectionLost
        /// The server refused the statement (syntax, constraint, timeout...).
        case statement
        /// A value in the result was not of the type asked for.
        case decoding
        /// Every pooled connection stayed busy past the wait limit.
        case poolExhausted
    }

    public let kind: Kind
    public let message: String
    public let sqlState: String?

    public init(_ kind: Kind, _ message: String, sqlState: String? = nil) {
        (self.kind, self.message, self.sqlState) = (kind, message, sqlState)
    }

    /// The server could not be reached or no connection was free: worth retrying later.
    public var isUnavailable: Bool { [.connect, .connectionLost, .poolExhausted].contains(kind) }

    public var description: String { "PostgreSQL: \(message)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "") }
}
