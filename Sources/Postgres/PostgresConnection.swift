import CLibPQ
import Foundation

/// One connection to PostgreSQL through libpq: parameterized statements (bytes travel as binary
/// bytea), errors as `PostgresError`, and reconnection with backoff when the server went away.
///
/// Not thread-safe, as libpq's connections are not: one caller at a time (`PostgresPool` hands
/// connections out). Every wait is bounded: connecting (`connect_timeout`), each statement
/// (`statement_timeout`) and the reconnect attempts.
public final class PostgresConnection {
    /// A `postgres://` or `postgresql://` URL, or any libpq connection string.
    public let url: String
    /// Pauses before each reconnect attempt; when all have failed the statement fails.
    public var reconnectDelays: [TimeInterval] = [0, 0.25, 0.5, 1, 2, 4]
    /// Seconds one connection attempt may take (libpq's `connect_timeout`; the URL's own wins).
    public let connectTimeoutSeconds: Int
    private var conn: OpaquePointer?
    private var transactionDepth = 0

    public static let defaultConnectTimeoutSeconds = 10
    public static let statementTimeoutMilliseconds = 60_000

    /// Connects at once, so a wrong URL fails at start-up rather than at the first request.
    public init(url: String, connectTimeoutSeconds: Int = PostgresConnection.defaultConnectTimeoutSeconds) throws {
        self.url = url
        self.connectTimeoutSeconds = max(1, connectTimeoutSeconds)
        try connect()
    }

