import Tensor

/// One convolution block of a feed-forward stylization network:
///   [nearest upsample ×2] → reflect pad (k/2) → conv k×k / stride → [instance norm with affine γ, β] → activation
/// Weights are named `<name>.weight` [out, in, k, k], and `<name>.gamma`, `<name>.beta` [out] when
/// normalized, else `<name>.bias` [out] (a bias before instance norm would be cancelled by it).
public struct ConvBlockSpec: Sendable {
    public let name: String
    public let inChannels: Int, outChannels: Int, kernel: Int, stride: Int
    public let upsample: Bool
    public let normalized: Bool
    public let activation: Activation

    public init(_ name: String, _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1,
                upsample: Bool = false, normalized: Bool = true, activation: Activation = .relu) {
        (self.name, self.inChannels, self.outChannels, self.kernel, self.stride) = (name, inChannels, outChannels, kernel, stride)
        (self.upsample, self.normalized, self.activation) = (upsample, normalized, activation)
    }

    public var padding: Int { kernel / 2 }
    public var parameterNames: [String] {
        normalized ? ["\(name).weight", "\(name).gamma", "\(name).beta"] : ["\(name).weight", "\(name).bias"]
    }
}

/// StyleBank (Chen et al., CVPR 2017): a shared auto-encoder (E, D) with one filter bank K_i per
/// style between them. Stylizing with style i is D(K_i(E(x))); plain reconstruction is D(E(x)).
/// Layout as in the paper's public reimplementations (see shared/docs/METHODS.md):
///   E: 9×9 (3→32), 3×3/2 (32→64), 3×3/2 (64→128), each IN + ReLU
///   K_i: 3×3 (128→128), IN + ReLU
///   D: up ×2, 3×3 (128→64); up ×2, 3×3 (64→32), each IN + ReLU; 9×9 (32→3), linear
/// The output layer is linear, as in pytorch/examples' fast-neural-style, and clamped to 0…1 only
/// at inference. The first trained bank had a sigmoid there: 12% of a test photo's pixels ended up
/// saturated at exactly 0 in black blots no gradient could reach (σ' ≈ 0), in every style.
public enum StyleBankArchitecture {
    /// Recorded in weight files. v1 had a sigmoid output layer; its weights do not fit v2.
    public static let version = "stylebank-v2"
    public static let featureChannels = 128
    public static let encoder = [
        ConvBlockSpec("encoder.0", 3, 32, kernel: 9),
        ConvBlockSpec("encoder.1", 32, 64, kernel: 3, stride: 2),
        ConvBlockSpec("encoder.2", 64, 128, kernel: 3, stride: 2),
    ]
    public static let decoder = [
        ConvBlockSpec("decoder.0", 128, 64, kernel: 3, upsample: true),
        ConvBlockSpec("decoder.1", 64, 32, kernel: 3, upsample: true),
        ConvBlockSpec("decoder.2", 32, 3, kernel: 9, normalized: false, activation: .none),
    ]
    public static func bank(_ style: Int) -> ConvBlockSpec { ConvBlockSpec("bank.\(style)", 128, 128, kernel: 3) }

    /// He-normal weights (std √(2 / fan-in)), γ = 1, β = 0, bias 0, from a seeded generator.
    public static func initialize(_ spec: ConvBlockSpec, seed: UInt64) -> [String: Tensor] {
        var rng = SeededNormal(seed: seed)
        let fanIn = spec.inChannels * spec.kernel * spec.kernel
        let std = (2 / Float(fanIn)).squareRoot()
        let count = spec.outChannels * fanIn
        var out = ["\(spec.name).weight": Tensor(shape: [spec.outChannels, spec.inChannels, spec.kernel, spec.kernel],
                                                  values: (0..<count).map { _ in rng.next() * std })]
        if spec.normalized {
            out["\(spec.name).gamma"] = Tensor(shape: [spec.outChannels], repeating: 1)
            out["\(spec.name).beta"] = Tensor(shape: [spec.outChannels], repeating: 0)
        } else {
            out["\(spec.name).bias"] = Tensor(shape: [spec.outChannels], repeating: 0)
        }
        return out
    }
}

/// A `ConvBlockSpec` with its weights, ready to run.
public struct ConvBlock {
    public let spec: ConvBlockSpec
    public let conv: Conv2D
    public let gamma: [Float], beta: [Float]

