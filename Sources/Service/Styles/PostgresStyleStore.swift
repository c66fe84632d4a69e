import Foundation
import Postgres

/// The stored styles in a PostgreSQL database that several replicas share (`ATELIER_STORE`):
/// one row per style in `atelier_styles`, its record as JSON beside its files (bytea), ids from
/// the `atelier_style_ids` sequence. Nothing is cached: every call reads the database, so a
/// replica sees what another wrote.
final class PostgresStyleStore: StyleRepository, @unchecked Sendable {
    let pool: PostgresPool
    /// A connection of its own for `checkReachable`, so a busy pool does not read as a down server.
    private var probe: PostgresConnection?
    private let probeLock = NSLock()
    static let probeConnectTimeoutSeconds = 2

    /// Connects and brings the schema up to date (`StateSchema`), safely when replicas start
    /// together. While no server answers yet, keeps trying for `startupWaitSeconds` (replicas
    /// and the database may start in any order), telling `waiting` why.
    init(url: String, connections: Int = 4, startupWaitSeconds: TimeInterval = 0, waiting: (String) -> Void = { _ in }) throws {
        pool = try PostgresPool(url: url, size: connections, startupWaitSeconds: startupWaitSeconds, waiting: waiting)
        _ = try pool.withConnection { try StateSchema.migrations.apply(on: $0) }
    }

    /// `SELECT 1` on the probe connection: one connection attempt at most, of at most 2 s. When
    /// it answers, the pool stops failing fast too.
    func checkReachable() throws {
        try probeLock.withLock {
            do {
                let c = try probe ?? PostgresConnection(url: pool.url, connectTimeoutSeconds: Self.probeConnectTimeoutSeconds)
                c.reconnectDelays = [0]
                probe = c
                try c.query("SELECT 1", idempotent: true)
                pool.noteReachable()   // so requests get through as soon as /readyz says ready
            } catch {
                probe = nil
                throw error
            }
        }
    }

    func all() throws -> [StoredStyle] {
        try pool.query("SELECT record FROM atelier_styles ORDER BY id", idempotent: true).map(Self.record)
    }

    func count() throws -> Int {
        try pool.query("SELECT count(*) FROM atelier_styles", idempotent: true).first?.int(0) ?? 0
    }

    func style(_ id: Int) throws -> StoredStyle? {
        try pool.query("SELECT record FROM atelier_styles WHERE id = $1", [.int(id)], idempotent: true).first.map(Self.record)
    }

    /// One INSERT with the files: a reader sees the style with its files, or not at all.
    func add(name: String, model: String, settings: TrainingSettings?, files: (Int) throws -> [StyleFile: Data]) throws -> StoredStyle {
        // Both statements may run again after a lost connection: a second nextval only skips an
        // id, and the INSERT of a row that made it the first time does nothing.
        guard let id = try pool.query("SELECT nextval('atelier_style_ids')", idempotent: true).first?.int(0) else {
            throw ServiceError("the style id sequence returned nothing")
        }
        let style = StoredStyle(id: id, name: name, model: model, status: settings == nil ? .ready : .training,
                                settings: settings, createdAt: Date())
        let f = try files(id)
        try pool.query("INSERT INTO atelier_styles (id, model, record, image, data, checkpoint) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
                       [.int(id), .text(model), .text(try Self.json(style))] + [StyleFile.image, .data, .checkpoint].map { f[$0].map(PostgresValue.bytes) ?? .null },
                       idempotent: true)
        return style
    }

    /// Reads and rewrites the record in one transaction, the row locked, so concurrent updates
    /// from any replica apply one after the other.
    func update(_ id: Int, _ change: (inout StoredStyle) -> Void) throws {
        try pool.transaction { c in
            guard let row = try c.query("SELECT record FROM atelier_styles WHERE id = $1 FOR UPDATE", [.int(id)]).first else { return }
            var style = try Self.record(row)
            change(&style)
            try c.query("UPDATE atelier_styles SET record = $2, model = $3 WHERE id = $1", [.int(id), .text(try Self.json(style)), .text(style.model)])
        }
    }

    func remove(_ id: Int) throws {
        try pool.query("DELETE FROM atelier_styles WHERE id = $1", [.int(id)], idempotent: true)
    }

    // `kind.rawValue` names a column; it comes from the enum, never from a request.
    func file(_ kind: StyleFile, of id: Int) throws -> Data? {
        try pool.query("SELECT \(kind.rawValue) FROM atelier_styles WHERE id = $1", [.int(id)], idempotent: true).first?.bytes(0)
    }

    func write(_ kind: StyleFile, of id: Int, _ bytes: Data) throws {
        try pool.query("UPDATE atelier_styles SET \(kind.rawValue) = $2 WHERE id = $1", [.int(id), .bytes(bytes)], idempotent: true)
    }

    func deleteFile(_ kind: StyleFile, of id: Int) throws {
        try pool.query("UPDATE atelier_styles SET \(kind.rawValue) = NULL WHERE id = $1", [.int(id)], idempotent: true)
    }

    private static func record(_ row: PostgresRow) throws -> StoredStyle {
        guard let json = try row.string(0) else { throw ServiceError("a style record is NULL") }
        return try JSONDecoder.file.decode(StoredStyle.self, from: Data(json.utf8))
    }

    private static func json(_ style: StoredStyle) throws -> String {
        String(decoding: try JSONEncoder.file.encode(style), as: UTF8.self)
    }
}
