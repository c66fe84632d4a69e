import Foundation

// The layers MUNIT (Huang et al., "Multimodal Unsupervised Image-to-Image Translation") needs
// beyond what the feed-forward stylization networks use: layer normalization in the decoder's
// upsampling path, leaky ReLU in the discriminators, tanh at the decoder's output, average
// pooling (the multi-scale discriminator and the style encoder), small fully connected layers
// (the MLP that predicts AdaIN parameters) and AdaIN with those predicted parameters.
// The gradients are in Backward/MUNITOpsBackward.swift.

/// MUNIT's layer normalization for [N, C, H, W]: per image n, μ_n and σ²_n are the mean and
/// (biased) variance over all M = C·H·W of its values, then a per-channel affine map:
///   y = γ_c · (x − μ_n) / √(σ²_n + ε) + β_c
/// `gamma` and `beta` have C values. The statistics are computed as `instanceNorm` computes its
/// (`planeMeanVariance`: shifted sums in double precision), so `layerNormBackward` sees the same.
public func layerNorm(_ x: Tensor, gamma: [Float], beta: [Float], epsilon: Float = 1e-5) -> Tensor {
    precondition(x.rank == 4, "layer norm needs [N, C, H, W], got \(x.shape)")
    let (n, c) = (x.shape[0], x.shape[1])
    let plane = x.shape[2] * x.shape[3], image = c * plane
    precondition(gamma.count == c && beta.count == c, "layer norm needs \(c) γ/β values, got \(gamma.count)/\(beta.count)")
    guard image > 0 else { return x }
    var stats = [(mean: Float, inverseStd: Float)](repeating: (0, 0), count: n)
    x.withUnsafeBufferPointer { src in
        stats.withUnsafeMutableBufferPointer { stats in
            Parallel.forEach(n) { i in
                let (mean, variance) = planeMeanVariance(src.baseAddress! + i * image, count: image)
                stats[i] = (mean, 1 / (variance + epsilon).squareRoot())
            }
        }
    }
    var out = Tensor(uninitialized: x.shape)
    out.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { src in
            Parallel.forEach(n * c) { p in
                let (i, ch) = (p / c, p % c)
                let sc = gamma[ch] * stats[i].inverseStd
                applyAffine(src.baseAddress! + p * plane, dst.baseAddress! + p * plane, count: plane,
                            scale: sc, shift: beta[ch] - stats[i].mean * sc, activation: .none)
            }
        }
    }
    return out
}

/// `layerNorm` computed the textbook way in double precision: the reference for tests.
public func layerNormReference(_ x: Tensor, gamma: [Float], beta: [Float], epsilon: Float = 1e-5) -> Tensor {
    let (n, c) = (x.shape[0], x.shape[1])
    let plane = x.shape[2] * x.shape[3], image = c * plane
    let v = x.scalars
    var out = [Float](repeating: 0, count: v.count)
    for i in 0..<n {
        let values = v[(i * image)..<((i + 1) * image)].map(Double.init)
        let mean = values.reduce(0, +) / Double(image)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(image)
        let std = (variance + Double(epsilon)).squareRoot()
        for j in 0..<image {
            let ch = j / plane
            out[i * image + j] = Float(Double(gamma[ch]) * (values[j] - mean) / std + Double(beta[ch]))
        }
    }
    return Tensor(shape: x.shape, values: out)
}

/// Leaky ReLU, elementwise: y = x for x > 0, slope · x otherwise (MUNIT's discriminators use 0.2).
public func leakyReLU(_ x: Tensor, slope: Float = 0.2) -> Tensor {
    var out = x
    out.withUnsafeMutableBufferPointer { d in
        for i in 0..<d.count where !(d[i] > 0) { d[i] *= slope }
    }
    return out
}

/// The hyperbolic tangent, elementwise: y = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ) (MUNIT's decoder output,
/// images in −1…1). Named so as not to clash with Foundation's `tanh`.
public func hyperbolicTangent(_ x: Tensor) -> Tensor {
    var out = x
    out.withUnsafeMutableBufferPointer { d in
        for i in 0..<d.count { d[i] = tanh(d[i]) }
    }
    return out
}

