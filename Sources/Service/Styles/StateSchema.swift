import Postgres

/// The service's tables in a shared PostgreSQL database, as migration steps: append new steps,
/// never edit applied ones (replicas record which versions they ran).
enum StateSchema {
    /// The advisory lock migrations run under (any fixed number; "atelier" in ASCII).
    static let migrationLockKey = 0x61_74_65_6c_69_65_72

    static let migrations = PostgresMigrations(steps: [
        .init(1, """
            -- Style ids come from one sequence, so replicas adding at once never hand out the same one.
            CREATE SEQUENCE atelier_style_ids START WITH \(StoredStyle.firstID) MINVALUE \(StoredStyle.firstID);
            -- record: StoredStyle as JSON (as the folder store's index.json keeps it). Kept as text,
            -- not jsonb, which refuses some strings JSON allows (\\u0000).
            CREATE TABLE atelier_styles (
                id bigint PRIMARY KEY,
                model text NOT NULL,
                record text NOT NULL,
                image bytea,
                data bytea,
                checkpoint bytea,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            """),
    ], lockKey: migrationLockKey)
}
