import Foundation

/// A statement parameter. Numbers and text go as text with their type named; bytes go in binary
/// (bytea), so images and tensors travel unescaped.
public enum PostgresValue: Sendable {
    case null
    case int(Int)
    case double(Double)
    case bool(Bool)
    case text(String)
    case bytes(Data)
    case date(Date)

    /// Type OIDs from PostgreSQL's pg_type catalogue (stable across versions).
    enum OID {
        static let bool: UInt32 = 16, bytea: UInt32 = 17, int8: UInt32 = 20, int2: UInt32 = 21, int4: UInt32 = 23
        static let text: UInt32 = 25, float4: UInt32 = 700, float8: UInt32 = 701, varchar: UInt32 = 1043
        static let timestamp: UInt32 = 1114, timestamptz: UInt32 = 1184, unknown: UInt32 = 705
    }

    /// (type OID, wire bytes, binary format?); nil bytes for NULL.
    var wire: (type: UInt32, bytes: [UInt8]?, binary: Bool) {
        switch self {
        case .null: return (0, nil, false)
        case .int(let v): return (OID.int8, Array(String(v).utf8), false)
        case .double(let v):
            let text = v.isNaN ? "NaN" : v.isInfinite ? (v < 0 ? "-Infinity" : "Infinity") : "\(v)"
            return (OID.float8, Array(text.utf8), false)
        case .bool(let v): return (OID.bool, Array((v ? "t" : "f").utf8), false)
        case .text(let v): return (OID.text, Array(v.utf8), false)
        case .bytes(let v): return (OID.bytea, [UInt8](v), true)
        case .date(let v):
            // timestamptz in binary: microseconds since 2000-01-01 UTC, big-endian.
            let micros = Int64((v.timeIntervalSince1970 - PostgresRow.epoch2000) * 1_000_000)
            return (OID.timestamptz, withUnsafeBytes(of: micros.bigEndian) { Array($0) }, true)
        }
    }
}