/// 2×2 average pooling with stride 2 for [N, C, H, W] with even H and W:
///   y[n, c, i, j] = ¼ · (x[2i, 2j] + x[2i, 2j + 1] + x[2i + 1, 2j] + x[2i + 1, 2j + 1])
public func averagePool2x2(_ x: Tensor) -> Tensor {
    precondition(x.rank == 4, "average pool needs [N, C, H, W], got \(x.shape)")
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    precondition(h % 2 == 0 && w % 2 == 0, "2×2 average pooling needs even H and W, got \(x.shape)")
    let oh = h / 2, ow = w / 2
    var out = Tensor(uninitialized: [n, c, oh, ow])
    out.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { src in
            Parallel.forEach(n * c) { plane in
                let s = src.baseAddress! + plane * h * w, d = dst.baseAddress! + plane * oh * ow
                for y in 0..<oh {
                    let r0 = s + 2 * y * w, r1 = r0 + w
                    for x in 0..<ow {
                        d[y * ow + x] = 0.25 * ((r0[2 * x] + r0[2 * x + 1]) + (r1[2 * x] + r1[2 * x + 1]))
                    }
                }
            }
        }
    }
    return out
}

/// Global average pooling: y[n, c, 0, 0] = (1 / (H·W)) · Σ_{h,w} x[n, c, h, w], giving [N, C, 1, 1]
/// (the end of MUNIT's style encoder; Magenta's instance norms, 26 per stylization). Sums in double
/// precision, four running sums per plane (one serial sum waited on each add's latency), planes
/// spread over the workers.
public func globalAveragePool(_ x: Tensor) -> Tensor {
    precondition(x.rank == 4, "global average pool needs [N, C, H, W], got \(x.shape)")
    let (n, c) = (x.shape[0], x.shape[1])
    let plane = x.shape[2] * x.shape[3]
    var out = Tensor(zeros: [n, c, 1, 1])
    guard plane > 0 else { return out }
    out.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { src in
            Parallel.forEach(n * c) { p in
                let s = src.baseAddress! + p * plane
                var sums = SIMD4<Double>()
                var i = 0
                while i + 4 <= plane {
                    sums += SIMD4(Double(s[i]), Double(s[i + 1]), Double(s[i + 2]), Double(s[i + 3]))
                    i += 4
                }
                var sum = sums.sum()
                while i < plane { sum += Double(s[i]); i += 1 }
                dst.baseAddress![p] = Float(sum / Double(plane))
            }
        }
    }
    return out
}

/// A fully connected layer: x [N, In], weight [Out, In], bias [Out] → [N, Out] with
///   y[n, o] = Σ_i x[n, i] · W[o, i] + b[o]
/// A plain loop (sums in double precision): MUNIT's MLPs are a few hundred units wide.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
    precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1],
                 "linear: x \(x.shape), weight \(weight.shape)")
    let (n, inputs, outputs) = (x.shape[0], x.shape[1], weight.shape[0])
    precondition(bias.count == outputs, "linear: bias has \(bias.count) values for \(outputs) outputs")
    var out = Tensor(uninitialized: [n, outputs])
    out.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { xs in
            weight.withUnsafeBufferPointer { ws in
                bias.withUnsafeBufferPointer { bs in
                    for r in 0..<n {
                        for o in 0..<outputs {
                            var s = Double(bs[o])
                            for i in 0..<inputs { s += Double(xs[r * inputs + i]) * Double(ws[o * inputs + i]) }
                            dst[r * outputs + o] = Float(s)
                        }
                    }
                }
            }
        }
    }
    return out
}

/// MUNIT's adaptive instance normalization with predicted parameters: `scale` and `shift` are
/// [N, C] (an MLP's output, one row per image), and per plane (n, c), with μ, σ² its mean and
/// (biased) variance over H×W,
///   y = scale[n, c] · (x − μ_{n,c}) / √(σ²_{n,c} + ε) + shift[n, c]
/// This is `instanceNorm` with N·C γ/β values. (The other `adaptiveInstanceNorm`, with `style:`,
/// takes its parameters from a style image's channel moments.)
public func adaptiveInstanceNorm(_ x: Tensor, scale: Tensor, shift: Tensor, epsilon: Float = 1e-5) -> Tensor {
    precondition(x.rank == 4, "adaptive instance norm needs [N, C, H, W], got \(x.shape)")
    let nc = [x.shape[0], x.shape[1]]
    precondition(scale.shape == nc && shift.shape == nc,
                 "adaptive instance norm: scale \(scale.shape) and shift \(shift.shape) for x \(x.shape), need \(nc)")
    return instanceNorm(x, gamma: scale.scalars, beta: shift.scalars, epsilon: epsilon)
}
