import Foundation
import Postgres
import XCTest

/// A schema of its own in the test server's database (`ATELIER_TEST_POSTGRES_URL`, which
/// scripts/with_postgres.sh sets), so tests neither see each other's tables nor leave any
/// behind; `url` connects with it as the search path. Without the variable the test is skipped.
/// Shared by the Postgres client's tests and the service's store tests.
public struct TestDatabase {
    public let schema: String
    public let url: String
    private let admin: PostgresConnection

    public init() throws {
        guard let base = ProcessInfo.processInfo.environment["ATELIER_TEST_POSTGRES_URL"], !base.isEmpty else {
            throw XCTSkip("ATELIER_TEST_POSTGRES_URL is unset: run under scripts/with_postgres.sh (as `make test` does) to test against PostgreSQL")
        }
        admin = try PostgresConnection(url: base)
        schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try admin.execute("CREATE SCHEMA \(schema)")
        url = base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
    }

    public func drop() { try? admin.execute("DROP SCHEMA \(schema) CASCADE") }

    /// Runs SQL as the test server's superuser (outside the schema's search path).
    public func administer(_ sql: String) throws { try admin.execute(sql) }

    /// `url` as another user (one the test creates).
    public func url(user: String) -> String {
        var parts = URLComponents(string: url)!
        parts.user = user
        return parts.string!
    }
}