    public init(_ spec: ConvBlockSpec, weights: [String: Tensor]) throws {
        guard let w = weights["\(spec.name).weight"], w.shape == [spec.outChannels, spec.inChannels, spec.kernel, spec.kernel] else {
            throw ModelError("\(spec.name): missing or misshapen weight")
        }
        self.spec = spec
        if spec.normalized {
            guard let g = weights["\(spec.name).gamma"], let b = weights["\(spec.name).beta"],
                  g.count == spec.outChannels, b.count == spec.outChannels else { throw ModelError("\(spec.name): missing γ/β") }
            conv = Conv2D(weight: w, stride: spec.stride)
            (gamma, beta) = (g.scalars, b.scalars)
        } else {
            guard let b = weights["\(spec.name).bias"], b.count == spec.outChannels else { throw ModelError("\(spec.name): missing bias") }
            conv = Conv2D(weight: w, bias: b, stride: spec.stride)
            (gamma, beta) = ([], [])
        }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let input = spec.upsample ? upsampleNearest(x, factor: 2) : x
        let p = spec.padding
        let y = conv(p > 0 ? pad2d(input, top: p, bottom: p, left: p, right: p, mode: .reflect) : input)
        if spec.normalized { return instanceNorm(y, gamma: gamma, beta: beta, activation: spec.activation) }
        switch spec.activation {
        case .none: return y
        case .relu: return relu(y)
        case .sigmoid: return sigmoid(y)
        }
    }
}

/// The trained StyleBank network for inference.
public struct StyleBankNetwork {
    public let encoder: [ConvBlock]
    public let decoder: [ConvBlock]
    /// Style id → K_i. Banks can be added and removed; the auto-encoder never changes.
    public var banks: [Int: ConvBlock]

    /// `weights` holds encoder.*, decoder.* and bank.<id>.* for every id in `styles`.
    public init(weights: [String: Tensor], styles: [Int]) throws {
        encoder = try StyleBankArchitecture.encoder.map { try ConvBlock($0, weights: weights) }
        decoder = try StyleBankArchitecture.decoder.map { try ConvBlock($0, weights: weights) }
        var banks: [Int: ConvBlock] = [:]
        for id in styles { banks[id] = try ConvBlock(StyleBankArchitecture.bank(id), weights: weights) }
        self.banks = banks
    }

    /// Adds (or replaces) style `id`'s bank from `weights` holding `bank.<id>.*`.
    public mutating func installBank(_ id: Int, weights: [String: Tensor]) throws {
        banks[id] = try ConvBlock(StyleBankArchitecture.bank(id), weights: weights)
    }

    public func encode(_ image: Tensor) -> Tensor { encoder.reduce(image) { $1($0) } }
    /// The decoded image, clamped to 0…1 (the output layer is linear).
    public func decode(_ features: Tensor) -> Tensor { clampUnit(decoder.reduce(features) { $1($0) }) }

    /// Linear fusion (Chen et al. §3.3): the weighted sum of the chosen banks' responses to the
    /// content features, decoded. `image` is [N, 3, H, W] in 0…1 with H, W multiples of 4.
    public func callAsFunction(_ image: Tensor, blend: [Int: Float]) -> Tensor {
        let features = encode(image)
        var mixed: Tensor?
        for (id, w) in blend.sorted(by: { $0.key < $1.key }) {
            let response = scale(banks[id]!(features), by: w)
            mixed = mixed.map { add($0, response) } ?? response
        }
        return decode(mixed ?? features)
    }
}

extension StyleBankNetwork {
    /// Region-specific fusion (Chen et al. §3.3), as a spatially-adaptive modulation of the bank
    /// responses in the spirit of SPADE (Park et al. 2019): every bank's response to the content
    /// features is scaled per pixel by its region's soft map, and the sum is decoded —
    ///   F̃(p) = Σ_i m_i(p) · K_i(E(x))(p),  Σ_i m_i(p) = 1.
    /// `regions[i].weights` is [1, 1, H/4, W/4] (the feature grid); `image` as in `callAsFunction(_:blend:)`.
    public func callAsFunction(_ image: Tensor, regions: [(style: Int, weights: Tensor)]) -> Tensor {
        let features = encode(image)
        var mixed: Tensor?
        for (id, weights) in regions {
            let response = modulate(banks[id]!(features), by: weights)
            mixed = mixed.map { add($0, response) } ?? response
        }
        return decode(mixed ?? features)
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

/// Standard normal samples (Box–Muller over SplitMix64), reproducible from a seed.
public struct SeededNormal {
    var uniforms: SplitMix64
    var spare: Float?
    public init(seed: UInt64) { uniforms = SplitMix64(seed: seed) }

    public mutating func next() -> Float {
        if let s = spare { spare = nil; return s }
        let r = (-2 * log(uniforms.uniform())).squareRoot(), t = 2 * Double.pi * uniforms.uniform()
        spare = Float(r * sin(t))
        return Float(r * cos(t))
    }
}

import Foundation
