import Tensor

extension ConvBlock {
    /// Outputs at least this large (floats) are computed in stripes: 64 Mi floats, 256 MiB, a
    /// 32-channel map of 1448² and up.
    static let stripedAboveOutputFloats = 64 << 20
    /// Output rows per stripe (even: Winograd's 2×2 tiles then fall as they do on the whole map).
    static let stripeRows = 32

    /// Whether an input of `shape` runs in stripes (`stripedConvolution`): one image whose output is large.
    func runsInStripes(inputShape shape: [Int]) -> Bool {
        let (ho, wo) = outputSize(inputShape: shape)
        return shape[0] == 1 && spec.outChannels * ho * wo >= Self.stripedAboveOutputFloats
    }

    /// The output's height and width for an input of `shape` (after upsampling and padding).
    func outputSize(inputShape shape: [Int]) -> (height: Int, width: Int) {
        let factor = spec.upsample ? 2 : 1, p = spec.padding
        return conv.outputSize(height: shape[2] * factor + 2 * p, width: shape[3] * factor + 2 * p)
    }

    /// The convolution of the upsampled (if the block upsamples), reflect-padded `x`, with the
    /// upsampled and padded input never made whole: each stripe of output rows is computed from
    /// just the input rows it reads, upsampled and padded as they are copied. At 4096² the
    /// decoder's last upsampling block would otherwise hold a 4 GiB upsampled copy and a 4 GiB
    /// padded one beside its 2 GiB output. Equal to `conv(pad(upsample(x)))`: each output sums
    /// the same products in the same order.
    func stripedConvolution(_ x: Tensor, stripeRows: Int = ConvBlock.stripeRows) -> Tensor {
        precondition(x.shape[0] == 1, "striped convolution takes one image at a time")
        let (ho, wo) = outputSize(inputShape: x.shape)
        var output = Tensor(uninitialized: [1, spec.outChannels, ho, wo])
        for r0 in stride(from: 0, to: ho, by: stripeRows) {
            let r1 = min(ho, r0 + stripeRows)
            let y = convolvedRows(x, r0..<r1)
            output.withUnsafeMutableBufferPointer { dst in
                y.withUnsafeBufferPointer { src in
                    for ch in 0..<spec.outChannels {
                        (dst.baseAddress! + (ch * ho + r0) * wo).update(from: src.baseAddress! + ch * (r1 - r0) * wo, count: (r1 - r0) * wo)
                    }
                }
            }
        }
        return output
    }

    /// Output rows `range` of the convolution of the upsampled (if the block upsamples),
    /// reflect-padded `x` (one image), from just the input rows they read: [1, Cout, rows, Wo].
    func convolvedRows(_ x: Tensor, _ range: Range<Int>) -> Tensor {
        let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        let factor = spec.upsample ? 2 : 1
        let (uh, uw) = (h * factor, w * factor)
        let p = spec.padding, k = spec.kernel, s = spec.stride
        let columns = (0..<(uw + 2 * p)).map { sourceIndex($0 - p, size: uw, mode: .reflect) / factor }
        let rows = ((s * range.lowerBound)..<(s * (range.upperBound - 1) + k)).map { sourceIndex($0 - p, size: uh, mode: .reflect) / factor }
        return conv(Self.gather(x, rows: rows, columns: columns, channels: c, height: h, width: w))
    }

    /// [1, C, rows.count, columns.count]: element (r, j) of channel c is x[c, rows[r], columns[j]].
    static func gather(_ x: Tensor, rows: [Int], columns: [Int], channels c: Int, height h: Int, width w: Int) -> Tensor {
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
}
