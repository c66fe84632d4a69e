import Foundation

extension ServerConfig {
    /// The limits `atelier serve` reads from its environment, each overriding its default when set.
    /// Times are seconds (fractions allowed), counts whole numbers; all must be positive.
    public static let environmentKnobs: [(name: String, key: WritableKeyPath<ServerConfig, TimeInterval>)] = [
        ("ATELIER_HEADER_TIMEOUT", \.headerReadTimeout),
        ("ATELIER_BODY_TIMEOUT", \.bodyReadTimeout),
        ("ATELIER_IDLE_TIMEOUT", \.idleKeepAliveTimeout),
        ("ATELIER_SEND_TIMEOUT", \.sendTimeout),
        ("ATELIER_REQUEST_DEADLINE", \.requestDeadline),
    ]

    public struct InvalidSetting: Error, CustomStringConvertible {
        public let description: String
    }

    /// Applies the `ATELIER_*` limits found in `environment`: the timeouts of `environmentKnobs`
    /// and `ATELIER_MAX_CONNECTIONS`. A value that is not a positive number throws, naming it.
    public mutating func apply(environment: [String: String]) throws {
        for (name, key) in Self.environmentKnobs {
            guard let text = environment[name] else { continue }
            guard let seconds = TimeInterval(text.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds > 0 else {
                throw InvalidSetting(description: "\(name) must be a positive number of seconds, not '\(text)'")
            }
            self[keyPath: key] = seconds
        }
        if let text = environment["ATELIER_MAX_CONNECTIONS"] {
            guard let count = Int(text.trimmingCharacters(in: .whitespaces)), count > 0 else {
                throw InvalidSetting(description: "ATELIER_MAX_CONNECTIONS must be a positive whole number, not '\(text)'")
            }
            maxConnections = count
        }
    }
}
