import Tensor

/// The first two layers of a feed-forward stylization network, computed in horizontal stripes so
/// the full-resolution activation between them (32 channels × H × W: 2 GiB at 4096²) never
/// exists whole.
///
///   first:  reflect pad → conv (stride 1) → CIN → ReLU        (full resolution)
///   second: reflect pad → conv (stride s)                      (then its CIN, on the whole output)
///
/// Instance norm needs the whole image's statistics, so `first` runs twice: once stripe by stripe
/// to gather each channel's mean and variance, then again per stripe of `second`'s output, with
/// the rows that stripe needs normalized by those global statistics. The result equals the
/// unstriped computation up to float summation order.
enum StripedFront {
    static func run(_ first: ConditionalConvLayer, _ second: ConditionalConvLayer, _ image: Tensor,
                    styleWeights: [Float], stripeRows: Int) -> Tensor {
        precondition(image.shape[0] == 1, "striped evaluation takes one image at a time")
        precondition(!first.upsample && first.conv.stride == 1 && !second.upsample && first.activation == .relu)
        let (h, w) = (image.shape[2], image.shape[3])
        let p0 = first.conv.kernelH / 2, p1 = second.conv.kernelH / 2
        let channels = first.conv.outChannels
        let input = pad2d(image, top: p0, bottom: p0, left: p0, right: p0, mode: .reflect)
        let firstRows = { (range: Range<Int>) in first.conv(sliceRows(input, range.lowerBound..<(range.upperBound + 2 * p0))) }

        // Pass 1: the first layer's per-channel statistics over the whole image.
        let (scale, shift) = Stripes.normalization(channels: channels, height: h, stripeRows: stripeRows,
                                                   gamma: first.blend(first.gamma, styleWeights), beta: first.blend(first.beta, styleWeights),
                                                   rows: firstRows)

        // Pass 2: per output stripe of `second`, the normalized first-layer rows it reads.
        let output = Stripes.convolveNormalized(rows: firstRows, height: h, width: w, scale: scale, shift: shift,
                                                conv: second.conv, padding: p1, stripeRows: stripeRows)
        return instanceNorm(output, gamma: second.blend(second.gamma, styleWeights), beta: second.blend(second.beta, styleWeights),
                            activation: second.activation)
    }
}
