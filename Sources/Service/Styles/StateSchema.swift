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
        .init(2, """
            -- Training jobs any trainer replica may run. A trainer claims a job with
            -- FOR UPDATE SKIP LOCKED and holds it by a lease it renews; a job whose lease expired
            -- (its trainer died) is claimable again. record: JobRecord as JSON.
            CREATE TABLE atelier_jobs (
                id text PRIMARY KEY,
                kind text NOT NULL,
                status text NOT NULL,
                record text NOT NULL,
                cancel_requested boolean NOT NULL DEFAULT false,
                lease_owner text,
                lease_expires_at timestamptz,
                attempts integer NOT NULL DEFAULT 0,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX atelier_jobs_open ON atelier_jobs (created_at) WHERE status IN ('queued', 'running');
            """),
    ], lockKey: migrationLockKey)

    /// Taken (per transaction) around a job's submission, so replicas count the queue one at a time.
    static let jobSubmissionLockKey = migrationLockKey + 1
}
