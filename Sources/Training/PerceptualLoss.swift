import Models
import Tensor

/// The fixed VGG16 loss network of Johnson et al. (2016), differentiable with respect to its input.
///
/// Forward runs RGB 0…1 images (Caffe-preprocessed inside) up to the deepest layer asked for and
/// keeps what the backward pass needs; backward takes ∂L/∂(ReLU output) at any of those layers and
/// returns ∂L/∂(RGB input). The weights never change, so each layer keeps its transposed weights
/// packed once (`ConvInputGradient`) and computes no weight gradients.
public final class PerceptualLoss: @unchecked Sendable {
    /// Gram (style) layers and the content layer, as in the issue / Johnson et al. with relu4_2 content.
    public static let styleLayers = ["block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3"]
    public static let contentLayer = "block4_conv2"
    /// The optional second content layer (relu2_2; `StyleBankTrainingConfig.shallowContentWeight`).
    public static let shallowContentLayer = "block2_conv2"

    let forwardConvs: [String: Conv2D]
    let inputGradients: [String: ConvInputGradient]

    public init(vggWeights: [String: Tensor]) throws {
        var f: [String: Conv2D] = [:], g: [String: ConvInputGradient] = [:]
        for name in VGG16.layers where name != "pool" {
            guard let w = vggWeights["\(name).weight"], let b = vggWeights["\(name).bias"] else { throw ModelError("vgg16 weights lack \(name)") }
            f[name] = Conv2D(weight: w, bias: b)
            g[name] = ConvInputGradient(weight: w)
        }
        forwardConvs = f
        inputGradients = g
    }

    /// One step of the VGG stack, remembered for backward.
    enum Step {
        case conv(name: String, output: Tensor)   // after ReLU; "same" 3×3, so also the input's size
        case pool(input: Tensor)
    }

    public struct Activations {
        var steps: [Step] = []
        /// ReLU outputs by layer name.
        public var features: [String: Tensor] = [:]
    }

    /// Runs `rgb` ([N, 3, H, W], 0…1) through VGG16 up to the deepest of `layers`.
    public func forward(_ rgb: Tensor, layers: Set<String>) -> Activations {
        var acts = Activations()
        var h = VGG16.preprocess(rgb)
        for name in VGG16.layers {
            if acts.features.count == layers.count { break }
            if name == "pool" {
                acts.steps.append(.pool(input: h))
                h = maxPool2x2(h)
                continue
            }
            let padded = pad2d(h, top: 1, bottom: 1, left: 1, right: 1, mode: .zero)
            h = forwardConvs[name]!(padded, relu: true)
            acts.steps.append(.conv(name: name, output: h))
            if layers.contains(name) { acts.features[name] = h }
        }
        return acts
    }

    /// ∂L/∂rgb given ∂L/∂features[layer] for some of the forward pass's layers.
    public func backward(_ acts: Activations, featureGradients: [String: Tensor]) -> Tensor {
        var g: Tensor?
        for step in acts.steps.reversed() {
            switch step {
            case .pool(let input):
                if let gy = g { g = maxPool2x2Backward(input: input, gradOutput: gy) }
            case .conv(let name, let output):
                if let extra = featureGradients[name] { g = g.map { add($0, extra) } ?? extra }
                guard let gy = g else { continue }
                let gz = reluBackward(output, gradOutput: gy)
                g = inputGradients[name]!.unpaddedInputGradient(gz, height: output.shape[2], width: output.shape[3], zeroPadding: 1)
            }
        }
        guard let gBGR = g else { fatalError("perceptual loss backward: no gradient reached the input") }
        return Self.preprocessBackward(gBGR)
    }

    /// Adjoint of `VGG16.preprocess`: x_bgr[c] = 255·rgb[2 − c] − mean[c], so ∂rgb[2 − c] = 255·∂x_bgr[c].
    static func preprocessBackward(_ g: Tensor) -> Tensor {
        let (n, plane) = (g.shape[0], g.shape[2] * g.shape[3])
        var out = Tensor(uninitialized: g.shape)
        out.withUnsafeMutableBufferPointer { d in
            g.withUnsafeBufferPointer { s in
                for b in 0..<n { for c in 0..<3 {
                    let src = s.baseAddress! + (b * 3 + c) * plane, dst = d.baseAddress! + (b * 3 + 2 - c) * plane
                    for i in 0..<plane { dst[i] = 255 * src[i] }
                } }
            }
        }
        return out
    }

    /// Gram matrices of a style image at the style layers ([1, C, C] each): the style targets.
    public func styleTargets(_ styleImage: Tensor) -> [String: Tensor] {
        forward(styleImage, layers: Set(Self.styleLayers)).features.mapValues { gramMatrix($0) }
    }
}
