import Foundation
import Tensor

/// New palettes from the paintings a style set has: each painting of a batch, with probability
/// `probability`, has its hue turned, its saturation and contrast scaled, and sometimes its
/// lightness inverted, so a decoder trained on tens of paintings meets many more colour
/// schemes (the paper trained on WikiArt's 80,000; the low layers' μ and σ, the colours and
/// contrast, are where a decoder trained on few paintings misses unseen ones).
///
/// Per image, on 0…1 RGB, in this order (then clamped to 0…1):
///   invert (with `inversionProbability`):  x ← 1 − x
///   hue and saturation, in YIQ:            (I, Q) ← s · R(θ) · (I, Q),  Y kept
///   contrast about the image's mean:       x ← m + k · (x − m)
/// with θ uniform in [0, 2π), s in `saturation`, k in `contrast`.
public struct PaletteAugmentation: Sendable, Equatable {
    public var probability: Float
    public var inversionProbability: Float = 0.25
    public var saturation: ClosedRange<Float> = 0.5...1.5
    public var contrast: ClosedRange<Float> = 0.7...1.3

    public init(probability: Float) { self.probability = probability }

    /// One image's draw.
    public struct Draw: Sendable, Equatable {
        public var invert = false
        public var hue: Float = 0
        public var saturation: Float = 1
        public var contrast: Float = 1
        public init(invert: Bool = false, hue: Float = 0, saturation: Float = 1, contrast: Float = 1) {
            self.invert = invert; self.hue = hue; self.saturation = saturation; self.contrast = contrast
        }
    }

    /// Draws and applies to each image of `x` ([N, 3, H, W], 0…1). Draws nothing when the
    /// probability is 0, so runs without augmentation keep their random sequence.
    public func apply(to x: inout Tensor, rng: inout TrainingRandom) {
        guard probability > 0 else { return }
        for n in 0..<x.shape[0] {
            guard Float(rng.uniform()) < probability else { continue }
            let draw = Draw(invert: Float(rng.uniform()) < inversionProbability,
                            hue: Float(rng.uniform() * 2 * .pi),
                            saturation: Self.lerp(saturation, rng.uniform()),
                            contrast: Self.lerp(contrast, rng.uniform()))
            Self.apply(draw, to: &x, image: n)
        }
    }

    static func lerp(_ r: ClosedRange<Float>, _ u: Double) -> Float { r.lowerBound + Float(u) * (r.upperBound - r.lowerBound) }

    // NTSC YIQ; its inverse is computed, not typed, so the pair is exact to float rounding.
    static let toYIQ: [[Float]] = [[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]]
    static let fromYIQ: [[Float]] = inverse3(toYIQ)

    /// The 3×3 RGB → RGB matrix of a hue turn θ and saturation scale s.
    public static func colourMatrix(hue θ: Float, saturation s: Float) -> [[Float]] {
        let c = s * cos(θ), d = s * sin(θ)
        let chroma: [[Float]] = [[1, 0, 0], [0, c, -d], [0, d, c]]
        return multiply(fromYIQ, multiply(chroma, toYIQ))
    }

    /// Applies one draw to image `n` of `x` in place.
    public static func apply(_ draw: Draw, to x: inout Tensor, image n: Int) {
        let plane = x.shape[2] * x.shape[3]
        let m = colourMatrix(hue: draw.hue, saturation: draw.saturation)
        x.withUnsafeMutableBufferPointer { p in
            let base = n * 3 * plane
            var sums = [Double](repeating: 0, count: 3)
            for i in 0..<plane {
                var r = p[base + i], g = p[base + plane + i], b = p[base + 2 * plane + i]
                if draw.invert { (r, g, b) = (1 - r, 1 - g, 1 - b) }
                for c in 0..<3 {
                    let y = m[c][0] * r + m[c][1] * g + m[c][2] * b
                    p[base + c * plane + i] = y
                    sums[c] += Double(y)
                }
            }
            for c in 0..<3 {
                let mean = Float(sums[c] / Double(plane)), k = draw.contrast
                for i in 0..<plane {
                    let v = mean + k * (p[base + c * plane + i] - mean)
                    p[base + c * plane + i] = min(max(v, 0), 1)
                }
            }
        }
    }

    static func multiply(_ a: [[Float]], _ b: [[Float]]) -> [[Float]] {
        (0..<3).map { i in (0..<3).map { j in (0..<3).reduce(0) { $0 + a[i][$1] * b[$1][j] } } }
    }

    static func inverse3(_ a: [[Float]]) -> [[Float]] {
        let m = a.map { $0.map(Double.init) }
        func cof(_ i: Int, _ j: Int) -> Double {
            let r = (0..<3).filter { $0 != i }, c = (0..<3).filter { $0 != j }
            return m[r[0]][c[0]] * m[r[1]][c[1]] - m[r[0]][c[1]] * m[r[1]][c[0]]
        }
        let det = (0..<3).reduce(0.0) { $0 + m[0][$1] * cof(0, $1) * ($1 % 2 == 0 ? 1 : -1) }
        return (0..<3).map { i in (0..<3).map { j in Float(cof(j, i) * ((i + j) % 2 == 0 ? 1 : -1) / det) } }
    }
}
