import CCodecs

// Calls into the C shim and turns its status codes and buffers into Swift values.

typealias CDecodeFunction = (
    UnsafePointer<UInt8>?, Int, UInt64, UnsafeMutablePointer<ccodecs_image>?,
    UnsafeMutablePointer<ccodecs_error>?
) -> ccodecs_status

typealias CProbeFunction = (
    UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<ccodecs_image>?,
    UnsafeMutablePointer<ccodecs_error>?
) -> ccodecs_status

enum CodecBridge {
    static func probe(_ bytes: [UInt8], with probeFunction: CProbeFunction) throws -> (width: Int, height: Int) {
        var header = ccodecs_image()
        var error = ccodecs_error()
        let status = bytes.withUnsafeBufferPointer { probeFunction($0.baseAddress, $0.count, &header, &error) }
        try check(status, error)
        return (Int(header.width), Int(header.height))
    }

    static func decode(_ bytes: [UInt8], maxPixels: Int, with decodeFunction: CDecodeFunction) throws -> RGBImage {
        var decoded = ccodecs_image()
        var error = ccodecs_error()
        let budget = UInt64(max(0, maxPixels))
        let status = bytes.withUnsafeBufferPointer {
            decodeFunction($0.baseAddress, $0.count, budget, &decoded, &error)
        }
        defer { ccodecs_free(decoded.pixels) }
        try check(status, error)
        guard let pixels = decoded.pixels else { throw ImageError(.corrupt, "decoder returned no pixels") }
        let width = Int(decoded.width)
        let height = Int(decoded.height)
        let layout = DecodedPixelLayout(decoded.layout)
        let source = UnsafeBufferPointer(start: pixels, count: width * height * layout.bytesPerPixel)
        return RGBImage(width: width, height: height, pixels: layout.convertToRGB(source))
    }

    /// Runs a C encoder that fills a ccodecs_buffer and copies the result out.
    static func encode(_ encodeFunction: (UnsafeMutablePointer<ccodecs_buffer>, UnsafeMutablePointer<ccodecs_error>) -> ccodecs_status) throws -> [UInt8] {
        var buffer = ccodecs_buffer()
        var error = ccodecs_error()
        let status = encodeFunction(&buffer, &error)
        defer { ccodecs_free(buffer.data) }
        try check(status, error)
        guard let data = buffer.data else { throw ImageError(.corrupt, "encoder returned no data") }
        return Array(UnsafeBufferPointer(start: data, count: Int(buffer.size)))
    }

    private static func check(_ status: ccodecs_status, _ error: ccodecs_error) throws {
        if status == CCODECS_OK { return }
        let message = error.text.isEmpty ? "codec failure \(status.rawValue)" : error.text
        switch status {
        case CCODECS_TOO_LARGE, CCODECS_NO_MEMORY, CCODECS_INVALID_ARGUMENT:
            throw ImageError(.tooLarge, message)
        case CCODECS_UNSUPPORTED:
            throw ImageError(.unsupportedFormat, message)
        default:
            throw ImageError(.corrupt, message)
        }
    }
}

extension ccodecs_error {
    /// The NUL-terminated message stored in the fixed-size C array.
    var text: String {
        withUnsafeBytes(of: message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
