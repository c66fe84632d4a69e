/// Rewrites every chunk's CRC in a PNG-like byte string, so mutated chunk data reaches libpng's
/// parsing instead of stopping at its CRC check. Bytes that do not follow the chunk layout are
/// left as they are.
public enum PNGChunks {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    public static func withFixedCRCs(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        guard bytes.starts(with: signature) else { return bytes }
        var offset = signature.count
        while offset + 12 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let dataEnd = offset + 8 + length
            guard length <= bytes.count, dataEnd + 4 <= bytes.count else { break }
            let crc = CRC32.of(bytes[(offset + 4)..<dataEnd])
            for i in 0..<4 { bytes[dataEnd + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(i))) }
            offset = dataEnd + 4
        }
        return bytes
    }
}

/// The CRC-32 of PNG and zlib (reflected, polynomial 0xEDB88320).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }

    static func of(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        ~bytes.reduce(~UInt32(0)) { c, b in table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    }
}
