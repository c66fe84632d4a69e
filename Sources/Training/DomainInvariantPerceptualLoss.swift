import Models
import Tensor

/// MUNIT's domain-invariant perceptual loss (Huang et al. 2018, appendix): the mean squared
/// difference between instance-normalized VGG16 features of a translation and of the image its
/// content came from,
///   L = mean((IN(φ(x_ab)) − IN(φ(x_a)))²)
/// IN (no affine map) removes each channel's mean and deviation, which carry much of a domain's
/// look, so the loss asks for the photo's structure without asking for its style. The paper's
/// code takes φ = relu5_3 of an ImageNet VGG16 and weighs the loss 1 where it uses it.
/// Images are in −1…1 (the generators' range); the VGG sees (x + 1)/2.
public struct DomainInvariantPerceptualLoss {
    public static let defaultLayer = "block5_conv3"
    public let vgg: PerceptualLoss
    public let layer: String

    public init(vgg: PerceptualLoss, layer: String = defaultLayer) throws {
        guard VGG16.layers.contains(layer), layer != "pool" else { throw TrainingError("unknown VGG16 layer \(layer)") }
        self.vgg = vgg
        self.layer = layer
    }

    /// Max pools before `layer`: its planes are the input's side / 2^pools.
    public var downsampling: Int {
        1 << VGG16.layers.prefix(while: { $0 != layer }).filter { $0 == "pool" }.count
    }

    /// IN(φ(x)) of a source image: the target, no gradient kept.
    public func target(_ x: Tensor) -> Tensor {
        normalize(vgg.forward(MUNITImages.toUnit(x), layers: [layer]).features[layer]!)
    }

    /// The loss of a translation `x` against a source's `target` and ∂L/∂x.
    public func lossAndGradient(_ x: Tensor, target: Tensor) -> (value: Float, gradient: Tensor) {
        let acts = vgg.forward(MUNITImages.toUnit(x), layers: [layer])
        let f = acts.features[layer]!
        let l = mseLoss(normalize(f), target)
        let channels = [Float](repeating: 1, count: f.shape[1])
        let gf = instanceNormBackward(f, gamma: channels, gradOutput: l.gradient).gradInput
        // x_unit = (x + 1)/2, so ∂L/∂x = ½ ∂L/∂x_unit.
        return (l.value, scale(vgg.backward(acts, featureGradients: [layer: gf]), by: 0.5))
    }

    func normalize(_ f: Tensor) -> Tensor {
        let c = f.shape[1]
        return instanceNorm(f, gamma: [Float](repeating: 1, count: c), beta: [Float](repeating: 0, count: c))
    }
}
