/// The input and output transforms of the F(2×2, 3×3) Winograd convolution (`WinogradConv3x3`
/// in Tensor, which also holds the derivation). Like GEMMKernel.swift, this file is compiled three
/// times (Tensor, TensorAVX2, TensorAVX512 by symbolic link) so the transforms get the same
/// instruction set as the GEMM between them; `WinogradTransforms` picks the variant.
///
/// Layouts: the input tiles go into B panels 32 tiles wide (`GEMMKernel.WidePanelRows`): value
/// ξ of tile j, channel ci at ξ·panelStride + (j/32)·32·C + ci·32 + j%32. The products come back
/// as M[ξ][co][j] with row stride `ldm` and matrix stride `matrixStride`.
public enum WinogradKernel {
    typealias Lanes = SIMD16<Float>   // 16 tiles at a time

    /// V_ξ[ci, j] = (Bᵀ d B)[ξ] for tiles t0 + j, written in wide-panel order (panel j/32, row
    /// ci, lane j%32), 16 tiles at a time. Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0],
    /// [0, 1, 0, −1]]. Input outside the plane (edge tiles of odd outputs) reads as zero; lanes
    /// past `count` are zero.
    public static func transformInput(_ x: UnsafePointer<Float>, channels cin: Int, height h: Int, width w: Int, tilesX: Int,
                        firstTile t0: Int, count: Int, into v: UnsafeMutablePointer<Float>, panelStride: Int) {
        let scratch = UnsafeMutablePointer<Lanes>.allocate(capacity: 32)   // d and t below, no per-tile allocation
        defer { scratch.deallocate() }
        let d = scratch, t = scratch + 16
        for j0 in Swift.stride(from: 0, to: count, by: 16) {
            let lanes = min(16, count - j0), first = t0 + j0
            let (ty, tx) = (first / tilesX, first % tilesX)
            // Fast path: 16 tiles of one tile row, all inside: row r of their 4×4 patches is the
            // even/odd lanes of 32 consecutive floats at x and x + 2.
            let fast = lanes == 16 && tx + 16 <= tilesX && 2 * ty + 4 <= h && 2 * tx + 34 <= w
            let panel = v + (j0 / 32) * 32 * cin + j0 % 32
            for ci in 0..<cin {
                let plane = x + ci * h * w
                // d[r·4 + c]: input pixel (r, c) of each tile's 4×4 patch, one lane per tile
                if fast {
                    for r in 0..<4 {
                        let p = plane + (2 * ty + r) * w + 2 * tx
                        (d[4 * r], d[4 * r + 1]) = loadDeinterleaved(p)
                        (d[4 * r + 2], d[4 * r + 3]) = loadDeinterleaved(p + 2)
                    }
                } else {
                    for i in 0..<16 { d[i] = Lanes() }
                    for lane in 0..<lanes {
                        let tile = first + lane
                        let (y0, x0) = (2 * (tile / tilesX), 2 * (tile % tilesX))
                        for r in 0..<4 where y0 + r < h { for c in 0..<4 where x0 + c < w {
                            d[4 * r + c][lane] = plane[(y0 + r) * w + x0 + c]
                        } }
                    }
                }
                // Bᵀ d: combine rows; then · B: the same combination of columns.
                for c in 0..<4 {
                    t[c] = d[c] - d[8 + c]; t[4 + c] = d[4 + c] + d[8 + c]
                    t[8 + c] = d[8 + c] - d[4 + c]; t[12 + c] = d[4 + c] - d[12 + c]
                }
                let base = panel + ci * 32
                for r in 0..<4 {
                    let q = 4 * r
                    store(t[q] - t[q + 2], at: base + (q + 0) * panelStride)
                    store(t[q + 1] + t[q + 2], at: base + (q + 1) * panelStride)
                    store(t[q + 2] - t[q + 1], at: base + (q + 2) * panelStride)
                    store(t[q + 1] - t[q + 3], at: base + (q + 3) * panelStride)
                }
            }
        }
    }

    // Interleaving through 64-bit lanes: float pair (a[i], b[i]) is one UInt64 (little-endian),
    // so zero-extends, shifts and truncations do in a few vector instructions what SIMD32's
    // evenHalf/oddHalf accessors do lane by lane.

