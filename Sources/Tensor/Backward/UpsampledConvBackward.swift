/// Backward of `UpsampledConv` (nearest ×2 → reflect pad k/2 → k×k convolution, folded), in the
/// folded form, so it costs what the forward does: 16 (3×3) or 36 (5×5) multiply-adds per 4
/// output pixels instead of 36 or 100, and the upsampled image is never built.
///
/// The forward is y = interleave(conv(xp, W₄)) (+ the 5×5 border ring), with xp = replicatePad1(x)
/// and W₄ = fold(w), all linear, so with G₄ = interleaveᵀ(gy):
///   ∂w = foldᵀ(∂W₄),   ∂W₄ = the phase convolution's weight gradient on (xp, G₄)
///   ∂x = replicatePad1ᵀ(the phase convolution's input gradient of G₄)
/// plus the ring's terms (`BorderRing.backward`). `xp` is what the training forward kept.
public func upsampledConvBackward(_ conv: UpsampledConv, input x: Tensor, replicatePadded xp: Tensor, gradOutput gy: Tensor,
                                  computeInputGradient: Bool = true, computeWeightGradient: Bool = true)
    -> (gradInput: Tensor?, gradWeight: Tensor?, gradBias: Tensor?) {
    let (h, w) = (x.shape[2], x.shape[3])
    precondition(gy.rank == 4 && gy.shape[1] == conv.outChannels && gy.shape[2] == 2 * h && gy.shape[3] == 2 * w,
                 "upsampled conv backward: gy \(gy.shape) does not match input \(x.shape)")
    let k = conv.kernel, kf = UpsampledConv.foldedSide(kernel: k)
    let g4 = UpsampledConv.deinterleave(gy, kernel: k)
    var gradWeight: Tensor?, gradBias: Tensor?, gradInput: Tensor?
    if computeWeightGradient {
        let gw4 = ConvWeightGradient.compute(input: xp, gradOutput: g4, kernelH: kf, kernelW: kf, stride: 1)
        gradWeight = UpsampledConv.unfold(gw4, kernel: k)
        gradBias = convBiasGradient(gradOutput: gy)
    }
    if computeInputGradient {
        let gxp = ConvInputGradient(weight: conv.phases.weight, stride: 1)(g4, inputHeight: h + 2, inputWidth: w + 2)
        gradInput = replicatePad1Backward(gxp)
    }
    if k == 5 { BorderRing.backward(x: x, weight: conv.weight, gradOutput: gy, gradInput: &gradInput, gradWeight: &gradWeight) }
    return (gradInput, gradWeight, gradBias)
}

/// The transpose of `replicatePad1`: each padded pixel's gradient goes to the input pixel it copies.
public func replicatePad1Backward(_ gxp: Tensor) -> Tensor {
    let (n, c, ph, pw) = (gxp.shape[0], gxp.shape[1], gxp.shape[2], gxp.shape[3])
    let (h, w) = (ph - 2, pw - 2)
    var out = Tensor(zeros: [n, c, h, w])
    out.withUnsafeMutableBufferPointer { dst in
        gxp.withUnsafeBufferPointer { src in
            Parallel.forEach(n * c) { plane in
                let s = src.baseAddress! + plane * ph * pw, d = dst.baseAddress! + plane * h * w
                for py in 0..<ph {
                    let row = d + min(max(py - 1, 0), h - 1) * w, srow = s + py * pw
                    row[0] += srow[0]
                    for j in 0..<w { row[j] += srow[j + 1] }
                    row[w - 1] += srow[w + 1]
                }
            }
        }
    }
    return out
}
