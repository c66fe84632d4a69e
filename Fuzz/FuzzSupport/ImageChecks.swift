import ImageIO

/// The checks both image fuzz targets make of one input.
public enum ImageChecks {
    /// Enough for any seed, small enough that a header promising more is refused before pixels
    /// are allocated (the service's own budget is 40 megapixels).
    public static let maxPixels = 1 << 20

    /// Probe and decode must succeed or throw an `ImageError`; a decoded image must have the
    /// promised pixels, the probed size, and (when small) survive a lossless PNG round trip.
    public static func check(_ bytes: [UInt8]) {
        let probed = try? ImageCodec.probe(bytes)
        guard let image = try? ImageCodec.decode(bytes, maxPixels: maxPixels) else { return }
        precondition(image.width > 0 && image.height > 0 && image.width * image.height <= maxPixels)
        precondition(image.pixels.count == image.width * image.height * 3, "pixel buffer does not match the size")
        if let probed {
            precondition(probed.width == image.width && probed.height == image.height,
                         "probe says \(probed.width)×\(probed.height), decode gives \(image.width)×\(image.height)")
        }
        if image.width * image.height <= 4096 {
            let again = try! ImageCodec.decode(try! ImageCodec.encodePNG(image))
            precondition(again == image, "a PNG round trip changed the pixels")
        }
    }
}