    /// (p[0], p[2], …, p[30]) and (p[1], p[3], …, p[31]).
    @inline(__always) static func loadDeinterleaved(_ p: UnsafePointer<Float>) -> (Lanes, Lanes) {
        let pairs = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt64>.self)
        let even = SIMD16<UInt32>(truncatingIfNeeded: pairs), odd = SIMD16<UInt32>(truncatingIfNeeded: pairs &>> 32)
        return (unsafeBitCast(even, to: Lanes.self), unsafeBitCast(odd, to: Lanes.self))
    }

    /// p[2i] = a[i], p[2i + 1] = b[i] for i in 0..<16.
    @inline(__always) static func storeInterleaved(_ a: Lanes, _ b: Lanes, to p: UnsafeMutablePointer<Float>) {
        let lo = SIMD16<UInt64>(truncatingIfNeeded: unsafeBitCast(a, to: SIMD16<UInt32>.self))
        let hi = SIMD16<UInt64>(truncatingIfNeeded: unsafeBitCast(b, to: SIMD16<UInt32>.self))
        UnsafeMutableRawPointer(p).storeBytes(of: lo | (hi &<< 32), as: SIMD16<UInt64>.self)
    }

    @inline(__always) static func store(_ x: Lanes, at p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: Lanes.self)
    }

    /// Y = Aᵀ M A (+ bias, ReLU) for each tile, 16 tiles at a time, Aᵀ = [[1, 1, 1, 0],
    /// [0, 1, −1, −1]], clipped at the output's right and bottom edges.
    public static func transformOutput(_ m: UnsafePointer<Float>, ldm: Int, matrixStride: Int, channels cout: Int, tilesX: Int,
                         firstTile t0: Int, count: Int, into out: UnsafeMutablePointer<Float>, height ho: Int, width wo: Int,
                         bias: UnsafePointer<Float>?, relu: Bool, quantize: QuantizeKernel.Quantization? = nil) {
        let scratch = UnsafeMutablePointer<Lanes>.allocate(capacity: 20)   // e and y below
        defer { scratch.deallocate() }
        let e = scratch, y = scratch + 16                                  // y00, y01, y10, y11
        for co in 0..<cout {
            let b = Lanes(repeating: bias?[co] ?? 0)
            let plane = out + co * ho * wo
            for j0 in Swift.stride(from: 0, to: count, by: 16) {
                let lanes = min(16, count - j0), first = t0 + j0
                for xi in 0..<16 { e[xi] = UnsafeRawPointer(m + xi * matrixStride + co * ldm + j0).loadUnaligned(as: Lanes.self) }
                let s0 = (e[0] + e[4] + e[8], e[1] + e[5] + e[9], e[2] + e[6] + e[10], e[3] + e[7] + e[11])
                let s1 = (e[4] - e[8] - e[12], e[5] - e[9] - e[13], e[6] - e[10] - e[14], e[7] - e[11] - e[15])
                y[0] = s0.0 + s0.1 + s0.2 + b; y[1] = s0.1 - s0.2 - s0.3 + b
                y[2] = s1.0 + s1.1 + s1.2 + b; y[3] = s1.1 - s1.2 - s1.3 + b
                if relu { for i in 0..<4 { y[i] = y[i].replacing(with: 0, where: y[i] .< 0) } }
                if let quantize {   // y's four vectors are 64 contiguous floats: one call, not four out of line
                    let f = UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self)
                    QuantizeKernel.fakeQuantize(f, into: f, count: 64, scale: quantize.scale, zeroPoint: quantize.zeroPoint)
                }
                let (ty, tx) = (first / tilesX, first % tilesX)
                if lanes == 16 && tx + 16 <= tilesX && 2 * ty + 2 <= ho && 2 * tx + 32 <= wo {
                    storeInterleaved(y[0], y[1], to: plane + 2 * ty * wo + 2 * tx)
                    storeInterleaved(y[2], y[3], to: plane + (2 * ty + 1) * wo + 2 * tx)
                } else {
                    for lane in 0..<lanes {
                        let tile = first + lane
                        let (oy, ox) = (2 * (tile / tilesX), 2 * (tile % tilesX))
                        for dy in 0..<2 where oy + dy < ho { for dx in 0..<2 where ox + dx < wo {
                            plane[(oy + dy) * wo + ox + dx] = y[2 * dy + dx][lane]
                        } }
                    }
                }
            }
        }
    }
}
