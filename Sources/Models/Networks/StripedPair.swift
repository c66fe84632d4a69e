import Tensor

/// Two conv blocks in a row, `second(first(x))`, computed in horizontal stripes so that `first`'s
/// full-resolution output never exists whole (32 channels × 4096² is 2 GiB): the encoder's first
/// two blocks, and the decoder's last two, of a large image.
///
///   first:  [nearest ×2] → reflect pad → conv (stride 1) → IN → ReLU
///   second: reflect pad → conv (any stride) → IN and its activation, or a bias and its activation
///
/// Instance norm needs the whole image's statistics, so `first` runs twice: once stripe by stripe
/// to gather each channel's mean and variance, then again per stripe of `second`'s output, for
/// just the rows that stripe reads, normalized by those statistics (as `StripedFront` does for
/// multistyle26's conditional blocks). Equal to the unstriped blocks up to float summation order
/// in the statistics.
enum StripedPair {
    /// Whether `first` then `second` can run this way on an input of `shape`, and it is worth it.
    static func suits(_ first: ConvBlock, _ second: ConvBlock, inputShape shape: [Int]) -> Bool {
        first.spec.normalized && first.spec.activation == .relu && first.spec.stride == 1 && !second.spec.upsample
            && first.spec.outChannels == second.spec.inChannels && first.runsInStripes(inputShape: shape)
    }

    static func run(_ first: ConvBlock, _ second: ConvBlock, _ x: Tensor, stripeRows: Int = ConvBlock.stripeRows) -> Tensor {
        precondition(x.shape[0] == 1, "striped evaluation takes one image at a time")
        let (h1, w1) = first.outputSize(inputShape: x.shape)
        let channels = first.spec.outChannels

        // Pass 1: the first block's per-channel statistics over the whole image.
        let (scale, shift) = Stripes.normalization(channels: channels, height: h1, stripeRows: stripeRows,
                                                   gamma: first.gamma, beta: first.beta) { first.convolvedRows(x, $0) }

        // Pass 2: per stripe of the second block's output, the normalized first-block rows it reads.
        var output = Stripes.convolveNormalized(rows: { first.convolvedRows(x, $0) }, height: h1, width: w1, scale: scale, shift: shift,
                                                conv: second.conv, padding: second.spec.padding, stripeRows: stripeRows)
        if second.spec.normalized {
            instanceNormInPlace(&output, gamma: second.gamma, beta: second.beta, activation: second.spec.activation)
            return output
        }
        return activate(output, second.spec.activation)
    }
}

extension Array where Element == ConvLayer {
    /// The layers in order on `x`, where two conv blocks in a row suit `StripedPair` (a large
    /// image's full-resolution blocks), as one striped pair. Each layer's input is released as
    /// soon as its output exists (`x` too, when the caller passes its last use).
    func run(_ x: consuming Tensor) -> Tensor {
        var y = consume x, i = 0
        while i < count {
            if i + 1 < count, case .conv(let first) = self[i], case .conv(let second) = self[i + 1],
               StripedPair.suits(first, second, inputShape: y.shape) {
                y = StripedPair.run(first, second, y)
                i += 2
            } else {
                y = self[i](y)
                i += 1
            }
        }
        return y
    }
}
