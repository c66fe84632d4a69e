import Foundation
import Tensor

/// MUNIT (Huang et al., ECCV 2018): an image x of domain d is split into a content code c =
/// E_c(x) (a spatial map, shared by both domains) and a style code s = E_s(x) (8 numbers, its
/// domain's own); the decoder G(c, s) renders c in the style s through AdaIN layers whose scale
/// and shift an MLP predicts from s. Translating a photo (domain A) to a painting (domain B) is
/// G_B(E_c^A(x), s) with s drawn from N(0, I) or taken from an example painting, E_s^B(y).
///
/// The paper's architecture at a width and depth two CPU cores can train: every part kept
/// (content encoder with IN, style encoder without normalization ending in global pooling,
/// the MLP, residual blocks with AdaIN, nearest-upsampling + 5×5 conv + LayerNorm, 7×7 conv +
/// tanh), the base width 64 → `width`, 4 residual blocks → `residualBlocks`.
public struct MUNITArchitecture: Sendable, Equatable {
    public var width = 32
    public var residualBlocks = 3
    public var styleDimension = 8
    public var mlpWidth = 256
    /// Content encoder and decoder: stride-2 steps (the content code is 1/4 of the image's side).
    public var downsampling = 2
    /// Style encoder: stride-2 steps before the global pooling (the paper's 4).
    public var styleDownsampling = 4
    /// Discriminators: base width, stride-2 layers per scale, scales (each half the previous).
    public var discriminatorWidth = 32
    public var discriminatorLayers = 4
    public var discriminatorScales = 3

    public init() {}

    /// Images are divisible by this (the encoder's and the discriminators' strides).
    public var sizeMultiple: Int { 1 << max(downsampling, styleDownsampling) }
    public var contentChannels: Int { width << downsampling }

    public static let version = "munit-v1"

    /// As weight files record it: "width=32,residual=3,style=8,mlp=256,down=2,style_down=4,dis=32x4x3".
    public var text: String {
        "width=\(width),residual=\(residualBlocks),style=\(styleDimension),mlp=\(mlpWidth),down=\(downsampling),"
            + "style_down=\(styleDownsampling),dis=\(discriminatorWidth)x\(discriminatorLayers)x\(discriminatorScales)"
    }

