/// Nearest-neighbour upsampling ×2, reflection padding of 1 and a 3×3 stride-1 convolution, in one:
/// the upsampling blocks of StyleBank's, multistyle26's and AdaIN's decoders.
///
/// After a nearest ×2 upsampling, the output pixel (2i + py, 2j + px) of a 3×3 convolution reads
/// only two distinct input rows and two distinct columns: its three taps on the upsampled grid fall
/// on input rows {i − 1, i, i} for py = 0 and {i, i, i + 1} for py = 1 (likewise for columns). Each
/// of the four output phases (py, px) is therefore a 2×2 convolution of the input itself, whose
/// weights sum the 3×3 taps that land on the same input pixel (the "sub-pixel" view of upsampling
/// followed by convolution). That is 16 multiply-adds per 4 output pixels instead of 36, and the
/// upsampled and padded copies are never built.
///
/// Borders: reflecting the upsampled image by one pixel repeats its edge pixel, which is the input's
/// edge pixel, so the input padded by one with its edge values (replicate) gives the same taps.
///
/// The four phases run as one convolution with 4·Cout output channels (a taller GEMM) on the
/// replicate-padded input, valid 2×2, then the phases are interleaved into the output.
public struct UpsampledConv3x3 {
    public let outChannels: Int, inChannels: Int
    /// [4·Cout, Cin, 2, 2]: phase (py, px) is output channels (2·py + px)·Cout ..< +Cout.
    let phases: Conv2D
    let bias: [Float]?

    /// Rows (or columns) of the 3×3 kernel that fold onto tap a ∈ {0, 1} of phase p ∈ {0, 1}.
    static let folded: [[[Int]]] = [[[0], [1, 2]], [[0, 1], [2]]]

    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.rank == 4 && weight.shape[2] == 3 && weight.shape[3] == 3, "UpsampledConv3x3 takes 3×3 weights, got \(weight.shape)")
        let (cout, cin) = (weight.shape[0], weight.shape[1])
        (outChannels, inChannels) = (cout, cin)
        var w = [Float](repeating: 0, count: 4 * cout * cin * 4)
        weight.withUnsafeBufferPointer { src in
            for py in 0..<2 { for px in 0..<2 { for co in 0..<cout { for ci in 0..<cin { for a in 0..<2 { for b in 0..<2 {
                var sum: Float = 0
                for ky in Self.folded[py][a] { for kx in Self.folded[px][b] { sum += src[((co * cin + ci) * 3 + ky) * 3 + kx] } }
                w[((((2 * py + px) * cout + co) * cin + ci) * 2 + a) * 2 + b] = sum
            } } } } } }
        }
        phases = Conv2D(weight: Tensor(shape: [4 * cout, cin, 2, 2], values: w))
        self.bias = bias?.scalars
    }

    /// conv3×3(reflectPad(upsampleNearest(x, 2), 1)) (+ bias) for x [N, Cin, H, W] → [N, Cout, 2H, 2W].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == inChannels, "expects [N, \(inChannels), H, W], got \(x.shape)")
        let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        let y = phases(replicatePad1(x))   // [N, 4·Cout, H + 1, W + 1]
        let (cout, oh, ow, yh, yw) = (outChannels, 2 * h, 2 * w, h + 1, w + 1)
        var out = Tensor(uninitialized: [n, cout, oh, ow])
        out.withUnsafeMutableBufferPointer { dst in
            y.withUnsafeBufferPointer { src in
                Parallel.forEach(n * cout * h) { task in
                    let (plane, i) = (task / h, task % h)
                    let (img, co) = (plane / cout, plane % cout)
                    let b = bias?[co] ?? 0
                    for py in 0..<2 {
                        let row = dst.baseAddress! + (plane * oh + 2 * i + py) * ow
                        // Phase (py, 0) fills the even columns, (py, 1) the odd ones.
                        let even = src.baseAddress! + ((img * 4 * cout + (2 * py) * cout + co) * yh + i + py) * yw
                        let odd = src.baseAddress! + ((img * 4 * cout + (2 * py + 1) * cout + co) * yh + i + py) * yw + 1
                        for j in 0..<w {
                            row[2 * j] = even[j] + b
                            row[2 * j + 1] = odd[j] + b
                        }
                    }
                }
            }
        }
        return out
    }

    /// The definition: upsample, reflect-pad, convolve (what the tests hold the folded form to).
    public static func reference(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        Conv2D.reference(pad2d(upsampleNearest(x, factor: 2), top: 1, bottom: 1, left: 1, right: 1, mode: .reflect),
                         weight: weight, bias: bias, stride: 1)
    }
}

/// [N, C, H, W] → [N, C, H + 2, W + 2], the border repeating the edge pixels.
func replicatePad1(_ x: Tensor) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (ph, pw) = (h + 2, w + 2)
    var out = Tensor(uninitialized: [n, c, ph, pw])
    out.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { src in
            Parallel.forEach(n * c) { plane in
                let s = src.baseAddress! + plane * h * w, d = dst.baseAddress! + plane * ph * pw
                for oy in 0..<ph {
                    let srow = s + min(max(oy - 1, 0), h - 1) * w, row = d + oy * pw
                    row[0] = srow[0]
                    (row + 1).update(from: srow, count: w)
                    row[w + 1] = srow[w - 1]
                }
            }
        }
    }
    return out
}