    /// Connects once the server answers: while nothing answers at the URL's address (not started
    /// yet, or restarting), tries again after growing pauses (0.25 s doubling to 4 s) until
    /// `waitSeconds` have passed, calling `waiting` with the reason before each pause. A server
    /// that answers but refuses this client (a wrong password or database) fails at once.
    public static func connectWhenReady(url: String, waitSeconds: TimeInterval,
                                        waiting: (String) -> Void = { _ in }) throws -> PostgresConnection {
        let deadline = Date().addingTimeInterval(waitSeconds)
        var pause: TimeInterval = 0.25
        while true {
            do { return try PostgresConnection(url: url) } catch let error as PostgresError where error.kind == .connect {
                guard serverIsAbsent(url: url), Date().addingTimeInterval(pause) < deadline else { throw error }
                waiting(error.message)
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 4)
            }
        }
    }

    /// Whether no server answers at the URL (or it is starting or stopping), as opposed to one
    /// that answers: then a failed connection is this client's fault and waiting will not help.
    static func serverIsAbsent(url: String) -> Bool {
        let outcome = withConnectionParameters(url: url, connectTimeout: defaultConnectTimeoutSeconds) { PQpingParams($0, $1, 1) }
        return outcome == PQPING_NO_RESPONSE || outcome == PQPING_REJECT
    }

    deinit { if let conn { PQfinish(conn) } }

    /// The URL with its password, if any, left out (for messages and logs).
    public static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url), parts.password != nil else { return url }
        parts.password = "***"
        return parts.string ?? "(connection string)"
    }

    /// The server process serving this connection (for `pg_terminate_backend` in tests and logs).
    public var backendPID: Int32 { conn.map { PQbackendPID($0) } ?? 0 }

    // MARK: - Statements

    /// Runs one statement with `$1…$n` parameters and returns its rows. `idempotent`: the
    /// statement may run again when the connection broke under it (reads; never inside a
    /// transaction, whose earlier statements died with the connection).
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = [], idempotent: Bool = false) throws -> [PostgresRow] {
        do {
            return try queryOnce(sql, parameters)
        } catch let error as PostgresError where error.kind == .connectionLost && idempotent && transactionDepth == 0 {
            return try queryOnce(sql, parameters)
        }
    }

    /// Runs SQL text without parameters, possibly several statements (migrations).
    public func execute(_ sql: String) throws {
        try ensureConnected()
        let result = PQexec(conn, sql)
        defer { PQclear(result) }
        _ = try rows(of: result)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    @discardableResult
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        transactionDepth += 1
        defer { transactionDepth -= 1 }
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if PQstatus(conn) == CONNECTION_OK { _ = PQexec(conn, "ROLLBACK").map { PQclear($0) } }
            throw error
        }
    }

    private func queryOnce(_ sql: String, _ parameters: [PostgresValue]) throws -> [PostgresRow] {
        try ensureConnected()
        let wire = parameters.map(\.wire)
        // libpq reads the parameters through C pointers; copies live until the call returns.
        // Text-format values are read up to a NUL (their length is ignored), so they get one.
        let buffers: [UnsafeMutablePointer<CChar>?] = wire.map { w in
            guard let bytes = w.bytes.map({ w.binary ? $0 : $0 + [0] }) else { return nil }
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBufferPointer { src in src.withMemoryRebound(to: CChar.self) { p.update(from: $0.baseAddress!, count: bytes.count) } }
            return p
        }
        defer { buffers.forEach { $0?.deallocate() } }
        let types = wire.map { Oid($0.type) }
        let lengths = wire.map { Int32($0.bytes?.count ?? 0) }
        let formats = wire.map { Int32($0.binary ? 1 : 0) }
        let values = buffers.map { UnsafePointer($0) }
        let result = PQexecParams(conn, sql, Int32(parameters.count), types, values, lengths, formats, 1)
        defer { PQclear(result) }
        return try rows(of: result)
    }

    /// The rows of a finished statement, or its error.
    private func rows(of result: OpaquePointer?) throws -> [PostgresRow] {
        switch result.map(PQresultStatus) {
        case PGRES_TUPLES_OK?:
            let (nRows, nColumns) = (PQntuples(result), PQnfields(result))
            let columns = (0..<nColumns).map { String(cString: PQfname(result, $0)) }
            let types = (0..<nColumns).map { UInt32(PQftype(result, $0)) }
            return (0..<nRows).map { r in
                PostgresRow(columns: columns, types: types, values: (0..<nColumns).map { c in
                    guard PQgetisnull(result, r, c) == 0 else { return nil }
                    let length = Int(PQgetlength(result, r, c))
                    return PQgetvalue(result, r, c).withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
                })
            }
        case PGRES_COMMAND_OK?, PGRES_EMPTY_QUERY?:
            return []
        default:
            let sqlState = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
            let message = result.flatMap { PQresultErrorMessage($0) }.map { String(cString: $0) } ?? ""
            let text = (message.isEmpty ? currentErrorMessage : message).trimmingCharacters(in: .whitespacesAndNewlines)
            if PQstatus(conn) != CONNECTION_OK { throw PostgresError(.connectionLost, text, sqlState: sqlState) }
            throw PostgresError(.statement, text, sqlState: sqlState)
        }
    }

    // MARK: - Connecting

    private var currentErrorMessage: String { conn.flatMap { PQerrorMessage($0) }.map { String(cString: $0) } ?? "" }

    /// Reconnects when the connection is broken, with backoff; throws once every attempt failed.
    /// Inside a transaction it throws instead: the transaction died with the connection.
    /// Before a statement outside a transaction, reads what the server may have sent meanwhile
    /// (without waiting): a server that shut down or restarted has closed the connection, which
    /// this notices before the statement is sent, so even a write then goes to a new connection.
    private func ensureConnected() throws {
        // Twice: the first read may take the server's goodbye (a FATAL notice), the second its close.
        if let conn, transactionDepth == 0 {
            for _ in 0..<2 where PQstatus(conn) == CONNECTION_OK { _ = PQconsumeInput(conn) }
        }
        guard conn == nil || PQstatus(conn) != CONNECTION_OK else { return }
        guard transactionDepth == 0 else { throw PostgresError(.connectionLost, "the connection broke during a transaction") }
        var lastError: Error?
        for delay in reconnectDelays {
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            do { return try connect() } catch { lastError = error }
        }
        throw lastError ?? PostgresError(.connect, "cannot connect to \(Self.redacted(url))")
    }

    private func connect() throws {
        if let old = conn { PQfinish(old); conn = nil }
        let c = Self.withConnectionParameters(url: url, connectTimeout: connectTimeoutSeconds) { PQconnectdbParams($0, $1, 1) }
        guard let c else { throw PostgresError(.connect, "libpq could not allocate a connection") }
        guard PQstatus(c) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(c)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(c)
            throw PostgresError(.connect, "cannot connect to \(Self.redacted(url)): \(message)")
        }
        conn = c
        // Bounds every statement (a lock wait included); notices (e.g. "already exists,
        // skipping") would go to stderr.
        try execute("SET statement_timeout = \(Self.statementTimeoutMilliseconds); SET client_min_messages = warning")
    }

    /// libpq's keyword and value arrays for the URL with our defaults. Ours come first: the
    /// URL's own settings, being expanded later, override them.
    private static func withConnectionParameters<T>(url: String, connectTimeout: Int,
                                                    _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?) -> T) -> T {
        let settings = [("connect_timeout", String(connectTimeout)),
                        ("application_name", "atelier"),
                        ("dbname", url)]
        let keywords = settings.map { strdup($0.0) }, values = settings.map { strdup($0.1) }
        defer { (keywords + values).forEach { free($0) } }
        return (keywords.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { k in
            (values.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { v in body(k.baseAddress, v.baseAddress) }
        }
    }
}
