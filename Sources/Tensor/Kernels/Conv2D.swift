/// A 2-D convolution (no padding of its own: pad first with `pad2d`), computed as a GEMM of the
/// weights (packed into A panels once, at construction) with the im2col matrix of the input.
///
/// out[n, co, oy, ox] = bias[co] + Σ_{ci,ky,kx} w[co, ci, ky, kx] · x[n, ci, oy·s + ky, ox·s + kx]
///
/// Stride 1 ("implicit GEMM"): the im2col matrix is never built. For nr consecutive pixels of an
/// output row, row (ci, ky, kx) of it is nr consecutive input floats, so the micro-kernel reads
/// them in place; work is split by output rows.
/// Other strides: the output is cut into tiles of `tilePixels` pixels whose receptive fields are
/// gathered into GEMM B panels, then multiplied.
public struct Conv2D {
    public let weight: Tensor   // [Cout, Cin, KH, KW]
    public let bias: Tensor?    // [Cout]
    public let stride: Int
    public let outChannels: Int, inChannels: Int, kernelH: Int, kernelW: Int
    let packedWeight: Tensor    // GEMM A panels of the weight matrix [Cout, Cin·KH·KW]

    public init(weight: Tensor, bias: Tensor? = nil, stride: Int = 1) {
        precondition(weight.rank == 4, "conv weight must be [Cout, Cin, KH, KW], got \(weight.shape)")
        precondition(stride >= 1)
        self.weight = weight
        self.bias = bias
        self.stride = stride
        (outChannels, inChannels, kernelH, kernelW) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        if let bias { precondition(bias.count == outChannels, "bias has \(bias.count) values for \(outChannels) channels") }
        let k = weight.shape[1] * weight.shape[2] * weight.shape[3]
        let m = weight.shape[0]
        var packed = Tensor(uninitialized: [GEMM.packedASize(m: m, k: k)])
        packed.withUnsafeMutableBufferPointer { dst in
            weight.withUnsafeBufferPointer { GEMM.packA($0.baseAddress!, m: m, k: k, lda: k, into: dst.baseAddress!) }
        }
        packedWeight = packed
    }

    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height - kernelH) / stride + 1, (width - kernelW) / stride + 1)
    }

    /// Output pixels per GEMM tile: a multiple of the panel width whose B panels stay near 256 KiB.
    var tilePixels: Int {
        let k = inChannels * kernelH * kernelW
        let fit = (65_536 / max(k, 1)) / GEMM.nr * GEMM.nr
        return min(max(fit, 4 * GEMM.nr), 512)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == inChannels, "conv expects [N, \(inChannels), H, W], got \(x.shape)")
        let (h, w) = (x.shape[2], x.shape[3])
        precondition(h >= kernelH && w >= kernelW, "input \(h)×\(w) is smaller than the \(kernelH)×\(kernelW) kernel")
        return stride == 1 ? implicitGEMM(x) : im2colGEMM(x)
    }

    func implicitGEMM(_ x: Tensor) -> Tensor {
        let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        let (ho, wo) = outputSize(height: h, width: w)
        let k = inChannels * kernelH * kernelW
        let (cout, cin, kh, kw) = (outChannels, inChannels, kernelH, kernelW)
        var offsets = [Int](repeating: 0, count: k)
        for ci in 0..<cin { for ky in 0..<kh { for kx in 0..<kw { offsets[(ci * kh + ky) * kw + kx] = (ci * h + ky) * w + kx } } }
        var out = Tensor(uninitialized: [n, cout, ho, wo])
        out.withUnsafeMutableBufferPointer { outBuf in
            x.withUnsafeBufferPointer { xBuf in
                packedWeight.withUnsafeBufferPointer { aBuf in
                    offsets.withUnsafeBufferPointer { off in
                        let biasPtr = bias.map { b in b.withUnsafeBufferPointer { $0.baseAddress! } }
                        Parallel.run(tasks: n * ho) { worker, workers in
                            let tail = UnsafeMutablePointer<Float>.allocate(capacity: k * GEMM.nr)
                            defer { tail.deallocate() }
                            var task = worker
                            while task < n * ho {
                                let (img, oy) = (task / ho, task % ho)
                                GEMM.convolveRow(m: cout, n: wo, k: k, packedA: aBuf.baseAddress!,
                                                 input: xBuf.baseAddress! + img * cin * h * w + oy * w, offsets: off.baseAddress!,
                                                 c: outBuf.baseAddress! + img * cout * ho * wo + oy * wo, ldc: ho * wo,
                                                 bias: biasPtr, tail: tail)
                                task += workers
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    func im2colGEMM(_ x: Tensor) -> Tensor {
        let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        let (ho, wo) = outputSize(height: h, width: w)
        let pixels = ho * wo, k = inChannels * kernelH * kernelW
        let tile = tilePixels
        let tilesPerImage = (pixels + tile - 1) / tile
        var out = Tensor(uninitialized: [n, outChannels, ho, wo])
        let (cout, cin, kh, kw, s) = (outChannels, inChannels, kernelH, kernelW, stride)

        out.withUnsafeMutableBufferPointer { outBuf in
            let outBase = outBuf.baseAddress!
            x.withUnsafeBufferPointer { xBuf in
                packedWeight.withUnsafeBufferPointer { aBuf in
                    let biasPtr = bias.map { b in b.withUnsafeBufferPointer { $0.baseAddress! } }
                    Parallel.run(tasks: n * tilesPerImage) { worker, workers in
                        let panels = UnsafeMutablePointer<Float>.allocate(capacity: GEMM.packedBSize(k: k, n: tile))
                        let pixelOffset = UnsafeMutablePointer<Int>.allocate(capacity: tile)
                        defer { panels.deallocate(); pixelOffset.deallocate() }
                        var task = worker
                        while task < n * tilesPerImage {
                            let img = task / tilesPerImage
                            let p0 = (task % tilesPerImage) * tile
                            let np = min(tile, pixels - p0)
                            // Where each output pixel's receptive field starts in an input plane.
                            for j in 0..<np {
                                let p = p0 + j
                                pixelOffset[j] = (p / wo) * s * w + (p % wo) * s
                            }
                            let input = xBuf.baseAddress! + img * cin * h * w
                            Im2Col.gather(input: input, channels: cin, height: h, width: w, kernelH: kh, kernelW: kw,
                                          pixelOffset: pixelOffset, pixels: np, into: panels)
                            GEMM.multiplyPacked(m: cout, n: np, k: k, packedA: aBuf.baseAddress!, packedB: panels,
                                                c: outBase + img * cout * pixels + p0, ldc: pixels, bias: biasPtr)
                            task += workers
                        }
                    }
                }
            }
        }
        return out
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

/// Gathers convolution receptive fields into GEMM B panels (see `GEMM`).
enum Im2Col {
    /// Row kk = (ci·KH + ky)·KW + kx of the virtual im2col matrix, column j = output pixel j of the
    /// tile, whose receptive field starts at `pixelOffset[j]` within each input plane.
    static func gather(input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                       kernelH: Int, kernelW: Int, pixelOffset: UnsafePointer<Int>, pixels: Int,
                       into panels: UnsafeMutablePointer<Float>) {
        let nr = GEMM.nr, k = channels * kernelH * kernelW
        for j0 in stride(from: 0, to: pixels, by: nr) {
            let cols = min(nr, pixels - j0)
            var out = panels + (j0 / nr) * nr * k
            for ci in 0..<channels {
                for ky in 0..<kernelH {
                    for kx in 0..<kernelW {
                        let src = input + (ci * height + ky) * width + kx
                        for j in 0..<cols { out[j] = src[pixelOffset[j0 + j]] }
                        for j in cols..<nr { out[j] = 0 }
                        out += nr
                    }
                }
            }
        }
    }
}