    public init(parsing text: String) throws {
        var fields: [String: String] = [:]
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { throw ModelError("unreadable MUNIT architecture '\(text)'") }
            fields[String(kv[0])] = String(kv[1])
        }
        func int(_ k: String) throws -> Int {
            guard let v = fields[k].flatMap(Int.init), (1...1024).contains(v) else { throw ModelError("MUNIT architecture '\(text)' lacks \(k)") }
            return v
        }
        width = try int("width"); residualBlocks = try int("residual"); styleDimension = try int("style")
        mlpWidth = try int("mlp"); downsampling = try int("down"); styleDownsampling = try int("style_down")
        let d = (fields["dis"] ?? "").split(separator: "x").compactMap { Int($0) }
        guard d.count == 3, d.allSatisfy({ (1...1024).contains($0) }) else { throw ModelError("MUNIT architecture '\(text)' lacks dis") }
        (discriminatorWidth, discriminatorLayers, discriminatorScales) = (d[0], d[1], d[2])
    }

    // MARK: - The generator of one domain (parameters prefixed "<domain>.")

    /// E_c: 7×7 conv, `downsampling` 4×4/2 convs doubling the width, residual blocks; IN and ReLU
    /// throughout (no bias before IN: it would be cancelled).
    public func contentEncoder(_ d: String) -> [Layer] {
        var layers: [Layer] = [.conv("\(d).content.0", 3, width, kernel: 7, bias: false), .instanceNorm(name: "\(d).content.0.in", channels: width), .relu]
        var w = width
        for i in 1...downsampling {
            layers += [.conv("\(d).content.\(i)", w, 2 * w, kernel: 4, stride: 2, padding: 1, bias: false),
                       .instanceNorm(name: "\(d).content.\(i).in", channels: 2 * w), .relu]
            w *= 2
        }
        for r in 0..<residualBlocks {
            let n = "\(d).content.res\(r)"
            layers.append(.residual([.conv("\(n).0", w, w, kernel: 3, bias: false), .instanceNorm(name: "\(n).0.in", channels: w), .relu,
                                     .conv("\(n).1", w, w, kernel: 3, bias: false), .instanceNorm(name: "\(n).1.in", channels: w)]))
        }
        return layers
    }

    /// E_s: 7×7 conv, `styleDownsampling` 4×4/2 convs (doubling the width twice), ReLU, no
    /// normalization (it would remove the style); global average pooling; a 1×1 conv (here a
    /// linear layer) to the style code.
    public func styleEncoder(_ d: String) -> [Layer] {
        var layers: [Layer] = [.conv("\(d).style.0", 3, width, kernel: 7), .relu]
        var w = width
        for i in 1...styleDownsampling {
            let next = i <= 2 ? 2 * w : w
            layers += [.conv("\(d).style.\(i)", w, next, kernel: 4, stride: 2, padding: 1), .relu]
            w = next
        }
        return layers + [.globalAveragePool, .linear(name: "\(d).style.out", inputs: w, outputs: styleDimension)]
    }

    /// The decoder's AdaIN layers: two per residual block, each `contentChannels` wide.
    public var adaptiveLayerCount: Int { 2 * residualBlocks }

    /// The MLP: style code → the scale and shift of every AdaIN layer (3 layers, ReLU between).
    public func mlp(_ d: String) -> [Layer] {
        [.linear(name: "\(d).mlp.0", inputs: styleDimension, outputs: mlpWidth), .relu,
         .linear(name: "\(d).mlp.1", inputs: mlpWidth, outputs: mlpWidth), .relu,
         .linear(name: "\(d).mlp.2", inputs: mlpWidth, outputs: 2 * contentChannels * adaptiveLayerCount)]
    }

    /// G: residual blocks with AdaIN, then per downsampling step nearest ×2 + 5×5 conv halving the
    /// width + LayerNorm + ReLU, then 7×7 conv + tanh (images in −1…1).
    public func decoder(_ d: String) -> [Layer] {
        var w = contentChannels
        var layers: [Layer] = []
        for r in 0..<residualBlocks {
            let n = "\(d).decoder.res\(r)"
            layers.append(.residual([.conv("\(n).0", w, w, kernel: 3), .adaptiveInstanceNorm(index: 2 * r, channels: w), .relu,
                                     .conv("\(n).1", w, w, kernel: 3), .adaptiveInstanceNorm(index: 2 * r + 1, channels: w)]))
        }
        for i in 0..<downsampling {
            layers += [.conv("\(d).decoder.up\(i)", w, w / 2, kernel: 5, upsample: true), .layerNorm(name: "\(d).decoder.up\(i).ln", channels: w / 2), .relu]
            w /= 2
        }
        return layers + [.conv("\(d).decoder.out", w, 3, kernel: 7), .tanh]
    }

    /// The generator's parts, for listing and initializing its parameters.
    public func generator(_ d: String) -> [[Layer]] { [contentEncoder(d), styleEncoder(d), mlp(d), decoder(d)] }

    /// The MLP's output ([N, 2·C·L], or [N, 2·C·L, 1, 1] as the layers give it) split into the
    /// AdaIN pairs, as MUNIT assigns them: for each layer in order, C shifts (the "mean") then C
    /// scales (the "std").
    public func adaptiveParameters(_ mlpOutput: Tensor) -> AdaptiveParameters {
        let n = mlpOutput.shape[0], c = contentChannels, row = 2 * c * adaptiveLayerCount
        let v = mlpOutput.scalars
        return (0..<adaptiveLayerCount).map { l in
            var shift = [Float](), scale = [Float]()
            for i in 0..<n {
                let start: Int = i * row + 2 * l * c
                shift += v[start..<(start + c)]
                scale += v[(start + c)..<(start + 2 * c)]
            }
            return (Tensor(shape: [n, c], values: scale), Tensor(shape: [n, c], values: shift))
        }
    }

    /// G(c, s) forward in MUNIT's −1…1 range: the MLP turns the style code s ([N, styleDimension],
    /// or [N, styleDimension, 1, 1]) into the AdaIN parameters of the decoder run on c.
    public func decode(content c: Tensor, style s: Tensor, mlpLayers: [Layer], decoderLayers: [Layer], _ p: [String: Tensor]) -> Tensor {
        decoderLayers(c, p, adaptive: adaptiveParameters(mlpLayers(s.reshaped([s.shape[0], styleDimension, 1, 1]), p)))
    }

    // MARK: - The discriminators of one domain (parameters prefixed "dis_<domain>.s<scale>.")

    /// One scale's PatchGAN: 4×4/2 convs with leaky ReLU (0.2), doubling the width, then a 1×1
    /// conv to one LSGAN score per patch.
    public func discriminator(_ d: String, scale: Int) -> [Layer] {
        var layers: [Layer] = []
        var (inC, w) = (3, discriminatorWidth)
        for i in 0..<discriminatorLayers {
            layers += [.conv("dis_\(d).s\(scale).\(i)", inC, w, kernel: 4, stride: 2, padding: 1), .leakyReLU(slope: 0.2)]
            (inC, w) = (w, 2 * w)
        }
        return layers + [.conv("dis_\(d).s\(scale).out", inC, 1, kernel: 1)]
    }

    public func discriminators(_ d: String) -> [[Layer]] { (0..<discriminatorScales).map { discriminator(d, scale: $0) } }

    /// Seeded initial parameters of both generators and both discriminators.
    public func initialParameters(seed: UInt64) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (i, part) in (generator("a") + generator("b") + discriminators("a") + discriminators("b")).enumerated() {
            out.merge(part.initialParameters(seed: seed &+ UInt64(i) &* 1_000_003)) { a, _ in a }
        }
        return out
    }

    public func generatorParameterNames(_ d: String) -> [String] { generator(d).flatMap { $0.parameterShapes.map(\.name) } }
    public func discriminatorParameterNames(_ d: String) -> [String] { discriminators(d).flatMap { $0.parameterShapes.map(\.name) } }
}

