/// Depthwise convolution (MobileNet): channel c of the output is channel c of `x` correlated with
/// its own K×K filter `weight[c, 0]`, plus `bias[c]`. No padding (pad first); any stride.
/// `x` [N, C, H, W], `weight` [C, 1, K, K] → [N, C, (H − K)/s + 1, (W − K)/s + 1].
///
/// Each (image, channel) plane runs on one worker: for every output row, each tap adds a scaled
/// input row to the accumulator row, so the inner loop is a contiguous multiply-add over the
/// output width (strided by s through the input).
public func depthwiseConv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride s: Int) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    precondition(weight.shape[0] == c && weight.shape[1] == 1 && h >= kh && w >= kw, "depthwise conv: x \(x.shape), weight \(weight.shape)")
    let (ho, wo) = ((h - kh) / s + 1, (w - kw) / s + 1)
    var out = Tensor(uninitialized: [n, c, ho, wo])
    let b = bias?.scalars ?? [Float](repeating: 0, count: c)
    out.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { src in
            weight.withUnsafeBufferPointer { wt in
                Parallel.forEach(n * c) { plane in
                    let ch = plane % c
                    let xp = src.baseAddress! + plane * h * w, yp = dst.baseAddress! + plane * ho * wo
                    let k = wt.baseAddress! + ch * kh * kw
                    for oy in 0..<ho {
                        let row = yp + oy * wo
                        row.update(repeating: 0, count: wo)
                        for dy in 0..<kh {
                            let inRow = xp + (oy * s + dy) * w
                            for dx in 0..<kw {
                                let t = k[dy * kw + dx], start = inRow + dx
                                if s == 1 {
                                    for ox in 0..<wo { row[ox] += t * start[ox] }
                                } else {
                                    for ox in 0..<wo { row[ox] += t * start[ox * s] }
                                }
                            }
                        }
                        for ox in 0..<wo { row[ox] += b[ch] }
                    }
                }
            }
        }
    }
    return out
}

/// The plain loop nest `depthwiseConv2d` is tested against (summing taps in the same order).
public func depthwiseConv2dReference(_ x: Tensor, weight: Tensor, bias: Tensor?, stride s: Int) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    let (ho, wo) = ((h - kh) / s + 1, (w - kw) / s + 1)
    let xv = x.scalars, wv = weight.scalars, bv = bias?.scalars
    var out = [Float](repeating: 0, count: n * c * ho * wo)
    for img in 0..<n { for ch in 0..<c { for oy in 0..<ho { for ox in 0..<wo {
        var acc: Float = 0
        for dy in 0..<kh { for dx in 0..<kw {
            acc += wv[(ch * kh + dy) * kw + dx] * xv[((img * c + ch) * h + oy * s + dy) * w + ox * s + dx]
        } }
        acc += bv?[ch] ?? 0
        out[((img * c + ch) * ho + oy) * wo + ox] = acc
    } } } }
    return Tensor(shape: [n, c, ho, wo], values: out)
}
