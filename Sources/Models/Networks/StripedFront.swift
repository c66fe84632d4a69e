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
        let s1 = second.conv.stride, k1 = second.conv.kernelH
        let channels = first.conv.outChannels
        let input = pad2d(image, top: p0, bottom: p0, left: p0, right: p0, mode: .reflect)
        let firstRows = { (range: Range<Int>) in first.conv(sliceRows(input, range.lowerBound..<(range.upperBound + 2 * p0))) }

        // Pass 1: the first layer's per-channel statistics over the whole image.
        var moments = [PlaneMoments](repeating: PlaneMoments(), count: channels)
        for start in stride(from: 0, to: h, by: stripeRows) {
            let y = firstRows(start..<min(h, start + stripeRows))
            y.withUnsafeBufferPointer { buf in
                let plane = y.shape[2] * w
                for c in 0..<channels { moments[c].add(buf.baseAddress! + c * plane, count: plane) }
            }
        }
        let gamma = first.blend(first.gamma, styleWeights), beta = first.blend(first.beta, styleWeights)
        let scale = (0..<channels).map { gamma[$0] / (moments[$0].meanVariance.variance + 1e-5).squareRoot() }
        let shift = (0..<channels).map { beta[$0] - moments[$0].meanVariance.mean * scale[$0] }

        // Pass 2: per output stripe of `second`, the normalized first-layer rows it reads.
        let (ho, wo) = second.conv.outputSize(height: h + 2 * p1, width: w + 2 * p1)
        var output = Tensor(uninitialized: [1, second.conv.outChannels, ho, wo])
        let outRows = max(1, stripeRows / s1)
        for r0 in stride(from: 0, to: ho, by: outRows) {
            let r1 = min(ho, r0 + outRows)
            // Rows of the padded second-layer input this stripe reads, and their source rows.
            let padded = (s1 * r0)..<(s1 * (r1 - 1) + k1)
            let source = padded.map { reflect($0 - p1, size: h) }
            let lo = source.min()!, hi = source.max()! + 1
            let a = normalizedReLU(firstRows(lo..<hi), scale: scale, shift: shift)
            let stripe = assembleRows(a, rows: source.map { $0 - lo }, padColumns: p1)
            let y = second.conv(stripe)
            output.withUnsafeMutableBufferPointer { dst in
                y.withUnsafeBufferPointer { src in
                    for c in 0..<y.shape[1] {
                        (dst.baseAddress! + (c * ho + r0) * wo).update(from: src.baseAddress! + c * (r1 - r0) * wo, count: (r1 - r0) * wo)
                    }
                }
            }
        }
        return instanceNorm(output, gamma: second.blend(second.gamma, styleWeights), beta: second.blend(second.beta, styleWeights),
                            activation: second.activation)
    }

    /// Reflect padding's source index for a padded coordinate i of a size-n axis.
    static func reflect(_ i: Int, size n: Int) -> Int { i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i) }

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

    /// [1, C, rows.count, W + 2·padColumns]: row r is x's row rows[r], reflect-padded left and right.
    static func assembleRows(_ x: Tensor, rows: [Int], padColumns p: Int) -> Tensor {
        let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        let pw = w + 2 * p
        var out = Tensor(uninitialized: [1, c, rows.count, pw])
        out.withUnsafeMutableBufferPointer { dst in
            x.withUnsafeBufferPointer { src in
                for ch in 0..<c {
                    for (r, sourceRow) in rows.enumerated() {
                        let s = src.baseAddress! + (ch * h + sourceRow) * w, d = dst.baseAddress! + (ch * rows.count + r) * pw
                        (d + p).update(from: s, count: w)
                        for j in 0..<p { d[p - 1 - j] = s[j + 1]; d[p + w + j] = s[w - 2 - j] }
                    }
                }
            }
        }
        return out
    }
}
