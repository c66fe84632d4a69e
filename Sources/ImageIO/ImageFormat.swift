/// The file formats ImageCodec reads and writes.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png
    case jpeg

    /// Identifies a format by its leading magic bytes; nil for anything else.
    public static func detect(_ bytes: [UInt8]) -> ImageFormat? {
        let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.starts(with: pngSignature) { return .png }
        // SOI marker followed by the 0xFF that starts the next marker.
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }
}
