/// Gradients of the MUNIT layers in Kernels/MUNITOps.swift. gy is ∂L/∂y throughout.

/// Gradients of `layerNorm`. Per image n, with M = C·H·W, μ and σ² the image's mean and biased
/// variance, s = 1/√(σ² + ε), x̂ = (x − μ)·s and y = γ_c·x̂ + β_c:
///
///   ∂L/∂β_c = Σ_{n,h,w} gy                ∂L/∂γ_c = Σ_{n,h,w} gy · x̂
///   g       = gy · γ_c                    (∂L/∂x̂)
///   ∂L/∂x   = s · (g − mean_n(g) − x̂ · mean_n(g · x̂))
///
/// where mean_n averages over all M values of image n (the same derivation as instance norm's,
/// over the image instead of the plane, with γ varying inside it).
public func layerNormBackward(_ x: Tensor, gamma: [Float], gradOutput gy: Tensor, epsilon: Float = 1e-5)
    -> (gradInput: Tensor, gradGamma: [Float], gradBeta: [Float]) {
    precondition(x.rank == 4 && x.shape == gy.shape, "layer norm backward: x \(x.shape), gy \(gy.shape)")
    let (n, c) = (x.shape[0], x.shape[1])
    let plane = x.shape[2] * x.shape[3], image = c * plane
    precondition(gamma.count == c, "layer norm backward needs \(c) γ values, got \(gamma.count)")
    // Per-plane Σ gy and Σ gy·x̂ (for γ, β), reduced over the batch afterwards in a fixed order.
    var planeSums = [(Double, Double)](repeating: (0, 0), count: n * c)
    var gx = Tensor(uninitialized: x.shape)
    guard image > 0 else { return (gx, [Float](repeating: 0, count: c), [Float](repeating: 0, count: c)) }
    gx.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { xs in
            gy.withUnsafeBufferPointer { gs in
                planeSums.withUnsafeMutableBufferPointer { planeSums in
                    Parallel.forEach(n) { i in
                        let xp = xs.baseAddress! + i * image, gp = gs.baseAddress! + i * image
                        let out = dst.baseAddress! + i * image
                        let (mean, variance) = planeMeanVariance(xp, count: image)
                        let inverseStd = 1 / (variance + epsilon).squareRoot()
                        var sumG = 0.0, sumGXhat = 0.0
                        for ch in 0..<c {
                            var sumGy = 0.0, sumGyXhat = 0.0
                            for j in (ch * plane)..<((ch + 1) * plane) {
                                let xhat = Double((xp[j] - mean) * inverseStd), g = Double(gp[j])
                                sumGy += g
                                sumGyXhat += g * xhat
                            }
                            planeSums[i * c + ch] = (sumGy, sumGyXhat)
                            sumG += Double(gamma[ch]) * sumGy
                            sumGXhat += Double(gamma[ch]) * sumGyXhat
                        }
                        let meanG = Float(sumG / Double(image)), meanGXhat = Float(sumGXhat / Double(image))
                        for ch in 0..<c {
                            let g = gamma[ch]
                            for j in (ch * plane)..<((ch + 1) * plane) {
                                let xhat = (xp[j] - mean) * inverseStd
                                out[j] = inverseStd * (g * gp[j] - meanG - xhat * meanGXhat)
                            }
                        }
                    }
                }
            }
        }
    }
    var gradGamma = [Double](repeating: 0, count: c), gradBeta = gradGamma
    for p in 0..<(n * c) {
        gradBeta[p % c] += planeSums[p].0
        gradGamma[p % c] += planeSums[p].1
    }
    return (gx, gradGamma.map(Float.init), gradBeta.map(Float.init))
}

/// ∂L/∂x of `leakyReLU`, from its input x: gy where x > 0, slope · gy otherwise (so at x = 0 the
/// gradient is taken as slope · gy).
public func leakyReLUBackward(_ x: Tensor, slope: Float = 0.2, gradOutput gy: Tensor) -> Tensor {
    precondition(x.shape == gy.shape, "leaky relu backward: \(x.shape) vs \(gy.shape)")
    var gx = gy
    gx.withUnsafeMutableBufferPointer { g in
        x.withUnsafeBufferPointer { xs in
            for i in 0..<g.count where !(xs[i] > 0) { g[i] *= slope }
        }
    }
    return gx
}

/// ∂L/∂x of `hyperbolicTangent` from its output y = tanh(x): gy · (1 − y²).
public func hyperbolicTangentBackward(output y: Tensor, gradOutput gy: Tensor) -> Tensor {
    precondition(y.shape == gy.shape, "tanh backward: \(y.shape) vs \(gy.shape)")
    var gx = gy
    gx.withUnsafeMutableBufferPointer { g in
        y.withUnsafeBufferPointer { t in
            for i in 0..<g.count { g[i] *= 1 - t[i] * t[i] }
        }
    }
    return gx
}

