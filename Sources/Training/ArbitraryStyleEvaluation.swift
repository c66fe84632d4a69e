import Models
import Tensor

/// How near a stylized image is to a painting in style and to its photo in content, on our VGG16,
/// as the arbitrary-style literature measures it (Huang & Belongie §7; METHODS.md):
///   style distance   = mean over relu1_1…relu4_1 of (RMS(μ_out − μ_painting) + RMS(σ_out − σ_painting)) / s_l
///   content loss     = MSE(relu4_1(out), relu4_1(photo)) / s₄²
/// with s_l a fixed scale per layer (the mean activation on photos, as training's layer scales),
/// so every layer counts about equally.
public struct ArbitraryStyleEvaluation {
    public let vgg: PerceptualLoss
    public let layerScales: [String: Float]

    public init(vgg: PerceptualLoss, layerScales: [String: Float]) {
        precondition(AdaINArchitecture.styleLayers.allSatisfy { (layerScales[$0] ?? 0) > 0 }, "a scale for every style layer")
        (self.vgg, self.layerScales) = (vgg, layerScales)
    }

    /// An image's features at relu1_1 … relu4_1 (relu4_1 is also the content layer): one VGG16
    /// pass serves both measures.
    public func features(_ image: Tensor) -> [String: Tensor] {
        vgg.forward(image, layers: Set(AdaINArchitecture.styleLayers)).features
    }

    /// μ and σ of features at relu1_1 … relu4_1.
    public func statistics(_ features: [String: Tensor]) -> [String: ChannelMoments] { features.mapValues { channelMoments($0) } }

    public func styleDistance(_ a: [String: ChannelMoments], _ b: [String: ChannelMoments]) -> Float {
        let terms = styleDistanceTerms(a, b)
        return terms.reduce(0) { $0 + $1.mean + $1.std } / Float(terms.count)
    }

    /// The style distance's terms, layer by layer (relu1_1 … relu4_1): RMS(μ − μ′)/s_l and RMS(σ − σ′)/s_l.
    public func styleDistanceTerms(_ a: [String: ChannelMoments], _ b: [String: ChannelMoments]) -> [(mean: Float, std: Float)] {
        func rms(_ x: [Float], _ y: [Float]) -> Float {
            (zip(x, y).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(x.count)).squareRoot().float
        }
        return AdaINArchitecture.styleLayers.map { l in (rms(a[l]!.mean, b[l]!.mean) / layerScales[l]!, rms(a[l]!.std, b[l]!.std) / layerScales[l]!) }
    }

    /// From `features` of the output and of the photo.
    public func contentLoss(_ output: [String: Tensor], photo: [String: Tensor]) -> Float {
        let l = AdaINArchitecture.encoderLayer, s = layerScales[l]!
        return mseLoss(output[l]!, photo[l]!).value / (s * s)
    }
}

private extension Double { var float: Float { Float(self) } }
