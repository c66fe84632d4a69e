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
            Stripes.place(convolvedRows(x, r0..<min(ho, r0 + stripeRows)), into: &output, atRow: r0)
        }
        return output
    }

    /// Output rows `range` of the convolution of the upsampled (if the block upsamples),
    /// reflect-padded `x` (one image), from just the input rows they read: [1, Cout, rows, Wo].
    func convolvedRows(_ x: Tensor, _ range: Range<Int>) -> Tensor {
        let factor = spec.upsample ? 2 : 1
        let (uh, uw) = (x.shape[2] * factor, x.shape[3] * factor)
        let p = spec.padding, k = spec.kernel, s = spec.stride
        let columns = Stripes.reflectedColumns(width: uw, padding: p).map { $0 / factor }
        let rows = ((s * range.lowerBound)..<(s * (range.upperBound - 1) + k)).map { sourceIndex($0 - p, size: uh, mode: .reflect) / factor }
        return conv(Stripes.gather(x, rows: rows, columns: columns))
    }
}
