import Foundation

/// A 2-D convolution (no padding of its own: pad first with `pad2d`), computed as a GEMM of the
/// weights (packed into A panels once, at construction) with the im2col matrix of the input.
///
/// out[n, co, oy, ox] = bias[co] + Σ_{ci,ky,kx} w[co, ci, ky, kx] · x[n, ci, oy·s + ky, ox·s + kx]
///
/// The im2col matrix is never built ("implicit GEMM"): for nr consecutive pixels of an output
/// row, row (ci, ky, kx) of it is nr consecutive input floats (after a phase split for stride > 1),
/// so the micro-kernel reads them in place. Work is split by output rows.
public struct Conv2D {
    public let weight: Tensor   // [Cout, Cin, KH, KW]
    public let bias: Tensor?    // [Cout]
    public let stride: Int
    public let outChannels: Int, inChannels: Int, kernelH: Int, kernelW: Int
    let packedWeight: Tensor?   // GEMM A panels of the weight matrix [Cout, Cin·KH·KW]; nil where Winograd runs
    /// The F(2×2, 3×3) Winograd form, for 3×3 stride-1 layers with enough channels.
    let winograd: WinogradConv3x3?

    /// Whether suitable layers use Winograd (default); `ATELIER_WINOGRAD=0` turns it off, to
    /// compare with the direct convolution.
    nonisolated(unsafe) public static var winogradEnabled: Bool = {
        ProcessInfo.processInfo.environment["ATELIER_WINOGRAD"] != "0"
    }()

    public init(weight: Tensor, bias: Tensor? = nil, stride: Int = 1) {
        precondition(weight.rank == 4, "conv weight must be [Cout, Cin, KH, KW], got \(weight.shape)")
        precondition(stride >= 1)
        self.weight = weight
        self.bias = bias
        self.stride = stride
        (outChannels, inChannels, kernelH, kernelW) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        if let bias { precondition(bias.count == outChannels, "bias has \(bias.count) values for \(outChannels) channels") }
        winograd = WinogradConv3x3.suits(kernelH: kernelH, kernelW: kernelW, stride: stride, inChannels: inChannels, outChannels: outChannels)
            ? WinogradConv3x3(weight: weight) : nil
        // A layer that Winograd runs keeps only its transformed weights; `direct` packs its own.
        packedWeight = winograd != nil && Self.winogradEnabled ? nil : Self.pack(weight)
    }

