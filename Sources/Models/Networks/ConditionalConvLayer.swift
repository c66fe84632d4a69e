import Tensor

/// One "conv block" of the conditional-IN style network (Dumoulin et al. 2017, after Johnson et al.):
///   [nearest upsample ×2] → reflect pad → conv (no bias) → conditional instance norm → activation
/// The norm's γ and β are rows of per-style tables [styles, C]; a blend of styles uses the
/// weighted sum of rows (Dumoulin et al. §4: "convex combination of styles").
public struct ConditionalConvLayer {
    public let conv: Conv2D
    public let gamma: Tensor   // [styles, C]
    public let beta: Tensor    // [styles, C]
    public let upsample: Bool
    public let activation: Activation
    /// An upsampling layer's convolution with the upsampling folded in (`UpsampledConv`).
    public let upsampledConv: UpsampledConv?

    public init(conv: Conv2D, gamma: Tensor, beta: Tensor, upsample: Bool, activation: Activation) {
        precondition(gamma.shape == beta.shape && gamma.rank == 2 && gamma.shape[1] == conv.outChannels)
        self.conv = conv
        self.gamma = gamma
        self.beta = beta
        self.upsample = upsample
        self.activation = activation
        upsampledConv = upsample && conv.kernelH == conv.kernelW && UpsampledConv.suits(kernel: conv.kernelH, stride: conv.stride, padding: conv.kernelH / 2)
            ? UpsampledConv(weight: conv.weight, bias: conv.bias) : nil
    }

    public var styleCount: Int { gamma.shape[0] }

    public func callAsFunction(_ x: Tensor, styleWeights: [Float]) -> Tensor {
        var y: Tensor
        if let upsampledConv {
            y = upsampledConv(x)
        } else {
            let input = upsample ? upsampleNearest(x, factor: 2) : x
            let p = conv.kernelH / 2
            y = conv(pad2d(input, top: p, bottom: p, left: p, right: p, mode: .reflect))
        }
        instanceNormInPlace(&y, gamma: blend(gamma, styleWeights), beta: blend(beta, styleWeights), activation: activation)
        return y
    }

    /// Σ_s w_s · table[s]
    func blend(_ table: Tensor, _ weights: [Float]) -> [Float] {
        let c = table.shape[1]
        var out = [Float](repeating: 0, count: c)
        table.withUnsafeBufferPointer { t in
            for (s, w) in weights.enumerated() where w != 0 {
                for i in 0..<c { out[i] += w * t[s * c + i] }
            }
        }
        return out
    }
}
