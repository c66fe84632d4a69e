import Foundation
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
    /// Whether the block's upsampling runs folded into its convolution (`UpsampledConv`), in
    /// inference and in training alike.
    public var foldsUpsampling: Bool { upsample && UpsampledConv.suits(kernel: kernel, stride: stride, padding: padding) }
    public var parameterNames: [String] {
        normalized ? ["\(name).weight", "\(name).gamma", "\(name).beta"] : ["\(name).weight", "\(name).bias"]
    }
}

extension ConvBlockSpec {
    /// He-normal weights (std √(2 / fan-in)), γ = 1, β = 0, bias 0, from a seeded generator.
    public func initialWeights(seed: UInt64) -> [String: Tensor] {
        var rng = SeededNormal(seed: seed)
        let fanIn = inChannels * kernel * kernel
        let std = (2 / Float(fanIn)).squareRoot()
        var out = ["\(name).weight": Tensor(shape: [outChannels, inChannels, kernel, kernel],
                                             values: (0..<(outChannels * fanIn)).map { _ in rng.next() * std })]
        if normalized {
            out["\(name).gamma"] = Tensor(shape: [outChannels], repeating: 1)
            out["\(name).beta"] = Tensor(shape: [outChannels], repeating: 0)
        } else {
            out["\(name).bias"] = Tensor(shape: [outChannels], repeating: 0)
        }
        return out
    }
}

/// A `ConvBlockSpec` with its weights, ready to run.
public struct ConvBlock {
    public let spec: ConvBlockSpec
    public let conv: Conv2D
    /// An upsampling block's convolution with the upsampling folded in (`UpsampledConv`).
    public let upsampledConv: UpsampledConv?
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
        upsampledConv = spec.foldsUpsampling ? UpsampledConv(weight: w, bias: conv.bias) : nil
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if runsInStripes(inputShape: x.shape) {   // a large image: no whole upsampled or padded copy, normalized in place
            var y = stripedConvolution(x)
            if spec.normalized { instanceNormInPlace(&y, gamma: gamma, beta: beta, activation: spec.activation) } else { y = activate(y, spec.activation) }
            return y
        }
        var y: Tensor
        if let upsampledConv {
            y = upsampledConv(x)
        } else {
            let input = spec.upsample ? upsampleNearest(x, factor: 2) : x
            let p = spec.padding
            y = conv(p > 0 ? pad2d(input, top: p, bottom: p, left: p, right: p, mode: .reflect) : input)
        }
        guard spec.normalized else { return activate(y, spec.activation) }
        instanceNormInPlace(&y, gamma: gamma, beta: beta, activation: spec.activation)   // y is this block's own: no second buffer
        return y
    }
}

/// One layer of a feed-forward stylization network: a conv block, or a residual block x + B(A(x))
/// of two same-width 3×3 blocks, the second without ReLU (Johnson et al.'s R128; He et al. 2016).
public enum LayerSpec: Sendable {
    case conv(ConvBlockSpec)
    case residual(ConvBlockSpec, ConvBlockSpec)

    /// A residual block of `channels` channels: blocks `<name>.0` (conv, IN, ReLU) and `<name>.1` (conv, IN).
    public static func residual(_ name: String, channels: Int) -> LayerSpec {
        .residual(ConvBlockSpec("\(name).0", channels, channels, kernel: 3),
                  ConvBlockSpec("\(name).1", channels, channels, kernel: 3, activation: .none))
    }

    public var blocks: [ConvBlockSpec] {
        switch self {
        case .conv(let b): return [b]
        case .residual(let a, let b): return [a, b]
        }
    }
    public var parameterNames: [String] { blocks.flatMap(\.parameterNames) }

    /// Seeded initial weights: He-normal convolutions; a residual block's last γ is 0, so the block
    /// starts as the identity (Goyal et al. 2017's zero-γ) and can be added to a trained network
    /// without changing what it computes.
    public func initialWeights(seed: UInt64) -> [String: Tensor] {
        var w: [String: Tensor] = [:]
        for (i, block) in blocks.enumerated() { w.merge(block.initialWeights(seed: seed &+ UInt64(i) &* 104_729)) { a, _ in a } }
        if case .residual(_, let last) = self { w["\(last.name).gamma"] = Tensor(shape: [last.outChannels], repeating: 0) }
        return w
    }
}

/// A `LayerSpec` with its weights, ready to run.
public enum ConvLayer {
    case conv(ConvBlock)
    case residual(ConvBlock, ConvBlock)

    public init(_ spec: LayerSpec, weights: [String: Tensor]) throws {
        switch spec {
        case .conv(let b): self = .conv(try ConvBlock(b, weights: weights))
        case .residual(let a, let b): self = .residual(try ConvBlock(a, weights: weights), try ConvBlock(b, weights: weights))
        }
    }

    public var name: String {
        switch self {
        case .conv(let b): return b.spec.name
        case .residual(let a, _): return String(a.spec.name.dropLast(2))
        }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .conv(let b): return b(x)
        case .residual(let a, let b):
            var y = b(a(x))
            addInPlace(&y, x)
            return y
        }
    }
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
