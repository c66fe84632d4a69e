/// A `multipart/mixed` body (RFC 2046 §5.1.3): several entities in one response, each with its
/// own header fields, between `--boundary` lines. The boundary must not occur in any body; a
/// random 64-bit one beside image bytes is as good as certain not to.
public enum MultipartMixed {
    public static func encode(_ parts: [(headers: [(String, String)], body: [UInt8])], boundary: String) -> [UInt8] {
        var out: [UInt8] = []
        for part in parts {
            out += Array("--\(boundary)\r\n".utf8)
            for (name, value) in part.headers { out += Array("\(name): \(value)\r\n".utf8) }
            out += Array("\r\n".utf8)
            out += part.body
            out += Array("\r\n".utf8)
        }
        out += Array("--\(boundary)--\r\n".utf8)
        return out
    }
}
