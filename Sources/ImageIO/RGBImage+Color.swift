extension RGBImage {
    /// Keeps this image's brightness but takes its colour from `original`: the result has
    /// this image's luma (Y) and the original's chroma (Cb, Cr), using full-range BT.601
    /// YCbCr as JPEG does. `original` is resized to this image's size first if needed.
    public func preservingColor(of original: RGBImage) -> RGBImage {
        let colorSource = original.width == width && original.height == height
            ? original : original.resized(width: width, height: height)
        var output = [UInt8](repeating: 0, count: pixels.count)
        for index in stride(from: 0, to: pixels.count, by: 3) {
            let luma = YCbCr(red: pixels[index], green: pixels[index + 1], blue: pixels[index + 2]).luma
            let chroma = YCbCr(
                red: colorSource.pixels[index], green: colorSource.pixels[index + 1],
                blue: colorSource.pixels[index + 2])
            let rgb = YCbCr(luma: luma, blueDifference: chroma.blueDifference, redDifference: chroma.redDifference).rgb
            output[index] = rgb.red
            output[index + 1] = rgb.green
            output[index + 2] = rgb.blue
        }
        return RGBImage(width: width, height: height, pixels: output)
    }

    /// Linear mix per channel: `self * (1 - amount) + other * amount`, so 0 gives this
    /// image and 1 gives `other`. `amount` is clamped to 0...1; sizes must match.
    public func blended(with other: RGBImage, amount: Float) -> RGBImage {
        precondition(other.width == width && other.height == height, "blended images must have the same size")
        let weight = min(max(amount, 0), 1)
        var output = [UInt8](repeating: 0, count: pixels.count)
        for index in 0..<pixels.count {
            let mixed = Float(pixels[index]) * (1 - weight) + Float(other.pixels[index]) * weight
            output[index] = byte(mixed)
        }
        return RGBImage(width: width, height: height, pixels: output)
    }
}

/// Full-range BT.601 YCbCr (JFIF): all components in 0...255, chroma centred on 128.
struct YCbCr {
    var luma: Float
    var blueDifference: Float
    var redDifference: Float

    init(luma: Float, blueDifference: Float, redDifference: Float) {
        self.luma = luma
        self.blueDifference = blueDifference
        self.redDifference = redDifference
    }

    init(red: UInt8, green: UInt8, blue: UInt8) {
        let (r, g, b) = (Float(red), Float(green), Float(blue))
        luma = 0.299 * r + 0.587 * g + 0.114 * b
        blueDifference = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
        redDifference = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    }

    var rgb: (red: UInt8, green: UInt8, blue: UInt8) {
        let cb = blueDifference - 128
        let cr = redDifference - 128
        return (
            byte(luma + 1.402 * cr),
            byte(luma - 0.344136 * cb - 0.714136 * cr),
            byte(luma + 1.772 * cb)
        )
    }
}
