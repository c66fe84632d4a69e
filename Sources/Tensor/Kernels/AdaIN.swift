/// Per-plane statistics of a feature map [N, C, H, W]: the mean μ and the standard deviation
/// σ = √(var + ε) (biased variance) of each (image, channel) plane, as Huang & Belongie (2017,
/// eq. 5–6) define them. `mean` and `std` hold N·C values, image-major.
public struct ChannelMoments: Sendable, Equatable {
    public var mean: [Float]
    public var std: [Float]
    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count, "moments: \(mean.count) means, \(std.count) deviations")
        (self.mean, self.std) = (mean, std)
    }
    public var count: Int { mean.count }

    /// Σ wᵢ·momentsᵢ: the statistics of several styles interpolated with weights (AdaIN §7.1's
    /// style interpolation mixes the decoded targets; mixing μ and σ is the same for a one-layer AdaIN).
    public static func blend(_ parts: [(ChannelMoments, Float)]) -> ChannelMoments {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.0.count == parts[0].0.count }, "moments blend: unequal sizes")
        var mean = [Float](repeating: 0, count: parts[0].0.count), std = mean
        for (m, w) in parts {
            for i in 0..<mean.count { mean[i] += w * m.mean[i]; std[i] += w * m.std[i] }
        }
        return ChannelMoments(mean: mean, std: std)
    }
}

/// μ and σ of every plane of `x`, with the same double-precision sums `instanceNorm` uses.
public func channelMoments(_ x: Tensor, epsilon: Float = 1e-5) -> ChannelMoments {
    precondition(x.rank == 4, "channel moments of \(x.shape)")
    let planes = x.shape[0] * x.shape[1], plane = x.shape[2] * x.shape[3]
    var mean = [Float](repeating: 0, count: planes), std = mean
    x.withUnsafeBufferPointer { s in
        mean.withUnsafeMutableBufferPointer { m in
            std.withUnsafeMutableBufferPointer { d in
                Parallel.forEach(planes) { p in
                    let (mu, variance) = planeMeanVariance(s.baseAddress! + p * plane, count: plane)
                    m[p] = mu
                    d[p] = (variance + epsilon).squareRoot()
                }
            }
        }
    }
    return ChannelMoments(mean: mean, std: std)
}

/// Adaptive instance normalization (Huang & Belongie 2017, eq. 8):
///   AdaIN(x, y) = σ(y) · (x − μ(x)) / σ(x) + μ(y)
/// per channel, the style's statistics given as moments: C values (one style for the batch) or
/// N·C (one per image). It is instance normalization whose affine γ, β are the style's σ and μ.
public func adaptiveInstanceNorm(_ x: Tensor, style: ChannelMoments, epsilon: Float = 1e-5) -> Tensor {
    instanceNorm(x, gamma: style.std, beta: style.mean, epsilon: epsilon)
}
