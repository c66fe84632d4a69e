import Foundation

/// Style statistics (AdaIN's μ/σ, an embedding) by painting key, least recently used first out,
/// bounded in entries and in bytes, so the second request with the same painting skips the
/// style encoder. Safe to share between threads; two first requests for one painting may both
/// compute it (the second result replaces the first, which is the same).
public final class StyleStatisticsCache<Value>: @unchecked Sendable {
    public let maxEntries: Int, maxBytes: Int
    private let lock = NSLock()
    private var entries: [String: (value: Value, bytes: Int, used: UInt64)] = [:]
    private var clock: UInt64 = 0
    private var bytes = 0
    public private(set) var hits = 0, misses = 0

    public init(maxEntries: Int = 256, maxBytes: Int = 64 << 20) { (self.maxEntries, self.maxBytes) = (maxEntries, maxBytes) }

    /// What `/metrics` shows of it.
    public var summary: (hits: Int, misses: Int, entries: Int) { lock.withLock { (hits, misses, entries.count) } }

    /// The cached value for `key`, or `compute()`'s, stored with its size in bytes.
    public func value(_ key: String, bytes size: Int, compute: () throws -> Value) rethrows -> Value {
        if let v: Value = lock.withLock({
            clock += 1
            guard let e = entries[key] else { misses += 1; return nil }
            hits += 1
            entries[key]!.used = clock
            return e.value
        }) { return v }
        let v = try compute()
        lock.withLock {
            clock += 1
            if let old = entries[key] { bytes -= old.bytes }
            entries[key] = (v, size, clock)
            bytes += size
            while entries.count > maxEntries || (bytes > maxBytes && entries.count > 1) {
                let oldest = entries.min { $0.value.used < $1.value.used }!
                bytes -= oldest.value.bytes
                entries[oldest.key] = nil
            }
        }
        return v
    }
}
