import Foundation
import Postgres

/// Opens the store `ServiceConfig.storeURL` names: the data folder when none (`make run` needs
/// no database), else the PostgreSQL database several replicas share.
enum StyleStores {
    static func open(_ config: ServiceConfig) throws -> StyleRepository {
        guard let url = config.storeURL else {
            return try LocalStyleStore(directory: config.dataDirectory.appendingPathComponent("styles"))
        }
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw ServiceError("ATELIER_STORE must be a postgres:// or postgresql:// URL (or unset, for the data folder), not \(PostgresConnection.redacted(url))")
        }
        return try PostgresStyleStore(url: url, startupWaitSeconds: config.storeStartupWaitSeconds) { reason in
            print("atelier: waiting for the database (\(reason))")
        }
    }

    /// Whether `error` says the store is out of reach for now (down, restarting, or saturated),
    /// so the operation may succeed later, as opposed to one that failed for good.
    static func isOutage(_ error: Error) -> Bool {
        (error as? PostgresError)?.isUnavailable == true
    }
}
