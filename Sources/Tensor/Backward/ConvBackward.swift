/// Gradients of a valid (unpadded) convolution y = conv(x, w) + b with stride s (forward: `Conv2D`),
/// given gy = ∂L/∂y:
///
///   ∂L/∂w[co, ci, ky, kx] = Σ_{n, oy, ox} gy[n, co, oy, ox] · x[n, ci, oy·s + ky, ox·s + kx]
///                           i.e. gy · im2col(x)ᵀ, summed over the batch   (`ConvWeightGradient`)
///   ∂L/∂b[co]             = Σ_{n, oy, ox} gy[n, co, oy, ox]
///   ∂L/∂x                 = col2im(wᵀ · gy): every output pixel sends w[co, ci, ky, kx] · gy back
///                           to the input pixel x[n, ci, oy·s + ky, ox·s + kx] it read (`ConvInputGradient`)
///
/// Input rows/columns the forward pass never read (when (H − KH) is not a multiple of s) get zero.
/// Pass `computeInputGradient: false` for a first layer whose input is data, and
/// `computeWeightGradient: false` for frozen layers (VGG in a perceptual loss, the hot path); then
/// `x` is only read for its shape. A frozen layer that runs every step should keep a
/// `ConvInputGradient` instead, which packs wᵀ once.
public func conv2dBackward(input x: Tensor, weight w: Tensor, stride: Int = 1, gradOutput gy: Tensor,
                           computeInputGradient: Bool = true, computeWeightGradient: Bool = true)
    -> (gradInput: Tensor?, gradWeight: Tensor?, gradBias: Tensor?) {
    precondition(x.rank == 4 && w.rank == 4 && x.shape[1] == w.shape[1],
                 "conv backward: input \(x.shape) does not match weight \(w.shape)")
    let gradInput = computeInputGradient
        ? ConvInputGradient(weight: w, stride: stride)(gy, inputHeight: x.shape[2], inputWidth: x.shape[3])
        : nil
    var gradWeight: Tensor?, gradBias: Tensor?
    if computeWeightGradient {
        gradWeight = ConvWeightGradient.compute(input: x, gradOutput: gy, kernelH: w.shape[2], kernelW: w.shape[3], stride: stride)
        gradBias = convBiasGradient(gradOutput: gy)
    }
    return (gradInput, gradWeight, gradBias)
}

/// ∂L/∂b[co] = Σ_{n, oy, ox} gy[n, co, oy, ox], accumulated in double precision.
public func convBiasGradient(gradOutput gy: Tensor) -> Tensor {
    precondition(gy.rank == 4)
    let (n, c, pixels) = (gy.shape[0], gy.shape[1], gy.shape[2] * gy.shape[3])
    var out = Tensor(zeros: [c])
    out.withUnsafeMutableBufferPointer { dst in
        gy.withUnsafeBufferPointer { src in
            for co in 0..<c {
                var total = 0.0
                for img in 0..<n { total += sumOfFloats(src.baseAddress! + (img * c + co) * pixels, count: pixels) }
                dst[co] = Float(total)
            }
        }
    }
    return out
}

/// Σ p[0..<count] with SIMD float partial sums per block and a double total.
func sumOfFloats(_ p: UnsafePointer<Float>, count: Int) -> Double {
    typealias V = SIMD16<Float>
    var total = 0.0, i0 = 0
    while i0 < count {
        let end = min(i0 + 4096, count)
        var acc = V(), i = i0
        while i + 16 <= end { acc += UnsafeRawPointer(p + i).loadUnaligned(as: V.self); i += 16 }
        var s = Double(acc.sum())
        while i < end { s += Double(p[i]); i += 1 }
        total += s
        i0 = end
    }
    return total
}

/// Where each output pixel p0 + j of a tile starts reading in an input plane of width `width`.
@inline(__always)
func fillPixelOffsets(_ offsets: UnsafeMutablePointer<Int>, firstPixel p0: Int, count: Int,
                      outputWidth wo: Int, stride s: Int, inputWidth w: Int) {
    for j in 0..<count {
        let p = p0 + j
        offsets[j] = (p / wo) * s * w + (p % wo) * s
    }
}
