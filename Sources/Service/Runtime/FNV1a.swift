/// FNV-1a, 64 bit: a fast, stable, non-cryptographic hash of bytes, for identifying weights
/// (`StyleBankModel.fingerprint`) and uploaded paintings (the style-statistics cache key).
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func mix(_ byte: UInt8) { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
    mutating func mix<S: Sequence>(_ bytes: S) where S.Element == UInt8 { for b in bytes { mix(b) } }
    /// A 32-bit word, least significant byte first.
    mutating func mix32(_ word: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { mix(UInt8(truncatingIfNeeded: word >> UInt32(shift))) } }

    var hex: String { String(value, radix: 16) }
}
