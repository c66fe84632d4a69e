import Tensor

/// StyleBank (Chen et al., CVPR 2017): a shared auto-encoder (E, D) with one filter bank K_i per
/// style between them. Stylizing with style i is D(K_i(E(x))); plain reconstruction is D(E(x)).
/// Layout as in the paper's public reimplementations (see shared/docs/METHODS.md):
///   E: 9×9 (3→32), 3×3/2 (32→64), 3×3/2 (64→128), each IN + ReLU; then `encoderResiduals` R128
///   K_i: 3×3 (128→128), IN + ReLU
///   D: `decoderResiduals` R128; then up ×2, 3×3 (128→64); up ×2, 3×3 (64→32), each IN + ReLU; 9×9 (32→3), linear
/// The paper has no residual blocks (`paper`). Without them the network sees about 40 px of the
/// photo per output pixel, so it can only repeat a style's small marks; Johnson et al.'s five R128
/// at quarter resolution reach past 100 px, and so do our R128 on both sides of the bank.
/// The output layer is linear, as in pytorch/examples' fast-neural-style, and clamped to 0…1 only
/// at inference. The first trained bank had a sigmoid there: 12% of a test photo's pixels ended up
/// saturated at exactly 0 in black blots no gradient could reach (σ' ≈ 0), in every style.
public struct StyleBankArchitecture: Sendable, Equatable, CustomStringConvertible {
    /// Recorded in weight files. v1 had a sigmoid output layer; its weights do not fit v2. The
    /// residual blocks need no new version: a file's own parameter names say how many it has.
    public static let version = "stylebank-v2"
    public static let featureChannels = 128
    public var encoderResiduals: Int
    public var decoderResiduals: Int

    public init(encoderResiduals: Int = 0, decoderResiduals: Int = 0) {
        (self.encoderResiduals, self.decoderResiduals) = (encoderResiduals, decoderResiduals)
    }

    /// Chen et al.'s layout: no residual blocks.
    public static let paper = StyleBankArchitecture()
    /// What `atelier train stylebank` builds unless told otherwise.
    public static let standard = StyleBankArchitecture(encoderResiduals: 2, decoderResiduals: 2)

    /// The layout of a set of weights, from the residual blocks' names (`encoder.res<i>.*`, `decoder.res<i>.*`).
    public init(weights: [String: Tensor]) {
        func count(_ side: String) -> Int { (0...).first { weights["\(side).res\($0).0.weight"] == nil }! }
        self.init(encoderResiduals: count("encoder"), decoderResiduals: count("decoder"))
    }

    public var description: String { "\(encoderResiduals) + \(decoderResiduals) residual blocks" }

    public var encoder: [LayerSpec] {
        [.conv(ConvBlockSpec("encoder.0", 3, 32, kernel: 9)),
         .conv(ConvBlockSpec("encoder.1", 32, 64, kernel: 3, stride: 2)),
         .conv(ConvBlockSpec("encoder.2", 64, 128, kernel: 3, stride: 2))]
            + (0..<encoderResiduals).map { .residual("encoder.res\($0)", channels: Self.featureChannels) }
    }

    public var decoder: [LayerSpec] {
        (0..<decoderResiduals).map { .residual("decoder.res\($0)", channels: Self.featureChannels) }
            + [.conv(ConvBlockSpec("decoder.0", 128, 64, kernel: 3, upsample: true)),
               .conv(ConvBlockSpec("decoder.1", 64, 32, kernel: 3, upsample: true)),
               .conv(ConvBlockSpec("decoder.2", 32, 3, kernel: 9, normalized: false, activation: .none))]
    }

    public static func bank(_ style: Int) -> ConvBlockSpec { ConvBlockSpec("bank.\(style)", 128, 128, kernel: 3) }

    /// The auto-encoder's layers, then the given styles' banks.
    public func layers(styles: [Int]) -> [LayerSpec] { encoder + decoder + styles.map { .conv(Self.bank($0)) } }

    /// Seeded initial weights of the auto-encoder and the given styles' banks.
    public func initialWeights(styles: [Int], seed: UInt64) -> [String: Tensor] {
        let layers = layers(styles: styles)
        var w: [String: Tensor] = [:]
        for (i, layer) in layers.enumerated() { w.merge(layer.initialWeights(seed: seed &+ UInt64(i) &* 7919)) { a, _ in a } }
        return w
    }

    /// `weights` of a layout with fewer residual blocks, completed to this one: the missing blocks
    /// start as the identity (zero γ), so the network computes exactly what it did, and training
    /// can go on from there.
    public func grown(from weights: [String: Tensor], seed: UInt64) throws -> [String: Tensor] {
        let old = StyleBankArchitecture(weights: weights)
        guard old.encoderResiduals <= encoderResiduals, old.decoderResiduals <= decoderResiduals else {
            throw ModelError("cannot shrink StyleBank weights with \(old) to \(self)")
        }
        return weights.merging(initialWeights(styles: [], seed: seed)) { given, _ in given }
    }
}

