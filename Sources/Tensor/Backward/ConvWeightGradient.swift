import TensorAVX2
import TensorAVX512

/// ∂L/∂w of a valid convolution (see `conv2dBackward`) as a packed GEMM per tile of output pixels:
///
///   ∂L/∂w [Cout, Cin·KH·KW] = Σ_n Σ_tiles gy[n, :, tile] · im2col(x[n])[:, tile]ᵀ
///
/// A = the tile's gy rows (Cout × pixels), B = the tile's receptive fields, one pixel per row
/// (pixels × Cin·KH·KW), gathered straight into GEMM panels. Tiles (over all images) are spread
/// over the workers; each worker accumulates its own partial ∂L/∂w, and the partials are summed at
/// the end in worker order, so the result is deterministic for a given thread count.
/// Stride-1 layers with at most four output channels skip the GEMM (`fewOutputs`).
public enum ConvWeightGradient {
    /// Output pixels per tile: the GEMM's k. Each tile reads and writes the whole partial ∂L/∂w
    /// (Cout × Cin·KH·KW), so deep tiles amortize that traffic; 256 measured best from 3→64 to
    /// 512→512 channels (64 was 2× slower on 512→512, 1024 2× slower on 64→64 at 128²).
    static let tilePixels = 256

    static func compute(input x: Tensor, gradOutput gy: Tensor, kernelH kh: Int, kernelW kw: Int, stride s: Int) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let ho = (h - kh) / s + 1, wo = (w - kw) / s + 1
        precondition(gy.rank == 4 && gy.shape[0] == n && gy.shape[2] == ho && gy.shape[3] == wo,
                     "conv weight gradient: gy \(gy.shape) does not match input \(x.shape) and \(kh)×\(kw)/\(s) kernel")
        let cout = gy.shape[1], pixels = ho * wo, k = cin * kh * kw
        if s == 1 && cout <= CorrelationKernel.maxOutputs && fewOutputsEnabled {
            return fewOutputs(input: x, gradOutput: gy, kernelH: kh, kernelW: kw)
        }
        let tile = max(1, min(tilePixels, pixels))
        let tilesPerImage = (pixels + tile - 1) / tile, tasks = n * tilesPerImage
        let workers = max(1, min(Parallel.threadsForCurrentThread, tasks))
        let fieldOffset = fieldOffsets(channels: cin, height: h, width: w, kernelH: kh, kernelW: kw)
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: workers * cout * k)
        partials.initialize(repeating: 0, count: workers * cout * k)
        defer { partials.deallocate() }

        x.withUnsafeBufferPointer { xBuf in
            gy.withUnsafeBufferPointer { gyBuf in
                fieldOffset.withUnsafeBufferPointer { fields in
                    Parallel.run(tasks: tasks) { worker, workerCount in
                        precondition(workerCount == workers)
                        let aPanels = UnsafeMutablePointer<Float>.allocate(capacity: GEMM.packedASize(m: cout, k: tile))
                        let bPanels = UnsafeMutablePointer<Float>.allocate(capacity: GEMM.packedBSize(k: tile, n: k))
                        let pixelOffset = UnsafeMutablePointer<Int>.allocate(capacity: tile)
                        defer { aPanels.deallocate(); bPanels.deallocate(); pixelOffset.deallocate() }
                        let partial = partials + worker * cout * k
                        var task = worker
                        while task < tasks {
                            let img = task / tilesPerImage, p0 = (task % tilesPerImage) * tile
                            let np = min(tile, pixels - p0)
                            GEMM.packA(gyBuf.baseAddress! + img * cout * pixels + p0, m: cout, k: np, lda: pixels, into: aPanels)
                            fillPixelOffsets(pixelOffset, firstPixel: p0, count: np, outputWidth: wo, stride: s, inputWidth: w)
                            gatherFieldsAsRows(input: xBuf.baseAddress! + img * cin * h * w, fieldOffset: fields.baseAddress!,
                                               fieldSize: k, pixelOffset: pixelOffset, pixels: np, into: bPanels)
                            GEMM.multiplyPacked(m: cout, n: k, k: np, packedA: aPanels, packedB: bPanels,
                                                c: partial, ldc: k, accumulate: true)
                            task += workerCount
                        }
                    }
                }
            }
        }
        var gw = Tensor(uninitialized: [cout, cin, kh, kw])
        gw.withUnsafeMutableBufferPointer { dst in
            dst.baseAddress!.update(from: partials, count: cout * k)
            for wk in 1..<workers {
                let src = partials + wk * cout * k
                for i in 0..<(cout * k) { dst[i] += src[i] }
            }
        }
        return gw
    }

    /// Offset of receptive-field entry (tap) (ci, ky, kx), index (ci·KH + ky)·KW + kx, from the
    /// field's top-left corner in an input of `channels` planes of height × width.
    static func fieldOffsets(channels cin: Int, height h: Int, width w: Int, kernelH kh: Int, kernelW kw: Int) -> [Int] {
        var offsets = [Int](repeating: 0, count: cin * kh * kw)
        for ci in 0..<cin { for ky in 0..<kh { for kx in 0..<kw { offsets[(ci * kh + ky) * kw + kx] = (ci * h + ky) * w + kx } } }
        return offsets
    }

    /// Whether stride-1 layers with at most `CorrelationKernel.maxOutputs` output channels use
    /// `fewOutputs` (default; off to compare with the GEMM path in tests).
    nonisolated(unsafe) public static var fewOutputsEnabled = true

    /// ∂L/∂w by `CorrelationKernel`: no gather, one correlation per (output channel, tap). At 128²
    /// the 9×9 32→3 output layer of StyleBank took 16.7 ms on the GEMM path (15 GFLOP/s; the
    /// gather of 2,592 taps per pixel dominated) and takes 4.4 ms here (AVX2). Tasks are runs of taps, so every sum is made by
    /// one thread in one order: the result does not depend on the thread count.
    static func fewOutputs(input x: Tensor, gradOutput gy: Tensor, kernelH kh: Int, kernelW kw: Int) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, ho, wo) = (gy.shape[1], gy.shape[2], gy.shape[3])
        let taps = cin * kh * kw, tapsPerTask = 32
        let tapOffset = fieldOffsets(channels: cin, height: h, width: w, kernelH: kh, kernelW: kw)
        let zeros = [Float](repeating: 0, count: wo)
        var gw = Tensor(zeros: [cout, cin, kh, kw])
        gw.withUnsafeMutableBufferPointer { gwBuf in
            x.withUnsafeBufferPointer { xBuf in
                gy.withUnsafeBufferPointer { gyBuf in
                    tapOffset.withUnsafeBufferPointer { offsets in
                        zeros.withUnsafeBufferPointer { zero in
                            Parallel.forEach((taps + tapsPerTask - 1) / tapsPerTask) { task in
                                let range = task * tapsPerTask..<min(taps, (task + 1) * tapsPerTask)
                                for img in 0..<n {
                                    correlate(outputs: cout, gy: gyBuf.baseAddress! + img * cout * ho * wo, outputHeight: ho, outputWidth: wo,
                                              x: xBuf.baseAddress! + img * cin * h * w, inputWidth: w, tapOffsets: offsets.baseAddress!,
                                              taps: range, zeros: zero.baseAddress!, into: gwBuf.baseAddress!, gwStride: taps)
                                }
                            }
                        }
                    }
                }
            }
        }
        return gw
    }

    /// `CorrelationKernel.fewOutputWeightGradient` of the variant in use.
    static func correlate(outputs: Int, gy: UnsafePointer<Float>, outputHeight: Int, outputWidth: Int, x: UnsafePointer<Float>,
                          inputWidth: Int, tapOffsets: UnsafePointer<Int>, taps: Range<Int>, zeros: UnsafePointer<Float>,
                          into gw: UnsafeMutablePointer<Float>, gwStride: Int) {
        switch GEMM.variant {
        case .portable:
            CorrelationKernel.fewOutputWeightGradient(outputs: outputs, gy: gy, outputHeight: outputHeight, outputWidth: outputWidth, x: x,
                                                      inputWidth: inputWidth, tapOffsets: tapOffsets, taps: taps, zeros: zeros, into: gw, gwStride: gwStride)
        case .avx2:
            TensorAVX2.CorrelationKernel.fewOutputWeightGradient(outputs: outputs, gy: gy, outputHeight: outputHeight, outputWidth: outputWidth, x: x,
                                                                 inputWidth: inputWidth, tapOffsets: tapOffsets, taps: taps, zeros: zeros, into: gw, gwStride: gwStride)
        case .avx512:
            TensorAVX512.CorrelationKernel.fewOutputWeightGradient(outputs: outputs, gy: gy, outputHeight: outputHeight, outputWidth: outputWidth, x: x,
                                                                   inputWidth: inputWidth, tapOffsets: tapOffsets, taps: taps, zeros: zeros, into: gw, gwStride: gwStride)
        }
    }

    /// Packs the GEMM B operand im2col(x)ᵀ (pixels × fieldSize, one receptive field per row) into
    /// nr-column panels: panel column j0 + jj, row p holds x[fieldOffset[j0 + jj] + pixelOffset[p]].
    @inline(__always)
    static func gatherFieldsAsRows(input: UnsafePointer<Float>, fieldOffset: UnsafePointer<Int>, fieldSize k: Int,
                                   pixelOffset: UnsafePointer<Int>, pixels: Int, into panels: UnsafeMutablePointer<Float>) {
        let nr = GEMM.nr
        for j0 in Swift.stride(from: 0, to: k, by: nr) {
            let panel = panels + (j0 / nr) * nr * pixels
            for jj in 0..<nr {
                if j0 + jj < k {
                    let src = input + fieldOffset[j0 + jj]
                    for p in 0..<pixels { panel[p * nr + jj] = src[pixelOffset[p]] }
                } else {
                    for p in 0..<pixels { panel[p * nr + jj] = 0 }
                }
            }
        }
    }
}
