import Models
import Tensor

/// The forward passes of one domain's MUNIT generator and discriminators that a training step
/// back-propagates through, each paired with its backward (llm.c style): encode, decode
/// (MLP → AdaIN parameters → decoder) and the multi-scale discriminator. Images are in −1…1.
struct MUNITPasses {
    let architecture: MUNITArchitecture
    let domain: String
    let content: [Layer], style: [Layer], mlp: [Layer], decoder: [Layer]
    let discriminators: [[Layer]]

    init(_ architecture: MUNITArchitecture, domain: String) {
        self.architecture = architecture
        self.domain = domain
        (content, style, mlp, decoder) = (architecture.contentEncoder(domain), architecture.styleEncoder(domain),
                                          architecture.mlp(domain), architecture.decoder(domain))
        discriminators = architecture.discriminators(domain)
    }

    // MARK: Encoding

    struct Encoded {
        let content: NetworkTrace, style: NetworkTrace
        var contentCode: Tensor { content.output }
        /// [N, styleDimension, 1, 1]
        var styleCode: Tensor { style.output }
    }

    func encode(_ x: Tensor, _ p: [String: Tensor]) -> Encoded {
        Encoded(content: LayerTraining.forward(content, p, x), style: LayerTraining.forward(style, p, x))
    }

    /// ∂L/∂x from the gradients of both codes (either may be absent); nil when x is data.
    @discardableResult
    func encodeBackward(_ e: Encoded, _ p: [String: Tensor], gradContent: Tensor?, gradStyle: Tensor?, inputGradient: Bool,
                        into grads: inout [String: Tensor]) -> Tensor? {
        var gx: Tensor?
        if let g = gradContent {
            gx = LayerTraining.backward(content, p, e.content, gradOutput: g, inputGradient: inputGradient, into: &grads)
        }
        if let g = gradStyle {
            let gs = LayerTraining.backward(style, p, e.style, gradOutput: g, inputGradient: inputGradient, into: &grads)
            gx = gx.flatMap { a in gs.map { add(a, $0) } } ?? gs
        }
        return gx
    }

    // MARK: Decoding

    struct Decoded {
        let mlp: NetworkTrace, decoder: NetworkTrace
        let adaptive: AdaptiveParameters
        var image: Tensor { decoder.output }
    }

    /// G(c, s): s is [N, styleDimension, 1, 1].
    func decode(content c: Tensor, style s: Tensor, _ p: [String: Tensor]) -> Decoded {
        let m = LayerTraining.forward(mlp, p, s)
        let adaptive = architecture.adaptiveParameters(m.output)
        return Decoded(mlp: m, decoder: LayerTraining.forward(decoder, p, c, adaptive: adaptive), adaptive: adaptive)
    }

    /// G(c, s) forward only, keeping nothing (the discriminators' step).
    func translate(content c: Tensor, style s: Tensor, _ p: [String: Tensor]) -> Tensor {
        architecture.decode(content: c, style: s, mlpLayers: mlp, decoderLayers: decoder, p)
    }

    /// (∂L/∂c, ∂L/∂s) from ∂L/∂image; ∂L/∂s only when `styleGradient` (a drawn code needs none).
    func decodeBackward(_ d: Decoded, _ p: [String: Tensor], gradImage: Tensor, styleGradient: Bool,
                        into grads: inout [String: Tensor]) -> (content: Tensor, style: Tensor?) {
        var adaptiveGrads: AdaptiveGradients = [:]
        let gc = LayerTraining.backward(decoder, p, d.decoder, gradOutput: gradImage, adaptive: d.adaptive,
                                        into: &grads, adaptiveGradients: &adaptiveGrads)!
        let gm = packAdaptiveGradients(adaptiveGrads, batch: gradImage.shape[0]).reshaped(d.mlp.output.shape)
        let gs = LayerTraining.backward(mlp, p, d.mlp, gradOutput: gm, inputGradient: styleGradient, into: &grads)
        return (gc, gs)
    }

    /// The AdaIN inputs' gradients laid out as the MLP's output (`adaptiveParameters`' inverse).
    func packAdaptiveGradients(_ g: AdaptiveGradients, batch n: Int) -> Tensor {
        let c = architecture.contentChannels, layers = architecture.adaptiveLayerCount, row = 2 * c * layers
        var out = [Float](repeating: 0, count: n * row)
        for l in 0..<layers {
            guard let (scale, shift) = g[l] else { continue }
            let sc = scale.scalars, sh = shift.scalars
            for i in 0..<n {
                let start = i * row + 2 * l * c
                for k in 0..<c { out[start + k] = sh[i * c + k]; out[start + c + k] = sc[i * c + k] }
            }
        }
        return Tensor(shape: [n, row], values: out)
    }

    // MARK: Discriminators

    /// Each scale's PatchGAN on x, x/2, x/4 … (2×2 average pooling between scales).
    func discriminate(_ x: Tensor, _ p: [String: Tensor]) -> [NetworkTrace] {
        var h = x
        var traces: [NetworkTrace] = []
        for (i, net) in discriminators.enumerated() {
            if i > 0 { h = averagePool2x2(h) }
            traces.append(LayerTraining.forward(net, p, h))
        }
        return traces
    }

    /// ∂L/∂x (when `inputGradient`) from each scale's output gradient; the discriminators'
    /// parameter gradients only when `weightGradients`.
    @discardableResult
    func discriminateBackward(_ traces: [NetworkTrace], _ p: [String: Tensor], gradOutputs: [Tensor], inputGradient: Bool,
                              weightGradients: Bool, into grads: inout [String: Tensor]) -> Tensor? {
        var carried: Tensor?   // ∂L/∂(input of scale i), accumulated from the coarser scales down
        for i in (0..<discriminators.count).reversed() {
            var g = LayerTraining.backward(discriminators[i], p, traces[i], gradOutput: gradOutputs[i], inputGradient: inputGradient,
                                           weightGradients: weightGradients, into: &grads)
            if let c = carried, let gi = g { g = add(gi, c) }
            guard inputGradient, let gi = g else { continue }
            carried = i > 0 ? averagePool2x2Backward(gradOutput: gi) : gi
        }
        return carried
    }
}

/// LSGAN (Mao et al. 2017) on each scale's patch scores: the discriminator pushes real scores to
/// 1 and fake to 0, the generator pushes its fakes' scores to 1:
///   L_D = Σ_scales mean((D(fake))²) + mean((D(real) − 1)²),   L_G = Σ_scales mean((D(fake) − 1)²)
enum LeastSquaresGAN {
    static func loss(_ scores: [NetworkTrace], target: Float) -> (value: Float, gradients: [Tensor]) {
        var value: Float = 0
        var grads: [Tensor] = []
        for t in scores {
            let r = mseLoss(t.output, Tensor(shape: t.output.shape, repeating: target))
            value += r.value
            grads.append(r.gradient)
        }
        return (value, grads)
    }
}