/// The trained StyleBank network for inference.
public struct StyleBankNetwork {
    public let architecture: StyleBankArchitecture
    public let encoder: [ConvLayer]
    public let decoder: [ConvLayer]
    /// Style id → K_i. Banks can be added and removed; the auto-encoder never changes.
    public var banks: [Int: ConvBlock]

    /// `weights` holds encoder.*, decoder.* and bank.<id>.* for every id in `styles`; the number
    /// of residual blocks is read from their names.
    public init(weights: [String: Tensor], styles: [Int]) throws {
        architecture = StyleBankArchitecture(weights: weights)
        encoder = try architecture.encoder.map { try ConvLayer($0, weights: weights) }
        decoder = try architecture.decoder.map { try ConvLayer($0, weights: weights) }
        var banks: [Int: ConvBlock] = [:]
        for id in styles { banks[id] = try ConvBlock(StyleBankArchitecture.bank(id), weights: weights) }
        self.banks = banks
    }

    /// Adds (or replaces) style `id`'s bank from `weights` holding `bank.<id>.*`.
    public mutating func installBank(_ id: Int, weights: [String: Tensor]) throws {
        banks[id] = try ConvBlock(StyleBankArchitecture.bank(id), weights: weights)
    }

    /// (A large image's full-resolution blocks run in stripes: `StripedPair`, `ConvBlock.stripedConvolution`.)
    public func encode(_ image: Tensor) -> Tensor { encoder.run(image) }
    /// The decoded image, clamped to 0…1 (the output layer is linear). It takes the features
    /// (`consuming`) so that, passed as their last use, they are freed once the first decoder
    /// layer has read them: at 4096² they are 512 MB.
    public func decode(_ features: consuming Tensor) -> Tensor { clampUnit(decoder.run(features)) }

    /// Linear fusion (Chen et al. §3.3): the weighted sum of the chosen banks' responses to the
    /// content features, decoded. `image` is [N, 3, H, W] in 0…1 with H, W multiples of 4.
    public func callAsFunction(_ image: Tensor, blend: [Int: Float]) -> Tensor {
        let fused = fuse(encode(image), blend: blend)   // the features are gone before decoding
        return decode(consume fused)
    }

    /// The weighted sum of the blend's bank responses to `features`.
    func fuse(_ features: Tensor, blend: [Int: Float]) -> Tensor {
        var mixed: Tensor?
        for (id, w) in blend.sorted(by: { $0.key < $1.key }) {
            let response = w == 1 ? banks[id]!(features) : scale(banks[id]!(features), by: w)   // one style: no copy
            mixed = mixed.map { add($0, response) } ?? response
        }
        return mixed ?? features
    }
}

extension StyleBankNetwork {
    /// Region-specific fusion (Chen et al. §3.3), as a spatially-adaptive modulation of the bank
    /// responses in the spirit of SPADE (Park et al. 2019): every bank's response to the content
    /// features is scaled per pixel by its region's soft map, and the sum is decoded —
    ///   F̃(p) = Σ_i m_i(p) · K_i(E(x))(p),  Σ_i m_i(p) = 1.
    /// `regions[i].weights` is [1, 1, H/4, W/4] (the feature grid); `image` as in `callAsFunction(_:blend:)`.
    public func callAsFunction(_ image: Tensor, regions: [(style: Int, weights: Tensor)]) -> Tensor {
        let fused = fuse(encode(image), regions: regions)   // the features are gone before decoding
        return decode(consume fused)
    }

    /// Σ_i m_i · K_i(features).
    func fuse(_ features: Tensor, regions: [(style: Int, weights: Tensor)]) -> Tensor {
        var mixed: Tensor?
        for (id, weights) in regions {
            let response = modulate(banks[id]!(features), by: weights)
            mixed = mixed.map { add($0, response) } ?? response
        }
        return mixed ?? features
    }
}

/// x[n, c, y, x] · m[0, 0, y, x]: every channel plane scaled by one spatial map.
public func modulate(_ x: Tensor, by map: Tensor) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    precondition(map.shape == [1, 1, h, w], "spatial map \(map.shape) does not fit features \(x.shape)")
    var out = x
    out.withUnsafeMutableBufferPointer { o in
        map.withUnsafeBufferPointer { m in
            for plane in 0..<(n * c) {
                let p = o.baseAddress! + plane * h * w
                for i in 0..<(h * w) { p[i] *= m[i] }
            }
        }
    }
    return out
}

