import Tensor

/// A layer described as data, for networks that are more than the stylization chain
/// (`LayerSpec`): MUNIT's two encoders, its MLP, its AdaIN decoder and its discriminators are
/// each a `[Layer]`. Parameters are looked up by name (`<name>.weight`, `.bias`, `.gamma`,
/// `.beta`); an `adaptiveInstanceNorm` takes its scale and shift from outside the network (the
/// MLP's output), numbered in the order the layers meet them. Running a `[Layer]` forward is
/// here; training it (a traced forward and its backward) is `LayerTraining` in Training.
public indirect enum Layer: Sendable {
    /// [nearest upsample ×2] → pad → k×k convolution with stride (+ bias).
    case conv(Conv)
    /// Instance normalization with learned per-channel γ, β (MUNIT's content encoder).
    case instanceNorm(name: String, channels: Int)
    /// Layer normalization over C·H·W per image with per-channel γ, β (MUNIT's upsampling path).
    case layerNorm(name: String, channels: Int)
    /// Instance normalization whose scale and shift, [N, C] each, come from outside: the
    /// `index`-th pair given to the forward pass.
    case adaptiveInstanceNorm(index: Int, channels: Int)
    case relu
    case leakyReLU(slope: Float)
    case tanh
    /// y = x + f(x).
    case residual([Layer])
    /// [N, C, H, W] → [N, C, 1, 1].
    case globalAveragePool
    /// A fully connected layer on [N, C, 1, 1] (read as [N, C]), giving [N, out, 1, 1].
    case linear(name: String, inputs: Int, outputs: Int)

    public struct Conv: Sendable {
        public let name: String
        public let inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int
        public let padMode: PaddingMode
        public let upsample: Bool, bias: Bool

        public init(_ name: String, _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int? = nil,
                    padMode: PaddingMode = .reflect, upsample: Bool = false, bias: Bool = true) {
            (self.name, self.inChannels, self.outChannels, self.kernel, self.stride) = (name, inChannels, outChannels, kernel, stride)
            (self.padding, self.padMode, self.upsample, self.bias) = (padding ?? kernel / 2, padMode, upsample, bias)
        }
    }

    /// Shorthand for a convolution layer.
    public static func conv(_ name: String, _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int? = nil,
                            upsample: Bool = false, bias: Bool = true) -> Layer {
        .conv(Conv(name, inChannels, outChannels, kernel: kernel, stride: stride, padding: padding, upsample: upsample, bias: bias))
    }

    /// Names and shapes of the layer's own parameters (not of the AdaIN inputs).
    public var parameterShapes: [(name: String, shape: [Int])] {
        switch self {
        case .conv(let c):
            return [("\(c.name).weight", [c.outChannels, c.inChannels, c.kernel, c.kernel])] + (c.bias ? [("\(c.name).bias", [c.outChannels])] : [])
        case .instanceNorm(let name, let channels), .layerNorm(let name, let channels):
            return [("\(name).gamma", [channels]), ("\(name).beta", [channels])]
        case .linear(let name, let inputs, let outputs):
            return [("\(name).weight", [outputs, inputs]), ("\(name).bias", [outputs])]
        case .residual(let body):
            return body.flatMap(\.parameterShapes)
        case .adaptiveInstanceNorm, .relu, .leakyReLU, .tanh, .globalAveragePool:
            return []
        }
    }

    /// How many AdaIN scale/shift pairs the layer takes, and their channel counts, in order.
    public var adaptiveChannels: [Int] {
        switch self {
        case .adaptiveInstanceNorm(_, let channels): return [channels]
        case .residual(let body): return body.flatMap(\.adaptiveChannels)
        default: return []
        }
    }

    /// Seeded initial values: convolutions and linear layers He-normal (std √(2 / fan-in)) with
    /// zero bias; γ = 1, β = 0.
    public func initialParameters(seed: UInt64) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (i, p) in parameterShapes.enumerated() {
            if p.name.hasSuffix(".gamma") {
                out[p.name] = Tensor(shape: p.shape, repeating: 1)
            } else if p.name.hasSuffix(".weight") {
                let fanIn = p.shape.dropFirst().reduce(1, *)
                let std = (2 / Float(fanIn)).squareRoot()
                var rng = SeededNormal(seed: seed &+ UInt64(i) &* 7_919)   // the i-th tensor's own stream
                out[p.name] = Tensor(shape: p.shape, values: (0..<p.shape.reduce(1, *)).map { _ in rng.next() * std })
            } else {
                out[p.name] = Tensor(shape: p.shape, repeating: 0)
            }
        }
        return out
    }
}

