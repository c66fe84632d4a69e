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
        switch self {
        case .rgb:
            return Array(source)
        case .rgba:
            return Self.convertFourChannels(source) { red, green, blue, alpha in
                func composite(_ value: UInt8) -> UInt8 { Self.overWhite(Int(value), alpha: Int(alpha)) }
                return (composite(red), composite(green), composite(blue))
            }
        case .cmyk:
            return Self.convertFourChannels(source) { cyan, magenta, yellow, black in
                func light(_ ink: UInt8) -> UInt8 { Self.multiply(255 - Int(ink), 255 - Int(black)) }
                return (light(cyan), light(magenta), light(yellow))
            }
        case .invertedCMYK:
            // Inverted samples already say how much light passes: 255 - ink.
            return Self.convertFourChannels(source) { cyan, magenta, yellow, black in
                func light(_ sample: UInt8) -> UInt8 { Self.multiply(Int(sample), Int(black)) }
                return (light(cyan), light(magenta), light(yellow))
            }
        }
    }

    private static func convertFourChannels(
        _ source: UnsafeBufferPointer<UInt8>,
        _ convert: (UInt8, UInt8, UInt8, UInt8) -> (UInt8, UInt8, UInt8)
    ) -> [UInt8] {
        let pixelCount = source.count / 4
        return [UInt8](unsafeUninitializedCapacity: pixelCount * 3) { rgb, initialized in
            for pixel in 0..<pixelCount {
                let input = pixel * 4
                let (red, green, blue) = convert(
                    source[input], source[input + 1], source[input + 2], source[input + 3])
                rgb[pixel * 3] = red
                rgb[pixel * 3 + 1] = green
                rgb[pixel * 3 + 2] = blue
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
