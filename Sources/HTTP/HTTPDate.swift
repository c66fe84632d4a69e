import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// IMF-fixdate formatting for the `Date` header, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
public enum HTTPDate {
    private static let cache = Cache()

    /// The current time, formatted; the string is computed at most once per second.
    public static func now() -> String {
        cache.current()
    }

    /// Formats seconds since the Unix epoch (UTC). Uses `gmtime_r` and fixed English names
    /// rather than a locale-dependent formatter.
    public static func format(secondsSince1970 seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func twoDigits(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(twoDigits(parts.tm_mday)) \(months[Int(parts.tm_mon)]) "
            + "\(parts.tm_year + 1900) \(twoDigits(parts.tm_hour)):\(twoDigits(parts.tm_min)):"
            + "\(twoDigits(parts.tm_sec)) GMT"
    }

    private final class Cache: @unchecked Sendable {
        private let lock = NSLock()
        private var second = -1
        private var formatted = ""

        func current() -> String {
            let now = Int(time(nil))
            lock.lock()
            defer { lock.unlock() }
            if now != second {
                second = now
                formatted = HTTPDate.format(secondsSince1970: now)
            }
            return formatted
        }
    }
}