/// The AdaIN inputs of a forward pass: the i-th pair, [N, C] each.
public typealias AdaptiveParameters = [(scale: Tensor, shift: Tensor)]

extension Array where Element == Layer {
    public var parameterShapes: [(name: String, shape: [Int])] { flatMap(\.parameterShapes) }
    public var adaptiveChannels: [Int] { flatMap(\.adaptiveChannels) }

    /// Seeded initial parameters of every layer (each layer from its own seed).
    public func initialParameters(seed: UInt64) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (i, layer) in enumerated() { out.merge(layer.initialParameters(seed: seed &+ UInt64(i) &* 104_729)) { a, _ in a } }
        return out
    }

    /// Runs the layers on x.
    public func callAsFunction(_ x: Tensor, _ parameters: [String: Tensor], adaptive: AdaptiveParameters = []) -> Tensor {
        reduce(x) { h, layer in layer.forward(h, parameters, adaptive: adaptive) }
    }
}

extension Layer {
    public func forward(_ x: Tensor, _ p: [String: Tensor], adaptive: AdaptiveParameters) -> Tensor {
        runLayer(self, x, p, adaptive)
    }
}

// A free function, so that `relu(x)`, `instanceNorm(x, …)` name the kernels, not `Layer`'s cases.
private func runLayer(_ layer: Layer, _ x: Tensor, _ p: [String: Tensor], _ adaptive: AdaptiveParameters) -> Tensor {
    switch layer {
    case .conv(let c):
        let (w, b) = (p["\(c.name).weight"]!, c.bias ? p["\(c.name).bias"]! : nil)
        if c.foldsUpsampling { return UpsampledConv(weight: w, bias: b)(x) }
        return Conv2D(weight: w, bias: b, stride: c.stride)(c.padded(c.upsample ? upsampleNearest(x, factor: 2) : x))
    case .instanceNorm(let name, _):
        return instanceNorm(x, gamma: p["\(name).gamma"]!.scalars, beta: p["\(name).beta"]!.scalars)
    case .layerNorm(let name, _):
        return layerNorm(x, gamma: p["\(name).gamma"]!.scalars, beta: p["\(name).beta"]!.scalars)
    case .adaptiveInstanceNorm(let index, _):
        return adaptiveInstanceNorm(x, scale: adaptive[index].scale, shift: adaptive[index].shift)
    case .relu: return relu(x)
    case .leakyReLU(let slope): return leakyReLU(x, slope: slope)
    case .tanh: return hyperbolicTangent(x)
    case .residual(let body): return add(x, body(x, p, adaptive: adaptive))
    case .globalAveragePool: return globalAveragePool(x)
    case .linear(let name, _, let outputs):
        let rows = linear(x.reshaped([x.shape[0], x.count / x.shape[0]]), weight: p["\(name).weight"]!, bias: p["\(name).bias"]!)
        return rows.reshaped([x.shape[0], outputs, 1, 1])
    }
}

extension Layer.Conv {
    /// Whether the upsampling runs folded into the convolution (`UpsampledConv`: MUNIT's 5×5
    /// upsampling layers), forward and backward.
    public var foldsUpsampling: Bool {
        upsample && padMode == .reflect && UpsampledConv.suits(kernel: kernel, stride: stride, padding: padding)
    }

    /// x padded on all four sides by `padding` (the conv itself is valid).
    public func padded(_ x: Tensor) -> Tensor {
        padding > 0 ? pad2d(x, top: padding, bottom: padding, left: padding, right: padding, mode: padMode) : x
    }
}