    /// The weight matrix [Cout, Cin·KH·KW] as GEMM A panels.
    static func pack(_ weight: Tensor) -> Tensor {
        let m = weight.shape[0], k = weight.shape[1] * weight.shape[2] * weight.shape[3]
        var packed = Tensor(uninitialized: [GEMM.packedASize(m: m, k: k)])
        packed.withUnsafeMutableBufferPointer { dst in
            weight.withUnsafeBufferPointer { GEMM.packA($0.baseAddress!, m: m, k: k, lda: k, into: dst.baseAddress!) }
        }
        return packed
    }

    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height - kernelH) / stride + 1, (width - kernelW) / stride + 1)
    }

    /// The convolution of `x`; with `relu`, max(·, 0) is applied as the results are stored, and
    /// with `quantize`, then `fakeQuantize` (in registers: the same values as a pass of its own).
    public func callAsFunction(_ x: Tensor, relu: Bool = false, quantize: FakeQuantization? = nil) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == inChannels, "conv expects [N, \(inChannels), H, W], got \(x.shape)")
        let (h, w) = (x.shape[2], x.shape[3])
        precondition(h >= kernelH && w >= kernelW, "input \(h)×\(w) is smaller than the \(kernelH)×\(kernelW) kernel")
        if let winograd, Self.winogradEnabled {
            guard let bias else { return winograd(x, bias: nil, relu: relu, quantize: quantize) }
            return bias.withUnsafeBufferPointer { winograd(x, bias: $0.baseAddress!, relu: relu, quantize: quantize) }
        }
        return direct(x, relu: relu, quantize: quantize)
    }

    /// The direct (implicit GEMM) convolution, for every shape.
    public func direct(_ x: Tensor, relu: Bool = false, quantize: FakeQuantization? = nil) -> Tensor {
        let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        let (ho, wo) = outputSize(height: h, width: w)
        let (cout, cin, kh, kw, s) = (outChannels, inChannels, kernelH, kernelW, stride)
        // With stride s, split each input plane into s×s phase planes, phase (py, px) holding
        // x[py + s·i, px + s·j]. Tap (ky, kx) of output pixel (oy, ox) is then pixel
        // (oy + ky/s, ox + kx/s) of phase (ky % s, kx % s): consecutive output pixels read
        // consecutive floats again, as for stride 1 (where the phase split is the input itself).
        let source = s == 1 ? x : Self.splitPhases(x, stride: s)
        let (ph, pw) = (source.shape[2], source.shape[3])
        let k = cin * kh * kw
        var offsets = [Int](repeating: 0, count: k)
        for ci in 0..<cin { for ky in 0..<kh { for kx in 0..<kw {
            let plane = (ci * s + ky % s) * s + kx % s
            offsets[(ci * kh + ky) * kw + kx] = (plane * ph + ky / s) * pw + kx / s
        } } }
        let sourcePlanes = cin * s * s
        var out = Tensor(uninitialized: [n, cout, ho, wo])
        out.withUnsafeMutableBufferPointer { outBuf in
            source.withUnsafeBufferPointer { src in
                (packedWeight ?? Self.pack(weight)).withUnsafeBufferPointer { aBuf in
                    offsets.withUnsafeBufferPointer { off in
                        let biasPtr = bias.map { b in b.withUnsafeBufferPointer { $0.baseAddress! } }
                        if kh == 1 && kw == 1 && s == 1 {
                            pointwise(images: n, pixels: h * w, packedA: aBuf.baseAddress!, input: src.baseAddress!, offsets: off.baseAddress!,
                                      out: outBuf.baseAddress!, bias: biasPtr, relu: relu, quantize: quantize)
                            return
                        }
                        Parallel.run(claiming: n * ho) { _, next in
                            let tail = UnsafeMutablePointer<Float>.allocate(capacity: k * GEMM.nr)
                            defer { tail.deallocate() }
                            while let task = next() {
                                let (img, oy) = (task / ho, task % ho)
                                GEMM.convolveRow(m: cout, n: wo, k: k, packedA: aBuf.baseAddress!,
                                                 input: src.baseAddress! + img * sourcePlanes * ph * pw + oy * pw, offsets: off.baseAddress!,
                                                 c: outBuf.baseAddress! + img * cout * ho * wo + oy * wo, ldc: ho * wo,
                                                 bias: biasPtr, relu: relu, quantize: quantize, tail: tail)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// A 1×1 stride-1 convolution: each image's pixels are one row of H·W in every plane, so the
    /// GEMM runs over spans of that row, however narrow the image (row by row, an 8×8 map of
    /// MobileNet's last blocks gave the micro-kernel eight pixels of its sixteen at a time). Every
    /// output still sums its inputs in the same order.
    private func pointwise(images n: Int, pixels: Int, packedA: UnsafePointer<Float>, input: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
                           out: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool, quantize: FakeQuantization?) {
        let (cout, cin) = (outChannels, inChannels)
        // Spans of whole micro-kernel widths, about four per thread (fewer on small maps).
        let threads = Parallel.threadsForCurrentThread
        let span = max(GEMM.nr, (pixels + 4 * threads - 1) / (4 * threads) + GEMM.nr - 1) / GEMM.nr * GEMM.nr
        let spans = (pixels + span - 1) / span
        Parallel.run(claiming: n * spans) { _, next in
            let tail = UnsafeMutablePointer<Float>.allocate(capacity: cin * GEMM.nr)
            defer { tail.deallocate() }
            while let task = next() {
                let (img, start) = (task / spans, (task % spans) * span)
                GEMM.convolveRow(m: cout, n: min(span, pixels - start), k: cin, packedA: packedA,
                                 input: input + img * cin * pixels + start, offsets: offsets,
                                 c: out + img * cout * pixels + start, ldc: pixels, bias: bias, relu: relu,
                                 quantize: quantize, tail: tail)
            }
        }
    }

    /// [N, C, H, W] → [N, C·s·s, ⌈H/s⌉, ⌈W/s⌉]: plane (c·s + py)·s + px holds x[c, py + s·i, px + s·j]
    /// (zero where that falls outside the image; such pixels are never read by a valid output).
    public static func splitPhases(_ x: Tensor, stride s: Int) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let ph = (h + s - 1) / s, pw = (w + s - 1) / s
        var out = Tensor(uninitialized: [n, c * s * s, ph, pw])
        out.withUnsafeMutableBufferPointer { dst in
            x.withUnsafeBufferPointer { src in
                Parallel.forEach(n * c) { plane in
                    let from = src.baseAddress! + plane * h * w
                    let to = dst.baseAddress! + plane * s * s * ph * pw
                    for i in 0..<ph {
                        for py in 0..<s {
                            let y = py + s * i
                            // One input row feeds row i of the s phase planes (py, 0..<s), ph·pw floats apart.
                            let first = to + (py * s * ph + i) * pw
                            guard y < h else { for px in 0..<s { (first + px * ph * pw).update(repeating: 0, count: pw) }; continue }
                            deinterleave(from + y * w, count: w, stride: s, into: first, rowDistance: ph * pw, width: pw)
                        }
                    }
                }
            }
        }
        return out
    }

    /// row p (at `first + p · rowDistance`)[j] = src[p + s·j], zero where p + s·j ≥ count; for s = 2
    /// sixteen pairs at a time. (The rows were once an array made per input row: at 256² that was
    /// 8,000 heap allocations per stride-2 layer.)
    @inline(__always)
    static func deinterleave(_ src: UnsafePointer<Float>, count: Int, stride s: Int,
                             into first: UnsafeMutablePointer<Float>, rowDistance: Int, width: Int) {
        var j = 0
        if s == 2 {
            let even = first, odd = first + rowDistance
            while 2 * j + 32 <= count {
                let v = UnsafeRawPointer(src + 2 * j).loadUnaligned(as: SIMD32<Float>.self)
                UnsafeMutableRawPointer(even + j).storeBytes(of: v.evenHalf, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(odd + j).storeBytes(of: v.oddHalf, as: SIMD16<Float>.self)
                j += 16
            }
        }
        for p in 0..<s {
            let row = first + p * rowDistance
            for jj in j..<width { row[jj] = p + s * jj < count ? src[p + s * jj] : 0 }
        }
    }

    /// The definition, computed directly: what the tests hold the fast path to.
    public static func reference(_ x: Tensor, weight: Tensor, bias: Tensor?, stride s: Int) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        let ho = (h - kh) / s + 1, wo = (w - kw) / s + 1
        let xv = x.scalars, wv = weight.scalars, bv = bias?.scalars
        var out = [Float](repeating: 0, count: n * cout * ho * wo)
        for b in 0..<n { for co in 0..<cout { for oy in 0..<ho { for ox in 0..<wo {
            var sum: Float = bv?[co] ?? 0
            for ci in 0..<cin { for ky in 0..<kh { for kx in 0..<kw {
                sum += wv[((co * cin + ci) * kh + ky) * kw + kx] * xv[((b * cin + ci) * h + oy * s + ky) * w + ox * s + kx]
            } } }
            out[((b * cout + co) * ho + oy) * wo + ox] = sum
        } } } }
        return Tensor(shape: [n, cout, ho, wo], values: out)
    }
}
