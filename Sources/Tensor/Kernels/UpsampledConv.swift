/// Nearest-neighbour upsampling ×2, reflection padding of k/2 and a k×k stride-1 convolution
/// (k = 3 or 5), in one: the upsampling blocks of StyleBank's, multistyle26's and AdaIN's decoders
/// (3×3) and of MUNIT's (5×5).
///
/// After a nearest ×2 upsampling U[u] = X[⌊u/2⌋], output pixel o = 2i + p (phase p ∈ {0, 1}) of a
/// k-tap convolution reads U[o − r + t], t = 0 … k−1 (r = k/2), i.e. input rows i + ⌊(p − r + t)/2⌋:
/// only a few distinct input rows (2 for k = 3, 3 for k = 5). Each of the four output phases (py, px)
/// is therefore a small convolution of the input itself, whose weights sum the k×k taps that land
/// on the same input pixel (the "sub-pixel" view of upsampling followed by convolution). For 3×3
/// that is 16 multiply-adds per 4 output pixels instead of 36; for 5×5, 36 instead of 100. The
/// upsampled and padded copies are never built.
///
/// Borders: the input is padded by one with its edge values (replicate). For k = 3 that is exact:
/// reflecting the upsampled image by one repeats its edge pixel, the input's edge pixel. For k = 5
/// the second reflected pixel is the input's second pixel, not its edge, so the outermost output
/// rows and columns get a correction: the convolution of the difference between the true padded
/// image and the replicate form, which is non-zero only on the padded image's outer ring (see
/// `BorderRing`).
///
/// The four phases run as one convolution with 4·Cout output channels (a taller GEMM) on the
/// replicate-padded input, then the phases are interleaved into the output.
public struct UpsampledConv {
    public let outChannels: Int, inChannels: Int, kernel: Int
    /// The k×k weights, [Cout, Cin, k, k] (the border correction reads their outer rows and columns).
    public let weight: Tensor
    /// [4·Cout, Cin, kf, kf]: phase (py, px) is output channels (2·py + px)·Cout ..< +Cout.
    let phases: Conv2D
    let bias: [Float]?

    /// The phase convolution's kernel side (2 for 3×3, 3 for 5×5).
    public static func foldedSide(kernel k: Int) -> Int { k == 3 ? 2 : 3 }
    /// Where phase p's rows start in the phase convolution's output: row i of the phase is row i + base.
    static func base(kernel k: Int, phase p: Int) -> Int { k == 3 ? p : 0 }
    /// The folded tap (0 ..< kf) onto which tap t of the k×k kernel falls in phase p:
    /// ⌊(p − r + t)/2⌋ − ⌊(p − r)/2⌋ with r = k/2.
    static func foldedTap(kernel k: Int, phase p: Int, tap t: Int) -> Int {
        func floorHalf(_ v: Int) -> Int { v >= 0 ? v / 2 : -((-v + 1) / 2) }
        let r = k / 2
        return floorHalf(p - r + t) - floorHalf(p - r)
    }

