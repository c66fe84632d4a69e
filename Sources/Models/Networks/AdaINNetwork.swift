import Tensor

/// AdaIN's layout on our VGG16 (Huang & Belongie, ICCV 2017): the encoder is VGG16 up to relu4_1
/// (block4_conv1 + ReLU), frozen; the decoder mirrors it, with nearest upsampling where the
/// encoder pools, reflection padding and no normalization (the paper found IN or BN in the decoder
/// hurt). VGG16's block3 has three convolutions, so the mirror has one fewer than the paper's VGG19 one.
public enum AdaINArchitecture {
    /// Recorded in weight files; a decoder of another layout is refused by name.
    public static let version = "adain-vgg16-relu4_1-v2"
    /// The encoder's output (the AdaIN layer) and the style loss's layers (relu1_1 … relu4_1).
    public static let encoderLayer = "block4_conv1"
    public static let styleLayers = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1"]
    /// The encoder's channels at relu4_1 and its total downsampling.
    public static let featureChannels = 512, downsampling = 8

    public static let decoder: [LayerSpec] = [
        block("decoder.0", 512, 256),
        block("decoder.1", 256, 256, upsample: true),
        block("decoder.2", 256, 256),
        block("decoder.3", 256, 128),
        block("decoder.4", 128, 128, upsample: true),
        block("decoder.5", 128, 64),
        block("decoder.6", 64, 64, upsample: true),
        block("decoder.7", 64, 3, activation: .none),
    ]

    static func block(_ name: String, _ cin: Int, _ cout: Int, upsample: Bool = false, activation: Activation = .relu) -> LayerSpec {
        .conv(ConvBlockSpec(name, cin, cout, kernel: 3, upsample: upsample, normalized: false, activation: activation))
    }

    public static var parameterNames: [String] { decoder.flatMap(\.parameterNames) }

    /// The typical size of relu4_1 activations of the raw ImageNet VGG16 (their mean over photos is
    /// about 110). The decoder takes the features divided by it, as if from the paper's "normalised"
    /// VGG, so its first layer has weights of the usual size: dividing that layer's He weights
    /// instead made Adam's fixed step 100× larger relative to them than to every other layer's.
    public static let featureScale: Float = 100

    /// He-normal decoder weights from a seed; the output layer's are scaled by 0.1 with bias 0.5,
    /// so a fresh decoder paints a mid-grey image rather than values far outside 0…1.
    public static func initialWeights(seed: UInt64) -> [String: Tensor] {
        var w: [String: Tensor] = [:]
        for (i, layer) in decoder.enumerated() { w.merge(layer.initialWeights(seed: seed &+ UInt64(i) &* 7_919)) { a, _ in a } }
        w["decoder.7.weight"] = scale(w["decoder.7.weight"]!, by: 0.1)
        w["decoder.7.bias"] = Tensor(shape: [3], repeating: 0.5)
        return w
    }

    /// The decoder's input for relu4_1-scale features.
    public static func decoderInput(_ features: Tensor) -> Tensor { scale(features, by: 1 / featureScale) }
}

/// AdaIN for inference: encode the photo, give its relu4_1 features the style's channel mean and
/// standard deviation, decode. Style statistics come from `styleMoments` once per painting (the
/// service caches them), so a stylization with a known style costs one encoding and one decoding.
public struct AdaINNetwork {
    public let encoder: VGG16
    let decoder: [ConvLayer]

    public init(vggWeights: [String: Tensor], decoderWeights: [String: Tensor]) throws {
        encoder = try VGG16(weights: vggWeights)
        decoder = try AdaINArchitecture.decoder.map { try ConvLayer($0, weights: decoderWeights) }
    }

    /// relu4_1 features of [N, 3, H, W] RGB 0…1 images.
    public func encode(_ image: Tensor) -> Tensor {
        encoder.features(VGG16.preprocess(image), at: [AdaINArchitecture.encoderLayer])[AdaINArchitecture.encoderLayer]!
    }

    /// The style's statistics at relu4_1 (one painting: C values).
    public func styleMoments(_ style: Tensor) -> ChannelMoments { channelMoments(encode(style)) }

