import CCodecs

/// The byte layouts the C decoders hand back, and their conversion to plain RGB.
enum DecodedPixelLayout {
    case rgb
    /// Straight alpha; composited over white because RGBImage has no alpha.
    case rgba
    /// 0 means no ink.
    case cmyk
    /// 255 means no ink: how Adobe applications write CMYK JPEGs.
    case invertedCMYK

    init(_ layout: ccodecs_layout) {
        switch layout {
        case CCODECS_LAYOUT_RGBA: self = .rgba
        case CCODECS_LAYOUT_CMYK: self = .cmyk
        case CCODECS_LAYOUT_CMYK_INVERTED: self = .invertedCMYK
        default: self = .rgb
        }
    }

    var bytesPerPixel: Int { self == .rgb ? 3 : 4 }

    func convertToRGB(_ source: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        if self == .rgb { return Array(source) }
        let pixelCount = source.count / 4
        return [UInt8](unsafeUninitializedCapacity: pixelCount * 3) { rgb, initialized in
            for pixel in 0..<pixelCount {
                let input = pixel * 4
                let output = pixel * 3
                switch self {
                case .rgba:
                    let alpha = Int(source[input + 3])
                    for channel in 0..<3 {
                        rgb[output + channel] = Self.overWhite(Int(source[input + channel]), alpha: alpha)
                    }
                case .cmyk, .invertedCMYK:
                    // Inverted values are already "amount of light": 255 - ink.
                    let invert = self == .cmyk
                    func light(_ ink: UInt8) -> Int { invert ? 255 - Int(ink) : Int(ink) }
                    let black = light(source[input + 3])
                    for channel in 0..<3 {
                        rgb[output + channel] = Self.multiply(light(source[input + channel]), black)
                    }
                case .rgb:
                    break
                }
            }
            initialized = pixelCount * 3
        }
    }

    /// `value * alpha + 255 * (1 - alpha)`, with alpha in 0...255, rounded to nearest.
    static func overWhite(_ value: Int, alpha: Int) -> UInt8 {
        UInt8((value * alpha + 255 * (255 - alpha) + 127) / 255)
    }

    /// `a * b / 255`, rounded to nearest.
    static func multiply(_ a: Int, _ b: Int) -> UInt8 {
        UInt8((a * b + 127) / 255)
    }
}
