import TensorAVX2
import TensorAVX512

/// A 3×3, stride-1 convolution (valid: pad first) by Winograd's minimal filtering F(2×2, 3×3)
/// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016, eq. 8):
///
///   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A       for each 4×4 input tile d → 2×2 output tile Y
///
/// Summed over input channels, the elementwise product becomes 16 independent GEMMs, one per
/// position ξ of the 4×4 transform:  M_ξ[co, t] = Σ_ci U_ξ[co, ci] · V_ξ[ci, t], with
/// U = G g Gᵀ (weights, transformed once here) and V = Bᵀ d B (input tiles). That is 16
/// multiplies per 2×2 outputs instead of 36: 2.25× fewer FLOPs than the direct convolution.
///
/// Tiles are processed in blocks: a block's transformed inputs are written straight into GEMM B
/// panels, multiplied by the packed U_ξ with the same micro-kernel as every other GEMM, and the
/// results transformed back (with bias and ReLU) into the output. Rounding differs from the
/// direct convolution by a few ulps of the operands (the transforms only add, subtract and halve).
struct WinogradConv3x3 {
    let outChannels: Int, inChannels: Int
    /// U_ξ for ξ = 0..<16, each packed as GEMM A panels of a [Cout, Cin] matrix.
    let packedU: Tensor
    let uStride: Int

    /// Whether the Winograd path is worth it for a convolution of this shape: a 3×3 stride-1
    /// kernel with enough channels that the 16 GEMMs dominate the transforms. Measured with
    /// `atelier profile --network vgg16` (ATELIER_WINOGRAD=0 vs 1): about 2× faster from 64
    /// channels up; at 32 → 32 (multistyle26's residual blocks) no faster than the direct path.
    static func suits(kernelH: Int, kernelW: Int, stride: Int, inChannels: Int, outChannels: Int) -> Bool {
        kernelH == 3 && kernelW == 3 && stride == 1 && inChannels >= 64 && outChannels >= 64
    }

    init(weight: Tensor) {
        precondition(weight.rank == 4 && weight.shape[2] == 3 && weight.shape[3] == 3)
        let (cout, cin) = (weight.shape[0], weight.shape[1])
        (outChannels, inChannels) = (cout, cin)
        uStride = GEMM.packedASize(m: cout, k: cin)
        // U[ξ][co][ci] = (G g Gᵀ)[ξ], G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].
        var u = [Float](repeating: 0, count: 16 * cout * cin)
        weight.withUnsafeBufferPointer { w in
            for co in 0..<cout { for ci in 0..<cin {
                let g = w.baseAddress! + (co * cin + ci) * 9
                // G·g column by column: t.c holds rows 0…3 of column c.
                let t = (Self.g(g[0], g[3], g[6]), Self.g(g[1], g[4], g[7]), Self.g(g[2], g[5], g[8]))
                for r in 0..<4 {                           // row r of (G·g)·Gᵀ
                    let row = Self.g(t.0[r], t.1[r], t.2[r])
                    for c in 0..<4 { u[((r * 4 + c) * cout + co) * cin + ci] = row[c] }
                }
            } }
        }
        var packed = Tensor(uninitialized: [16 * uStride])
        let stride = uStride
        packed.withUnsafeMutableBufferPointer { dst in
            u.withUnsafeBufferPointer { src in
                for xi in 0..<16 { GEMM.packA(src.baseAddress! + xi * cout * cin, m: cout, k: cin, lda: cin, into: dst.baseAddress! + xi * stride) }
            }
        }
        packedU = packed
    }

    /// G·(a, b, c) = (a, (a + b + c)/2, (a − b + c)/2, c).
    @inline(__always) static func g(_ a: Float, _ b: Float, _ c: Float) -> SIMD4<Float> {
        SIMD4(a, (a + b + c) / 2, (a - b + c) / 2, c)
    }

    /// Tiles per block, a multiple of the 32-tile panel: the block's transformed inputs and
    /// products (16 · (Cin + Cout) · tiles floats) stay near half a MiB, in L2.
    static func tilesPerBlock(inChannels: Int, outChannels: Int) -> Int {
        let fit = (blockFloats / (16 * max(inChannels + outChannels, 1))) / 32 * 32
        return min(max(fit, 32), 512)
    }
    nonisolated(unsafe) static var blockFloats = 131_072