    public static func suits(kernel: Int, stride: Int, padding: Int) -> Bool {
        (kernel == 3 || kernel == 5) && stride == 1 && padding == kernel / 2
    }

    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.rank == 4 && weight.shape[2] == weight.shape[3] && Self.suits(kernel: weight.shape[2], stride: 1, padding: weight.shape[2] / 2),
                     "UpsampledConv takes 3×3 or 5×5 weights, got \(weight.shape)")
        (outChannels, inChannels, kernel) = (weight.shape[0], weight.shape[1], weight.shape[2])
        self.weight = weight
        phases = Conv2D(weight: Self.fold(weight))
        self.bias = bias?.scalars
    }

    /// [Cout, Cin, k, k] → [4·Cout, Cin, kf, kf], each phase's taps summed onto the input pixels they read.
    public static func fold(_ weight: Tensor) -> Tensor {
        let (cout, cin, k) = (weight.shape[0], weight.shape[1], weight.shape[2])
        let kf = foldedSide(kernel: k)
        var w = [Float](repeating: 0, count: 4 * cout * cin * kf * kf)
        weight.withUnsafeBufferPointer { src in
            for py in 0..<2 { for px in 0..<2 { for co in 0..<cout { for ci in 0..<cin { for ty in 0..<k { for tx in 0..<k {
                let (a, b) = (foldedTap(kernel: k, phase: py, tap: ty), foldedTap(kernel: k, phase: px, tap: tx))
                w[((((2 * py + px) * cout + co) * cin + ci) * kf + a) * kf + b] += src[((co * cin + ci) * k + ty) * k + tx]
            } } } } } }
        }
        return Tensor(shape: [4 * cout, cin, kf, kf], values: w)
    }

    /// The transpose of `fold`: gradients of the folded weights → gradients of the k×k weights.
    public static func unfold(_ folded: Tensor, kernel k: Int) -> Tensor {
        let (cout, cin, kf) = (folded.shape[0] / 4, folded.shape[1], folded.shape[2])
        var w = [Float](repeating: 0, count: cout * cin * k * k)
        folded.withUnsafeBufferPointer { src in
            for py in 0..<2 { for px in 0..<2 { for co in 0..<cout { for ci in 0..<cin { for ty in 0..<k { for tx in 0..<k {
                let (a, b) = (foldedTap(kernel: k, phase: py, tap: ty), foldedTap(kernel: k, phase: px, tap: tx))
                w[((co * cin + ci) * k + ty) * k + tx] += src[((((2 * py + px) * cout + co) * cin + ci) * kf + a) * kf + b]
            } } } } } }
        }
        return Tensor(shape: [cout, cin, k, k], values: w)
    }

    /// conv(reflectPad(upsampleNearest(x, 2), k/2)) (+ bias) for x [N, Cin, H, W] → [N, Cout, 2H, 2W].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        callAsFunction(x, replicatePadded: replicatePad1(x))
    }

    /// The same, given `replicatePad1(x)` too (training keeps it for the backward pass).
    public func callAsFunction(_ x: Tensor, replicatePadded xp: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == inChannels, "expects [N, \(inChannels), H, W], got \(x.shape)")
        precondition(kernel == 3 || (x.shape[2] >= 2 && x.shape[3] >= 2), "a 5×5 upsampled convolution needs at least 2×2 input (reflection by 2)")
        var out = Self.interleave(phases(xp), kernel: kernel, outChannels: outChannels, height: x.shape[2], width: x.shape[3], bias: bias)
        if kernel == 5 { BorderRing.addCorrection(to: &out, x: x, weight: weight) }
        return out
    }

    /// Phase outputs [N, 4·Cout, ·, ·] → the interleaved image [N, Cout, 2H, 2W] (+ bias).
    static func interleave(_ y: Tensor, kernel k: Int, outChannels cout: Int, height h: Int, width w: Int, bias: [Float]?) -> Tensor {
        let n = y.shape[0]
        var out = Tensor(uninitialized: [n, cout, 2 * h, 2 * w])
        out.withUnsafeMutableBufferPointer { dst in
            y.withUnsafeBufferPointer { src in
                Parallel.forEach(n * cout * h) { task in
                    let b = bias?[task / h % cout] ?? 0
                    for py in 0..<2 {
                        let o = rowOffsets(task: task, py: py, kernel: k, outChannels: cout, height: h, width: w, phaseShape: (y.shape[2], y.shape[3]))
                        for j in 0..<w {
                            dst[o.image + 2 * j] = src[o.even + j] + b
                            dst[o.image + 2 * j + 1] = src[o.odd + j] + b
                        }
                    }
                }
            }
        }
        return out
    }

    /// The transpose of `interleave` (without bias): gy [N, Cout, 2H, 2W] → the phase convolution's
    /// output gradient [N, 4·Cout, H + 3 − kf, W + 3 − kf], zero where no output pixel reads.
    static func deinterleave(_ gy: Tensor, kernel k: Int) -> Tensor {
        let (n, cout, h, w) = (gy.shape[0], gy.shape[1], gy.shape[2] / 2, gy.shape[3] / 2)
        let kf = foldedSide(kernel: k)
        let phaseShape = (h + 3 - kf, w + 3 - kf)
        var out = Tensor(zeros: [n, 4 * cout, phaseShape.0, phaseShape.1])
        out.withUnsafeMutableBufferPointer { dst in
            gy.withUnsafeBufferPointer { src in
                Parallel.forEach(n * cout * h) { task in
                    for py in 0..<2 {
                        let o = rowOffsets(task: task, py: py, kernel: k, outChannels: cout, height: h, width: w, phaseShape: phaseShape)
                        for j in 0..<w {
                            dst[o.even + j] = src[o.image + 2 * j]
                            dst[o.odd + j] = src[o.image + 2 * j + 1]
                        }
                    }
                }
            }
        }
        return out
    }

    /// For task (plane, i) = (task / H, task % H) and phase row py: the offset of image row 2i + py
    /// of that plane in [N, Cout, 2H, 2W], and of the phase rows that hold its even and odd columns
    /// in the phase output [N, 4·Cout, phaseShape] (phase (py, px) is channels (2·py + px)·Cout + co).
    @inline(__always)
    static func rowOffsets(task: Int, py: Int, kernel k: Int, outChannels cout: Int, height h: Int, width w: Int,
                           phaseShape: (Int, Int)) -> (image: Int, even: Int, odd: Int) {
        let (plane, i) = (task / h, task % h)
        let (img, co) = (plane / cout, plane % cout)
        let (yh, yw) = phaseShape
        let r = i + base(kernel: k, phase: py)
        let even = ((img * 4 * cout + 2 * py * cout + co) * yh + r) * yw + base(kernel: k, phase: 0)
        let odd = ((img * 4 * cout + (2 * py + 1) * cout + co) * yh + r) * yw + base(kernel: k, phase: 1)
        return ((plane * 2 * h + 2 * i + py) * 2 * w, even, odd)
    }

    /// The definition: upsample, reflect-pad, convolve (what the tests hold the folded form to).
    public static func reference(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let r = weight.shape[2] / 2
        return Conv2D.reference(pad2d(upsampleNearest(x, factor: 2), top: r, bottom: r, left: r, right: r, mode: .reflect),
                                weight: weight, bias: bias, stride: 1)
    }
}

/// [N, C, H, W] → [N, C, H + 2, W + 2], the border repeating the edge pixels.
public func replicatePad1(_ x: Tensor) -> Tensor {
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
