import Models
import Tensor

/// LPIPS's distance (Zhang et al. 2018) on our VGG16 without its learned layer weights (the
/// "baseline" variant, all channels weighted 1): at relu1_2, relu2_2, relu3_3 and relu4_3, each
/// position's feature vector is scaled to unit length across channels, and the distance is the
/// squared difference summed over channels, averaged over positions, then over the layers.
/// MUNIT reports diversity as this distance between outputs of one input (edges→shoes: 0.109).
public struct PerceptualDistance {
    public let vgg: PerceptualLoss
    public static let layers = PerceptualLoss.styleLayers

    public init(vgg: PerceptualLoss) { self.vgg = vgg }

    /// Channel-normalized features of an image ([1, 3, H, W], 0…1).
    public func features(_ image: Tensor) -> [String: Tensor] {
        vgg.forward(image, layers: Set(Self.layers)).features.mapValues(Self.unitChannels)
    }

    public func distance(_ a: [String: Tensor], _ b: [String: Tensor]) -> Float {
        Self.layers.reduce(0) { sum, l in
            let (x, y) = (a[l]!, b[l]!)
            precondition(x.shape == y.shape, "perceptual distance needs images of one size: \(x.shape) vs \(y.shape)")
            let positions = x.shape[0] * x.shape[2] * x.shape[3]
            let squared = zip(x.scalars, y.scalars).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            return sum + Float(squared / Double(positions))
        } / Float(Self.layers.count)
    }

    /// f / ‖f‖ over channels at every position (ε keeps an all-zero vector at zero).
    static func unitChannels(_ f: Tensor) -> Tensor {
        let (n, c, plane) = (f.shape[0], f.shape[1], f.shape[2] * f.shape[3])
        var out = f
        out.withUnsafeMutableBufferPointer { d in
            for i in 0..<n {
                for p in 0..<plane {
                    var norm = 0.0
                    for ch in 0..<c { let v = Double(d[(i * c + ch) * plane + p]); norm += v * v }
                    let scale = Float(1 / (norm.squareRoot() + 1e-10))
                    for ch in 0..<c { d[(i * c + ch) * plane + p] *= scale }
                }
            }
        }
        return out
    }
}
