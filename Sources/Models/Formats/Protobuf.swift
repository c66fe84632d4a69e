/// A minimal protocol-buffers wire-format reader: enough to walk an ONNX file's messages.
/// Each field is (number, wire type, payload); nested messages are read by making a reader over
/// the field's bytes. https://protobuf.dev/programming-guides/encoding/
struct ProtobufReader {
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed32(UInt32)
    }

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws -> (field: Int, value: Value)? {
        guard position < bytes.endIndex else { return nil }
        let key = try readVarint()
        let field = Int(key >> 3)
        switch key & 7 {
        case 0: return (field, .varint(try readVarint()))
        case 1: return (field, .fixed64(try readLittleEndian(8)))
        case 2:
            let length = try readVarint()
            guard length <= UInt64(bytes.endIndex - position) else { throw ModelError("protobuf: field \(field) runs past the end") }
            let start = position
            position += Int(length)
            return (field, .bytes(bytes[start..<position]))
        case 5: return (field, .fixed32(UInt32(try readLittleEndian(4))))
        default: throw ModelError("protobuf: unsupported wire type \(key & 7) for field \(field)")
        }
    }

    private mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard position < bytes.endIndex, shift < 64 else { throw ModelError("protobuf: truncated varint") }
            let b = bytes[position]
            position += 1
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    private mutating func readLittleEndian(_ n: Int) throws -> UInt64 {
        guard bytes.endIndex - position >= n else { throw ModelError("protobuf: truncated fixed-width field") }
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += n
        return v
    }

    /// Values of a repeated varint field, packed or not.
    static func varints(_ value: Value) throws -> [UInt64] {
        switch value {
        case .varint(let v): return [v]
        case .bytes(let b):
            var r = ProtobufReader(b), out: [UInt64] = []
            while r.position < b.endIndex { out.append(try r.readVarint()) }
            return out
        default: throw ModelError("protobuf: expected varints")
        }
    }

    /// Values of a repeated float field, packed or not.
    static func floats(_ value: Value) throws -> [Float] {
        switch value {
        case .fixed32(let v): return [Float(bitPattern: v)]
        case .bytes(let b):
            guard b.count % 4 == 0 else { throw ModelError("protobuf: packed floats of odd length") }
            return stride(from: b.startIndex, to: b.endIndex, by: 4).map { i in
                Float(bitPattern: UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24)
            }
        default: throw ModelError("protobuf: expected floats")
        }
    }

    static func string(_ value: Value) throws -> String {
        guard case .bytes(let b) = value else { throw ModelError("protobuf: expected a string") }
        return String(decoding: b, as: UTF8.self)
    }
}
