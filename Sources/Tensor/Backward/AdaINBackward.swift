/// Gradient of `channelMoments` with respect to the features, given ∂L/∂μ and ∂L/∂σ per plane.
/// With P = H·W and σ = √(var + ε):
///   ∂μ/∂xᵢ = 1/P        ∂σ/∂xᵢ = (xᵢ − μ) / (P·σ)
public func channelMomentsBackward(_ x: Tensor, moments: ChannelMoments, gradMean: [Float], gradStd: [Float]) -> Tensor {
    precondition(x.rank == 4 && moments.count == x.shape[0] * x.shape[1], "moments backward: \(x.shape), \(moments.count) planes")
    precondition(gradMean.count == moments.count && gradStd.count == moments.count, "moments backward: gradient counts")
    let planes = moments.count, plane = x.shape[2] * x.shape[3]
    var gx = Tensor(uninitialized: x.shape)
    gx.withUnsafeMutableBufferPointer { g in
        x.withUnsafeBufferPointer { s in
            Parallel.forEach(planes) { p in
                let src = s.baseAddress! + p * plane, dst = g.baseAddress! + p * plane
                let mu = moments.mean[p]
                let a = gradMean[p] / Float(plane), b = gradStd[p] / (Float(plane) * moments.std[p])
                for i in 0..<plane { dst[i] = a + b * (src[i] - mu) }
            }
        }
    }
    return gx
}

/// Gradients of `adaptiveInstanceNorm(x, style: channelMoments(y))` with respect to the content
/// features x and the style features y (both [N, C, H, W]; y may have other H, W). Through x it is
/// instance norm's backward with γ = σ(y); through y, ∂L/∂σ(y) = Σ gy·x̂ and ∂L/∂μ(y) = Σ gy,
/// carried to y by `channelMomentsBackward`.
public func adaptiveInstanceNormBackward(content x: Tensor, style y: Tensor, gradOutput gy: Tensor, epsilon: Float = 1e-5)
    -> (gradContent: Tensor, gradStyle: Tensor) {
    precondition(x.shape[0] == y.shape[0] && x.shape[1] == y.shape[1], "AdaIN backward: content \(x.shape), style \(y.shape)")
    let moments = channelMoments(y, epsilon: epsilon)
    let r = instanceNormBackward(x, gamma: moments.std, gradOutput: gy, epsilon: epsilon)
    let gStyle = channelMomentsBackward(y, moments: moments, gradMean: r.gradBeta, gradStd: r.gradGamma)
    return (r.gradInput, gStyle)
}

/// AdaIN's style loss for one layer (Huang & Belongie 2017, eq. 13, with means as in their code):
///   L = [Σ (μ(f) − μₜ)² + Σ (σ(f) − σₜ)²] / (N·C)
/// over every (image, channel) plane of `features`; `target` has N·C values or C (one style for
/// the batch). Returns the loss and ∂L/∂features.
public func momentLoss(features f: Tensor, target: ChannelMoments, epsilon: Float = 1e-5) -> (value: Float, gradient: Tensor) {
    let moments = channelMoments(f, epsilon: epsilon)
    let planes = moments.count
    precondition(target.count == planes || target.count == f.shape[1], "moment loss: target of \(target.count) for \(planes) planes")
    var total = 0.0
    var gradMean = [Float](repeating: 0, count: planes), gradStd = gradMean
    for p in 0..<planes {
        let t = target.count == planes ? p : p % target.count
        let dm = moments.mean[p] - target.mean[t], ds = moments.std[p] - target.std[t]
        total += Double(dm) * Double(dm) + Double(ds) * Double(ds)
        gradMean[p] = 2 * dm / Float(planes)
        gradStd[p] = 2 * ds / Float(planes)
    }
    return (Float(total / Double(planes)), channelMomentsBackward(f, moments: moments, gradMean: gradMean, gradStd: gradStd))
}

/// AdaIN's style loss for one layer as eq. 13 writes it, with norms rather than their squares:
///   L = (1/N) Σₙ [ ‖μ(fₙ) − μₜ‖ + ‖σ(fₙ) − σₜ‖ ] / √C
/// (each norm taken over the C channels of image n, i.e. an RMS difference). Unlike `momentLoss`
/// every layer's and image's term pulls with unit strength however small it has become, and it is
/// the quantity `ArbitraryStyleEvaluation` reports. Returns the loss and ∂L/∂features.
public func momentNormLoss(features f: Tensor, target: ChannelMoments, epsilon: Float = 1e-5) -> (value: Float, gradient: Tensor) {
    let moments = channelMoments(f, epsilon: epsilon)
    let planes = moments.count, images = f.shape[0], channels = f.shape[1]
    precondition(target.count == planes || target.count == channels, "moment norm loss: target of \(target.count) for \(planes) planes")
    var total = 0.0
    var gradMean = [Float](repeating: 0, count: planes), gradStd = gradMean
    // A norm's gradient e/‖e‖ is undefined at 0: below this RMS the term's gradient is left at zero.
    let tiny = 1e-12
    for n in 0..<images {
        var sm = 0.0, ss = 0.0
        for c in 0..<channels {
            let p = n * channels + c, t = target.count == planes ? p : c
            let dm = Double(moments.mean[p] - target.mean[t]), ds = Double(moments.std[p] - target.std[t])
            sm += dm * dm
            ss += ds * ds
        }
        let rm = (sm / Double(channels)).squareRoot(), rs = (ss / Double(channels)).squareRoot()
        total += rm + rs
        for c in 0..<channels {
            let p = n * channels + c, t = target.count == planes ? p : c
            // ∂(RMS)/∂eᵢ = eᵢ / (C·RMS), then 1/N for the batch mean.
            if rm > tiny { gradMean[p] = Float(Double(moments.mean[p] - target.mean[t]) / (Double(channels) * rm * Double(images))) }
            if rs > tiny { gradStd[p] = Float(Double(moments.std[p] - target.std[t]) / (Double(channels) * rs * Double(images))) }
        }
    }
    return (Float(total / Double(images)), channelMomentsBackward(f, moments: moments, gradMean: gradMean, gradStd: gradStd))
}