    /// The decoder's image for relu4_1 features (at VGG16's scale), unclamped.
    public func decode(_ features: Tensor) -> Tensor {
        decoder.reduce(AdaINArchitecture.decoderInput(features)) { h, layer in layer(h) }
    }

    /// `alpha` interpolates the decoder's input between the photo's own features (0) and the
    /// AdaIN target (1), the paper's content–style trade-off (eq. 14). Output clamped to 0…1.
    /// H and W must be multiples of 8. Images over `stripePixels` are encoded and decoded in
    /// horizontal stripes (`encodeStriped`, `decodeStriped`): the same image, in bounded memory.
    public func stylize(_ content: Tensor, style: ChannelMoments, alpha: Float = 1, stripePixels: Int = 1 << 19) -> Tensor {
        // One 512-channel map at a time where it can be (half a GiB each for a 4096² photo).
        var t = encodeStriped(content, stripePixels: stripePixels)
        t = alpha < 1 ? add(scale(adaptiveInstanceNorm(t, style: style), by: alpha), scale(t, by: 1 - alpha))
                      : adaptiveInstanceNorm(t, style: style)
        return decodeStriped(t, stripePixels: stripePixels, clamped: true)
    }

    /// Rows of context a stripe needs beyond the rows it keeps, in image pixels: relu4_1 of
    /// VGG16 sees 33 px either side (8 convolutions and 3 poolings); the zero padding at a
    /// stripe's cut spoils no more than that, so rows further inside are exactly the whole image's.
    static let encoderHalo = 40
    /// The decoder's reach on the feature grid (8 reflect-padded 3×3 convolutions across three
    /// ×2 upsamplings: under 4 feature rows); 6 keep a margin.
    static let decoderHalo = 6

    /// `encode` over horizontal stripes of at most about `stripePixels` input pixels each, each
    /// run with `encoderHalo` rows of context on both sides and cropped back: relu4_1 equal to
    /// `encode(image)`, with the peak memory of one stripe (relu1_1 of a whole 4096² photo alone
    /// is 4 GiB).
    public func encodeStriped(_ image: Tensor, stripePixels: Int) -> Tensor {
        let (h, w) = (image.shape[2], image.shape[3]), d = AdaINArchitecture.downsampling
        precondition(h % d == 0 && w % d == 0, "AdaIN input \(h)×\(w) is not a multiple of \(d)")
        // Kept rows per stripe, and the halo, multiples of 8: stripes start on the pooling grid.
        let rows = max(d, stripePixels / max(w, 1) / d * d)
        return Self.overStripes(image, rows: rows, halo: Self.encoderHalo, outputRow: { $0 / d }, encode)
    }

    /// `decode` over stripes of feature rows with `decoderHalo` rows of context, cropped back
    /// (and clamped to 0…1 stripe by stripe when `clamped`).
    public func decodeStriped(_ features: Tensor, stripePixels: Int, clamped: Bool = false) -> Tensor {
        let w = features.shape[3], d = AdaINArchitecture.downsampling
        let rows = max(1, stripePixels / max(w * d * d, 1))   // kept feature rows per stripe
        return Self.overStripes(features, rows: rows, halo: Self.decoderHalo, outputRow: { $0 * d }) { stripe in
            clamped ? clampUnit(decode(stripe)) : decode(stripe)
        }
    }

    /// `f` over horizontal stripes of `rows` rows of `x` (the last one shorter), each given `halo`
    /// rows of context on both sides; the context is cropped off each output (`outputRow` maps an
    /// input row to its output row) and the stripes stacked again. One stripe when it fits.
    static func overStripes(_ x: Tensor, rows: Int, halo: Int, outputRow: (Int) -> Int, _ f: (Tensor) -> Tensor) -> Tensor {
        let h = x.shape[2]
        if rows >= h { return f(x) }
        var parts: [Tensor] = []
        for r0 in stride(from: 0, to: h, by: rows) {
            let r1 = min(h, r0 + rows)
            let a = max(0, r0 - halo), b = min(h, r1 + halo)
            parts.append(sliceRows(f(sliceRows(x, a..<b)), outputRow(r0 - a)..<outputRow(r1 - a)))
        }
        return concatenateRows(parts)
    }
}
