import Foundation
import Postgres
import XCTest

/// A schema of its own in the test server's database, so tests neither see each other's tables
/// nor leave any behind: `url` connects with it as the search path. The server is the one
/// `ATELIER_TEST_POSTGRES_URL` names (scripts/with_postgres.sh starts one); without it the test
/// is skipped.
struct ScratchSchema {
    let name: String
    let url: String
    private let admin: PostgresConnection

    init() throws {
        guard let base = ProcessInfo.processInfo.environment["ATELIER_TEST_POSTGRES_URL"], !base.isEmpty else {
            throw XCTSkip("ATELIER_TEST_POSTGRES_URL is unset: run under scripts/with_postgres.sh (as `make test` does) to test against PostgreSQL")
        }
        admin = try PostgresConnection(url: base)
        name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try admin.execute("CREATE SCHEMA \(name)")
        url = base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(name)"
    }

    func drop() { try? admin.execute("DROP SCHEMA \(name) CASCADE") }
}
