import Tensor

/// What the striped evaluations (`StripedFront`, `StripedPair`, `ConvBlock.stripedConvolution`)
/// share: gathering the rows a stripe reads, the per-channel statistics of a map computed stripe
/// by stripe, normalizing with them, and writing a stripe's rows into the whole output.
enum Stripes {
    /// [1, C, rows.count, columns.count]: element (r, j) of channel c is x[c, rows[r], columns[j]]
    /// (one image): an upsampled, padded or reordered stripe built as it is copied.
    static func gather(_ x: Tensor, rows: [Int], columns: [Int]) -> Tensor {
        let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        var out = Tensor(uninitialized: [1, c, rows.count, columns.count])
        out.withUnsafeMutableBufferPointer { dst in
            x.withUnsafeBufferPointer { src in
                Parallel.forEach(c) { ch in
                    for (r, row) in rows.enumerated() {
                        let s = src.baseAddress! + (ch * h + row) * w, d = dst.baseAddress! + (ch * rows.count + r) * columns.count
                        for (j, col) in columns.enumerated() { d[j] = s[col] }
                    }
                }
            }
        }
        return out
    }

    /// Source index of every column of a row reflect-padded by `p` on both sides.
    static func reflectedColumns(width w: Int, padding p: Int) -> [Int] {
        (0..<(w + 2 * p)).map { sourceIndex($0 - p, size: w, mode: .reflect) }
    }

    /// Instance norm's per-channel scale and shift (γ/σ, β − μ·γ/σ) for a map of `height` rows that
    /// `rows(range)` computes ([1, C, range.count, W]), gathered `stripeRows` at a time.
    static func normalization(channels: Int, height: Int, stripeRows: Int, gamma: [Float], beta: [Float],
                              rows: (Range<Int>) -> Tensor) -> (scale: [Float], shift: [Float]) {
        var moments = [PlaneMoments](repeating: PlaneMoments(), count: channels)
        for start in stride(from: 0, to: height, by: stripeRows) {
            let y = rows(start..<min(height, start + stripeRows))
            y.withUnsafeBufferPointer { buf in
                let plane = y.shape[2] * y.shape[3]
                for c in 0..<channels { moments[c].add(buf.baseAddress! + c * plane, count: plane) }
            }
        }
        let scale = (0..<channels).map { gamma[$0] / (moments[$0].meanVariance.variance + 1e-5).squareRoot() }
        let shift = (0..<channels).map { beta[$0] - moments[$0].meanVariance.mean * scale[$0] }
        return (scale, shift)
    }

    /// max(x·scale[c] + shift[c], 0) per channel, in place.
    static func normalizedReLU(_ x: Tensor, scale: [Float], shift: [Float]) -> Tensor {
        var out = x
        let plane = x.shape[2] * x.shape[3]
        out.withUnsafeMutableBufferPointer { d in
            for c in 0..<x.shape[1] {
                let (s, b) = (scale[c], shift[c])
                for i in (c * plane)..<((c + 1) * plane) { d[i] = max(d[i] * s + b, 0) }
            }
        }
        return out
    }

    /// Writes stripe `y` ([1, C, rows, W]) into `output` ([1, C, H, W]) from row `row` on.
    static func place(_ y: Tensor, into output: inout Tensor, atRow row: Int) {
        let (c, h, w, rows) = (output.shape[1], output.shape[2], output.shape[3], y.shape[2])
        output.withUnsafeMutableBufferPointer { dst in
            y.withUnsafeBufferPointer { src in
                for ch in 0..<c { (dst.baseAddress! + (ch * h + row) * w).update(from: src.baseAddress! + ch * rows * w, count: rows * w) }
            }
        }
    }

    /// Pass 2 of a striped pair of blocks: `conv` with reflection padding `p` over the first
    /// block's H×W output, one stripe of its own output rows at a time (`stripeRows` input rows'
    /// worth), each from just the first-block rows it reads — recomputed by `rows`, then
    /// normalized with the whole image's statistics (`scale`, `shift`) and ReLU.
    static func convolveNormalized(rows: (Range<Int>) -> Tensor, height h: Int, width w: Int, scale: [Float], shift: [Float],
                                   conv: Conv2D, padding p: Int, stripeRows: Int) -> Tensor {
        let (k, s) = (conv.kernelH, conv.stride)
        let (ho, wo) = conv.outputSize(height: h + 2 * p, width: w + 2 * p)
        let columns = reflectedColumns(width: w, padding: p)
        var output = Tensor(uninitialized: [1, conv.outChannels, ho, wo])
        let outRows = max(1, stripeRows / s)
        for r0 in stride(from: 0, to: ho, by: outRows) {
            let r1 = min(ho, r0 + outRows)
            // Rows of the padded input this stripe reads, and their source rows.
            let source = ((s * r0)..<(s * (r1 - 1) + k)).map { sourceIndex($0 - p, size: h, mode: .reflect) }
            let lo = source.min()!, hi = source.max()! + 1
            let a = normalizedReLU(rows(lo..<hi), scale: scale, shift: shift)
            place(conv(gather(a, rows: source.map { $0 - lo }, columns: columns)), into: &output, atRow: r0)
        }
        return output
    }
}