    func callAsFunction(_ x: Tensor, bias: UnsafePointer<Float>?, relu: Bool, quantize: FakeQuantization? = nil) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let cout = outChannels
        let (ho, wo) = (h - 2, w - 2)
        let (tilesY, tilesX) = ((ho + 1) / 2, (wo + 1) / 2)
        let tiles = tilesY * tilesX, tb = Self.tilesPerBlock(inChannels: cin, outChannels: cout)
        let blocks = (tiles + tb - 1) / tb
        let vStride = cin * tb, mStride = cout * tb
        var out = Tensor(uninitialized: [n, cout, ho, wo])
        out.withUnsafeMutableBufferPointer { outBuf in
            x.withUnsafeBufferPointer { xBuf in
                packedU.withUnsafeBufferPointer { uBuf in
                    Parallel.run(claiming: n * blocks) { _, next in
                        let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * vStride)
                        let m = UnsafeMutablePointer<Float>.allocate(capacity: 16 * mStride)
                        defer { v.deallocate(); m.deallocate() }
                        while let task = next() {
                            let (img, block) = (task / blocks, task % blocks)
                            let t0 = block * tb, count = min(tb, tiles - t0)
                            let input = xBuf.baseAddress! + img * cin * h * w
                            WinogradTransforms.input(input, channels: cin, height: h, width: w, tilesX: tilesX,
                                                     firstTile: t0, count: count, into: v, panelStride: vStride)
                            for xi in 0..<16 {
                                GEMM.multiplyWidePanels(m: cout, n: count, k: cin, packedA: uBuf.baseAddress! + xi * uStride,
                                                        packedB: v + xi * vStride, c: m + xi * mStride, ldc: tb)
                            }
                            WinogradTransforms.output(m, ldm: tb, matrixStride: mStride, channels: cout, tilesX: tilesX, firstTile: t0, count: count,
                                                      into: outBuf.baseAddress! + img * cout * ho * wo, height: ho, width: wo, bias: bias, relu: relu,
                                                      quantize: quantize?.kernelForm)
                        }
                    }
                }
            }
        }
        return out
    }
}

/// The transforms, run by the widest compiled variant this CPU supports (see `GEMM.variant`).
enum WinogradTransforms {
    static func input(_ x: UnsafePointer<Float>, channels: Int, height: Int, width: Int, tilesX: Int,
                      firstTile: Int, count: Int, into v: UnsafeMutablePointer<Float>, panelStride: Int) {
        switch GEMM.variant {
        case .portable:
            WinogradKernel.transformInput(x, channels: channels, height: height, width: width, tilesX: tilesX, firstTile: firstTile, count: count, into: v, panelStride: panelStride)
        case .avx2:
            TensorAVX2.WinogradKernel.transformInput(x, channels: channels, height: height, width: width, tilesX: tilesX, firstTile: firstTile, count: count, into: v, panelStride: panelStride)
        case .avx512:
            TensorAVX512.WinogradKernel.transformInput(x, channels: channels, height: height, width: width, tilesX: tilesX, firstTile: firstTile, count: count, into: v, panelStride: panelStride)
        }
    }

    static func output(_ m: UnsafePointer<Float>, ldm: Int, matrixStride: Int, channels: Int, tilesX: Int, firstTile: Int, count: Int,
                       into out: UnsafeMutablePointer<Float>, height: Int, width: Int, bias: UnsafePointer<Float>?, relu: Bool,
                       quantize: (scale: Float, zeroPoint: Float)?) {
        switch GEMM.variant {
        case .portable:
            WinogradKernel.transformOutput(m, ldm: ldm, matrixStride: matrixStride, channels: channels, tilesX: tilesX, firstTile: firstTile,
                                           count: count, into: out, height: height, width: width, bias: bias, relu: relu, quantize: quantize)
        case .avx2:
            TensorAVX2.WinogradKernel.transformOutput(m, ldm: ldm, matrixStride: matrixStride, channels: channels, tilesX: tilesX, firstTile: firstTile,
                                                      count: count, into: out, height: height, width: width, bias: bias, relu: relu, quantize: quantize)
        case .avx512:
            TensorAVX512.WinogradKernel.transformOutput(m, ldm: ldm, matrixStride: matrixStride, channels: channels, tilesX: tilesX, firstTile: firstTile,
                                                        count: count, into: out, height: height, width: width, bias: bias, relu: relu, quantize: quantize)
        }
    }
}
