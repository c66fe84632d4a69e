import CCodecs

/// Reads and writes PNG and JPEG files held in memory.
public enum ImageCodec {
    /// The default decode budget: 40 megapixels, about 120 MB of RGB.
    public static let defaultMaxPixels = 40_000_000

    /// Identifies a format by its magic bytes.
    public static func detectFormat(_ bytes: [UInt8]) -> ImageFormat? {
        ImageFormat.detect(bytes)
    }

    /// Reads the format and the displayed size from the header alone, without decoding pixels.
    /// When an EXIF orientation rotates by 90°, width and height are swapped, so the result
    /// matches what `decode` returns.
    public static func probe(_ bytes: [UInt8]) throws -> (format: ImageFormat, width: Int, height: Int) {
        let format = try recognizedFormat(of: bytes)
        let stored: (width: Int, height: Int)
        switch format {
        case .png: stored = try CodecBridge.probe(bytes, with: ccodecs_png_probe)
        case .jpeg: stored = try CodecBridge.probe(bytes, with: ccodecs_jpeg_probe)
        }
        let swapped = orientation(of: bytes, format: format)?.swapsDimensions ?? false
        return (format, swapped ? stored.height : stored.width, swapped ? stored.width : stored.height)
    }

    /// Decodes to upright 8-bit RGB: alpha is composited over white, CMYK is converted and
    /// the EXIF orientation (JPEG APP1 or PNG eXIf) is applied. Throws `.tooLarge` before
    /// allocating pixels when the header promises more than `maxPixels` pixels.
    public static func decode(_ bytes: [UInt8], maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        let format = try recognizedFormat(of: bytes)
        let stored: RGBImage
        switch format {
        case .png: stored = try CodecBridge.decode(bytes, maxPixels: maxPixels, with: ccodecs_png_decode)
        case .jpeg: stored = try CodecBridge.decode(bytes, maxPixels: maxPixels, with: ccodecs_jpeg_decode)
        }
        return orientation(of: bytes, format: format)?.apply(to: stored) ?? stored
    }

    /// Lossless 8-bit RGB PNG.
    public static func encodePNG(_ image: RGBImage, options: PNGOptions = .default) throws -> [UInt8] {
        try requirePixels(image)
        return try image.pixels.withUnsafeBufferPointer { rgb in
            try CodecBridge.encode { buffer, error in
                ccodecs_png_encode(rgb.baseAddress, Int32(image.width), Int32(image.height), options.level, options.filters.rawValue, buffer, error)
            }
        }
    }

    /// Baseline JPEG; `quality` is clamped to 1...100. From 90 up, chroma is not subsampled.
    public static func encodeJPEG(_ image: RGBImage, quality: Int = 90) throws -> [UInt8] {
        try requirePixels(image)
        let clampedQuality = Int32(min(max(quality, 1), 100))
        return try image.pixels.withUnsafeBufferPointer { rgb in
            try CodecBridge.encode { buffer, error in
                ccodecs_jpeg_encode(
                    rgb.baseAddress, Int32(image.width), Int32(image.height), clampedQuality, buffer, error)
            }
        }
    }

    private static func orientation(of bytes: [UInt8], format: ImageFormat) -> ExifOrientation? {
        switch format {
        case .png: return ExifOrientation.inPNG(bytes)
        case .jpeg: return ExifOrientation.inJPEG(bytes)
        }
    }

    private static func recognizedFormat(of bytes: [UInt8]) throws -> ImageFormat {
        if bytes.isEmpty { throw ImageError(.empty, "no image data") }
        guard let format = ImageFormat.detect(bytes) else {
            throw ImageError(.unsupportedFormat, "not a PNG or JPEG file")
        }
        return format
    }

    private static func requirePixels(_ image: RGBImage) throws {
        if image.width == 0 || image.height == 0 { throw ImageError(.empty, "image has no pixels") }
        if image.width > Int(Int32.max) || image.height > Int(Int32.max) {
            throw ImageError(.tooLarge, "image dimensions exceed what the encoders accept")
        }
    }
}
