/// An 8-bit sRGB image without alpha: interleaved R, G, B bytes, row-major, no row padding.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// `width * height * 3` bytes; pixel (x, y) starts at `(y * width + x) * 3`.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "negative image size")
        precondition(pixels.count == width * height * 3, "pixel count does not match size")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image filled with one colour.
    public init(width: Int, height: Int, red: UInt8, green: UInt8, blue: UInt8) {
        precondition(width >= 0 && height >= 0, "negative image size")
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for index in stride(from: 0, to: pixels.count, by: 3) {
            pixels[index] = red
            pixels[index + 1] = green
            pixels[index + 2] = blue
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// The `[red, green, blue]` bytes of pixel (x, y).
    public func pixel(x: Int, y: Int) -> [UInt8] {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel outside image")
        let start = (y * width + x) * 3
        return Array(pixels[start..<start + 3])
    }

    /// The `width`×`height` rectangle whose top-left pixel is (x, y).
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= width && y + h <= height, "crop outside image")
        var out = [UInt8]()
        out.reserveCapacity(w * h * 3)
        for row in y..<(y + h) { out += pixels[((row * width + x) * 3)..<((row * width + x + w) * 3)] }
        return RGBImage(width: w, height: h, pixels: out)
    }
}
