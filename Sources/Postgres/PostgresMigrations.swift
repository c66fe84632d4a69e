/// A schema as numbered steps, applied once each, in order. Which have run is recorded in
/// `atelier_schema_migrations`; the steps run under a PostgreSQL advisory lock, so replicas
/// starting at the same moment apply each step exactly once (the others wait, then find it
/// recorded). A step and its record commit together.
public struct PostgresMigrations: Sendable {
    public struct Step: Sendable {
        public let version: Int
        public let sql: String
        public init(_ version: Int, _ sql: String) { (self.version, self.sql) = (version, sql) }
    }

    public let steps: [Step]
    /// Any fixed number: every process migrating this database must use the same.
    public let lockKey: Int

    public init(steps: [Step], lockKey: Int) {
        precondition(Set(steps.map(\.version)).count == steps.count, "migration versions must be unique")
        self.steps = steps.sorted { $0.version < $1.version }
        self.lockKey = lockKey
    }

    /// Applies the steps not yet recorded; returns their versions. Steps recorded by a newer
    /// release that this one does not know are left alone (they only ever add).
    @discardableResult
    public func apply(on connection: PostgresConnection) throws -> [Int] {
        try connection.query("SELECT pg_advisory_lock($1)", [.int(lockKey)])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [.int(lockKey)]) }
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS atelier_schema_migrations (
                version integer PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        let applied = Set(try connection.query("SELECT version FROM atelier_schema_migrations").compactMap { try $0.int(0) })
        var done: [Int] = []
        for step in steps where !applied.contains(step.version) {
            try connection.transaction {
                try connection.execute(step.sql)
                try connection.query("INSERT INTO atelier_schema_migrations (version) VALUES ($1)", [.int(step.version)])
            }
            done.append(step.version)
        }
        return done
    }
}