/// One domain's trained generator, for serving: content and style encoders, MLP and decoder.
/// Images are [N, 3, H, W] in 0…1 at the boundary (MUNIT works in −1…1 inside).
public struct MUNITGenerator {
    public let architecture: MUNITArchitecture
    public let domain: String
    let parameters: [String: Tensor]
    let content: [Layer], style: [Layer], mlp: [Layer], decoder: [Layer]

    public init(architecture: MUNITArchitecture, domain: String, parameters: [String: Tensor]) throws {
        self.architecture = architecture
        self.domain = domain
        (content, style, mlp, decoder) = (architecture.contentEncoder(domain), architecture.styleEncoder(domain),
                                          architecture.mlp(domain), architecture.decoder(domain))
        for (name, shape) in (content + style + mlp + decoder).parameterShapes {
            guard let t = parameters[name], t.shape == shape else { throw ModelError("MUNIT weights lack \(name) \(shape)") }
        }
        self.parameters = parameters
    }

    public var parameterCount: Int { (content + style + mlp + decoder).parameterShapes.reduce(0) { $0 + $1.shape.reduce(1, *) } }

    public func encodeContent(_ image: Tensor) -> Tensor { content(MUNITImages.toSigned(image), parameters) }

    /// The style code, [N, styleDimension].
    public func encodeStyle(_ image: Tensor) -> Tensor {
        let s = style(MUNITImages.toSigned(image), parameters)
        return s.reshaped([s.shape[0], architecture.styleDimension])
    }

    /// The image (0…1) of content code c in style s ([N, styleDimension]).
    public func decode(content c: Tensor, style s: Tensor) -> Tensor {
        MUNITImages.toUnit(architecture.decode(content: c, style: s, mlpLayers: mlp, decoderLayers: decoder, parameters))
    }
}

/// MUNIT's image range: −1…1 inside the networks (tanh out), 0…1 everywhere else in Atelier.
public enum MUNITImages {
    public static func toSigned(_ x: Tensor) -> Tensor { affine(x, scale: 2, shift: -1) }
    public static func toUnit(_ x: Tensor) -> Tensor { affine(x, scale: 0.5, shift: 0.5) }

    static func affine(_ x: Tensor, scale: Float, shift: Float) -> Tensor {
        var out = x
        out.withUnsafeMutableBufferPointer { d in for i in 0..<d.count { d[i] = d[i] * scale + shift } }
        return out
    }

    /// `count` style codes drawn from N(0, I) by one seed: [count, dimension]. The same seed gives
    /// the same codes on every machine (SplitMix64 + Box–Muller).
    public static func randomStyle(seed: UInt64, dimension: Int, count: Int = 1) -> Tensor {
        var rng = SeededNormal(seed: seed)
        return Tensor(shape: [count, dimension], values: (0..<(count * dimension)).map { _ in rng.next() })
    }
}