/// ∂L/∂x of `averagePool2x2`: each of a window's four pixels gets a quarter of its gradient,
///   ∂L/∂x[2i + a, 2j + b] = ¼ · gy[i, j]   (a, b ∈ {0, 1})
/// The input shape is [N, C, 2·H_out, 2·W_out] (the forward pass takes even sizes only).
public func averagePool2x2Backward(gradOutput gy: Tensor) -> Tensor {
    precondition(gy.rank == 4, "average pool backward needs [N, C, H, W], got \(gy.shape)")
    let (n, c, oh, ow) = (gy.shape[0], gy.shape[1], gy.shape[2], gy.shape[3])
    let h = 2 * oh, w = 2 * ow
    var gx = Tensor(uninitialized: [n, c, h, w])
    gx.withUnsafeMutableBufferPointer { dst in
        gy.withUnsafeBufferPointer { gs in
            Parallel.forEach(n * c) { plane in
                let g = gs.baseAddress! + plane * oh * ow, d = dst.baseAddress! + plane * h * w
                for y in 0..<oh {
                    let r0 = d + 2 * y * w, r1 = r0 + w
                    for x in 0..<ow {
                        let v = 0.25 * g[y * ow + x]
                        r0[2 * x] = v; r0[2 * x + 1] = v
                        r1[2 * x] = v; r1[2 * x + 1] = v
                    }
                }
            }
        }
    }
    return gx
}

/// ∂L/∂x of `globalAveragePool` for an input of height × width:
///   ∂L/∂x[n, c, h, w] = gy[n, c] / (H·W)
/// `gy` is [N, C, 1, 1] (or [N, C]); the result is [N, C, height, width].
public func globalAveragePoolBackward(gradOutput gy: Tensor, height: Int, width: Int) -> Tensor {
    precondition(gy.rank >= 2, "global average pool backward: gy \(gy.shape)")
    precondition(gy.count == gy.shape[0] * gy.shape[1], "global average pool backward: gy \(gy.shape) is not [N, C, 1, 1]")
    let (n, c) = (gy.shape[0], gy.shape[1])
    let plane = height * width
    var gx = Tensor(uninitialized: [n, c, height, width])
    let inverse = 1 / Float(max(plane, 1))
    gx.withUnsafeMutableBufferPointer { dst in
        gy.withUnsafeBufferPointer { gs in
            for p in 0..<(n * c) {
                (dst.baseAddress! + p * plane).update(repeating: gs[p] * inverse, count: plane)
            }
        }
    }
    return gx
}

/// Gradients of `linear` (y = x·Wᵀ + b, x [N, In], W [Out, In]):
///   ∂L/∂x[n, i] = Σ_o gy[n, o] · W[o, i]       (gy · W)
///   ∂L/∂W[o, i] = Σ_n gy[n, o] · x[n, i]       (gyᵀ · x)
///   ∂L/∂b[o]    = Σ_n gy[n, o]
public func linearBackward(_ x: Tensor, weight: Tensor, gradOutput gy: Tensor)
    -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1],
                 "linear backward: x \(x.shape), weight \(weight.shape)")
    let (n, inputs, outputs) = (x.shape[0], x.shape[1], weight.shape[0])
    precondition(gy.shape == [n, outputs], "linear backward: gy \(gy.shape), expected \([n, outputs])")
    var gx = Tensor(uninitialized: x.shape)
    var gw = Tensor(uninitialized: weight.shape)
    var gb = Tensor(uninitialized: [outputs])
    x.withUnsafeBufferPointer { xs in
        weight.withUnsafeBufferPointer { ws in
            gy.withUnsafeBufferPointer { gs in
                gx.withUnsafeMutableBufferPointer { dx in
                    for r in 0..<n {
                        for i in 0..<inputs {
                            var s = 0.0
                            for o in 0..<outputs { s += Double(gs[r * outputs + o]) * Double(ws[o * inputs + i]) }
                            dx[r * inputs + i] = Float(s)
                        }
                    }
                }
                gw.withUnsafeMutableBufferPointer { dw in
                    for o in 0..<outputs {
                        for i in 0..<inputs {
                            var s = 0.0
                            for r in 0..<n { s += Double(gs[r * outputs + o]) * Double(xs[r * inputs + i]) }
                            dw[o * inputs + i] = Float(s)
                        }
                    }
                }
                gb.withUnsafeMutableBufferPointer { db in
                    for o in 0..<outputs {
                        var s = 0.0
                        for r in 0..<n { s += Double(gs[r * outputs + o]) }
                        db[o] = Float(s)
                    }
                }
            }
        }
    }
    return (gx, gw, gb)
}

/// Gradients of `adaptiveInstanceNorm(_:scale:shift:)` (y = scale[n,c]·x̂ + shift[n,c], x̂ the
/// plane-normalized x): per plane (n, c), with s = 1/√(σ² + ε),
///   ∂L/∂shift[n, c] = Σ_plane gy            ∂L/∂scale[n, c] = Σ_plane gy · x̂
///   ∂L/∂x           = scale[n, c] · s · (gy − mean(gy) − x̂ · mean(gy · x̂))
/// i.e. `instanceNormBackward` with N·C γ values; the parameter gradients come back as [N, C].
public func adaptiveInstanceNormBackward(_ x: Tensor, scale: Tensor, gradOutput gy: Tensor, epsilon: Float = 1e-5)
    -> (gradInput: Tensor, gradScale: Tensor, gradShift: Tensor) {
    precondition(x.rank == 4, "adaptive instance norm backward needs [N, C, H, W], got \(x.shape)")
    let nc = [x.shape[0], x.shape[1]]
    precondition(scale.shape == nc, "adaptive instance norm backward: scale \(scale.shape) for x \(x.shape), need \(nc)")
    let g = instanceNormBackward(x, gamma: scale.scalars, gradOutput: gy, epsilon: epsilon)
    return (g.gradInput, Tensor(shape: nc, values: g.gradGamma), Tensor(shape: nc, values: g.gradBeta))
}
