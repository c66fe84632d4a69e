import Foundation

/// One row of a result, copied out of libpq (values in PostgreSQL's binary format, so numbers
/// need no parsing). Accessors throw when a column holds another type than asked for.
public struct PostgresRow: Sendable {
    /// 2000-01-01 UTC, PostgreSQL's timestamp epoch, in seconds since 1970.
    static let epoch2000: TimeInterval = 946_684_800

    public let columns: [String]
    let types: [UInt32]
    let values: [[UInt8]?]

    public func isNull(_ i: Int) -> Bool { values[i] == nil }

    public func int(_ i: Int) throws -> Int? {
        guard let v = values[i] else { return nil }
        switch (types[i], v.count) {
        case (PostgresValue.OID.int8, 8), (PostgresValue.OID.int4, 4), (PostgresValue.OID.int2, 2):
            // Sign-extend a big-endian integer of 2, 4 or 8 bytes.
            let unsigned = v.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let shift = UInt64(64 - 8 * v.count)
            return Int(Int64(bitPattern: unsigned << shift) >> Int64(shift))
        default: throw mismatch(i, "an integer")
        }
    }

    public func double(_ i: Int) throws -> Double? {
        guard let v = values[i] else { return nil }
        switch (types[i], v.count) {
        case (PostgresValue.OID.float8, 8): return Double(bitPattern: v.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        case (PostgresValue.OID.float4, 4): return Double(Float(bitPattern: v.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
        default: return try int(i).map(Double.init) ?? { throw mismatch(i, "a number") }()
        }
    }

    public func bool(_ i: Int) throws -> Bool? {
        guard let v = values[i] else { return nil }
        guard types[i] == PostgresValue.OID.bool, v.count == 1 else { throw mismatch(i, "a boolean") }
        return v[0] != 0
    }

    public func string(_ i: Int) throws -> String? {
        guard let v = values[i] else { return nil }
        guard [PostgresValue.OID.text, PostgresValue.OID.varchar, PostgresValue.OID.unknown, 19 /* name */].contains(types[i]) else {
            throw mismatch(i, "text")
        }
        return String(decoding: v, as: UTF8.self)
    }

    public func bytes(_ i: Int) throws -> Data? {
        guard let v = values[i] else { return nil }
        guard types[i] == PostgresValue.OID.bytea else { throw mismatch(i, "bytea") }
        return Data(v)
    }

    public func date(_ i: Int) throws -> Date? {
        guard let v = values[i] else { return nil }
        guard [PostgresValue.OID.timestamptz, PostgresValue.OID.timestamp].contains(types[i]), v.count == 8 else { throw mismatch(i, "a timestamp") }
        let micros = Int64(bitPattern: v.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        return Date(timeIntervalSince1970: Self.epoch2000 + Double(micros) / 1_000_000)
    }

    private func mismatch(_ i: Int, _ wanted: String) -> PostgresError {
        PostgresError(.decoding, "column \(columns[i]) (type OID \(types[i])) is not \(wanted)")
    }
}
