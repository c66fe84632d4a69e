// This file is compiled three times: into `Tensor` for the portable baseline, and through
// symbolic links into `TensorAVX2` and `TensorAVX512` with wider `-target-cpu` settings (see
// Package.swift). `GEMM.multiplyPacked` picks the widest one the CPU supports at run time.

/// The register-tiled inner loop of the packed GEMM (layout described in GEMM.swift).
public enum GEMMKernel {
    public static let mr = 8
    public static let nr = 16
    public typealias Vector = SIMD16<Float>

    /// Where the micro-kernel finds row kk of its B tile (nr consecutive floats).
    protocol BRows {
        func row(_ kk: Int) -> UnsafeRawPointer
    }

    /// B packed in a panel: row kk at kk·nr.
    struct PanelRows: BRows {
        let base: UnsafePointer<Float>
        @inline(__always) func row(_ kk: Int) -> UnsafeRawPointer { UnsafeRawPointer(base + kk * nr) }
    }

    /// B read in place from a convolution's input ("implicit GEMM"): row kk = (ci, ky, kx) of the
    /// im2col matrix, for nr consecutive output pixels of one output row, starts at offsets[kk].
    struct InputRows: BRows {
        let base: UnsafePointer<Float>
        let offsets: UnsafePointer<Int>
        @inline(__always) func row(_ kk: Int) -> UnsafeRawPointer { UnsafeRawPointer(base + offsets[kk]) }
    }

    /// B packed in panels twice as wide: row kk of a panel is 2·nr floats at kk·2·nr (the
    /// Winograd transform writes its tiles this way, so AVX-512 can use the wide tile).
    struct WidePanelRows: BRows {
        let base: UnsafePointer<Float>
        @inline(__always) func row(_ kk: Int) -> UnsafeRawPointer { UnsafeRawPointer(base + kk * 2 * nr) }
    }

    /// Rows of the mr×nr tile that one pass over k accumulates: as many as fit the vector
    /// registers beside the B row and a broadcast. One row of the tile is a SIMD16, i.e. one zmm
    /// (AVX-512, 32 registers: all 8 rows), two ymm (AVX2, 16 registers: 4 rows, 8 accumulators)
    /// or four xmm (SSE, 16 registers: 2 rows). The AVX2 build ran all 8 rows in one pass before:
    /// 16 accumulators + 2 B halves + 1 broadcast in 16 ymm, so three accumulators lived on the
    /// stack and the loop shuffled registers (objdump of the release build); direct convolution
    /// ran at about 40 GFLOP/s on one core.
    #if ATELIER_AVX512
    static let rowsPerPass = 8
    #elseif ATELIER_FMA
    static let rowsPerPass = 4
    #else
    static let rowsPerPass = 2
    #endif

    /// Bias, ReLU and quantization of a stored tile's `rows` × `vectors` Vectors, while it is in L1.
    /// A pass of its own, not in the kernels' stores: written there eight or sixteen times over,
    /// the code outgrew the inliner, and each row's store became a call that passed its vectors
    /// in xmm pieces and called the quantization out of line again (the 1×1 layers of Magenta's
    /// predictor on 64² and 128² maps ran at 20% of peak with quantization, 50% without).
    @inline(never)
    static func finishTile(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, vectors: Int,
                           bias: UnsafePointer<Float>?, relu: Bool, quantize: QuantizeKernel.Quantization?) {
        guard bias != nil || relu || quantize != nil else { return }
        let step = nr * MemoryLayout<Float>.stride
        for i in 0..<rows {
            let row = c + i * ldc
            let bv = bias.map { Vector(repeating: $0[i]) } ?? Vector()
            for q in 0..<vectors {
                var x = UnsafeRawPointer(row).loadUnaligned(fromByteOffset: q * step, as: Vector.self) + bv
                if relu { x = x.replacing(with: 0, where: x .< 0) }
                #if ATELIER_AVX512
                if let quantize { x = QuantizeKernel.fakeQuantized(x, quantize) }   // one zmm: inlined here
                #endif
                UnsafeMutableRawPointer(row).storeBytes(of: x, toByteOffset: q * step, as: Vector.self)
            }
            #if !ATELIER_AVX512
            // Elsewhere the quantization's own loop, in its width: a SIMD16 passed to it went out
            // of line in xmm pieces.
            if let quantize { QuantizeKernel.fakeQuantize(row, into: row, count: vectors * nr, scale: quantize.scale, zeroPoint: quantize.zeroPoint) }
            #endif
        }
    }

    /// C[i][j] (+)= Σ_kk A[i][kk]·B[kk][j] for one mr×nr tile, from one A panel and B rows.
    /// Only the top-left `rows`×`cols` of the tile is stored. `bias[i]` (if given) starts the sum.
    /// The tile's rows are computed `rowsPerPass` at a time (each pass reads the B rows again).
    @inline(__always)
    static func microKernel<B: BRows>(k: Int, a: UnsafePointer<Float>, b: B,
                                      c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                                      bias: UnsafePointer<Float>?, accumulate: Bool, relu: Bool = false,
                                      quantize: QuantizeKernel.Quantization? = nil) {
        // Stores: whole vectors of raw sums when the tile is full (then `finishTile`), element by
        // element at the edges and when accumulating into C.
        let full = cols == nr && !accumulate
        @inline(__always) func store(_ acc: Vector, _ i: Int) {
            guard i < rows else { return }
            if full { UnsafeMutableRawPointer(c + i * ldc).storeBytes(of: acc, as: Vector.self); return }
            storeEdge(acc, i)
        }
        @inline(never) func storeEdge(_ acc: Vector, _ i: Int) {
            var v = acc
            if let bias { v += Vector(repeating: bias[i]) }
            if relu { v = v.replacing(with: 0, where: v .< 0) }
            if let quantize { v = QuantizeKernel.fakeQuantized(v, quantize) }
            let row = c + i * ldc
            if cols == nr {
                if accumulate { v += UnsafeRawPointer(row).loadUnaligned(as: Vector.self) }
                UnsafeMutableRawPointer(row).storeBytes(of: v, as: Vector.self)
            } else {
                for j in 0..<cols { row[j] = accumulate ? row[j] + v[j] : v[j] }
            }
        }
        // `rowsPerPass` is a constant of each build, so the unused accumulators compile away.
        var first = 0
        while first < rows {
            var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector()
            var c4 = Vector(), c5 = Vector(), c6 = Vector(), c7 = Vector()
            var pa = a + first
            for kk in 0..<k {
                let bv = b.row(kk).loadUnaligned(as: Vector.self)
                c0 = fusedMultiplyAdd(c0, Vector(repeating: pa[0]), bv)
                c1 = fusedMultiplyAdd(c1, Vector(repeating: pa[1]), bv)
                if rowsPerPass > 2 {
                    c2 = fusedMultiplyAdd(c2, Vector(repeating: pa[2]), bv)
                    c3 = fusedMultiplyAdd(c3, Vector(repeating: pa[3]), bv)
                }
                if rowsPerPass > 4 {
                    c4 = fusedMultiplyAdd(c4, Vector(repeating: pa[4]), bv)
                    c5 = fusedMultiplyAdd(c5, Vector(repeating: pa[5]), bv)
                    c6 = fusedMultiplyAdd(c6, Vector(repeating: pa[6]), bv)
                    c7 = fusedMultiplyAdd(c7, Vector(repeating: pa[7]), bv)
                }
                pa += mr
            }
            store(c0, first); store(c1, first + 1)
            if rowsPerPass > 2 { store(c2, first + 2); store(c3, first + 3) }
            if rowsPerPass > 4 { store(c4, first + 4); store(c5, first + 5); store(c6, first + 6); store(c7, first + 7) }
            first += rowsPerPass
        }
        if full { finishTile(c, ldc: ldc, rows: rows, vectors: 1, bias: bias, relu: relu, quantize: quantize) }
    }

    #if ATELIER_AVX512
    /// The AVX-512 build's wider tile: mr rows × 2·nr columns (16 zmm accumulators, two B loads
    /// and eight broadcasts per k for 16 FMAs, so the FMA units rather than the loads set the
    /// pace). Full tiles only; `cols` may cut the second half short.
    @inline(__always)
    static func microKernelWide<B: BRows>(k: Int, a: UnsafePointer<Float>, b: B,
                                          c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int,
                                          bias: UnsafePointer<Float>?, relu: Bool, quantize: QuantizeKernel.Quantization? = nil) {
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector()
        var c4 = Vector(), c5 = Vector(), c6 = Vector(), c7 = Vector()
        var d0 = Vector(), d1 = Vector(), d2 = Vector(), d3 = Vector()
        var d4 = Vector(), d5 = Vector(), d6 = Vector(), d7 = Vector()
        var pa = a
        for kk in 0..<k {
            let row = b.row(kk)
            let b0 = row.loadUnaligned(as: Vector.self)
            let b1 = row.loadUnaligned(fromByteOffset: nr * MemoryLayout<Float>.stride, as: Vector.self)
            var av = Vector(repeating: pa[0]); c0 = fusedMultiplyAdd(c0, av, b0); d0 = fusedMultiplyAdd(d0, av, b1)
            av = Vector(repeating: pa[1]); c1 = fusedMultiplyAdd(c1, av, b0); d1 = fusedMultiplyAdd(d1, av, b1)
            av = Vector(repeating: pa[2]); c2 = fusedMultiplyAdd(c2, av, b0); d2 = fusedMultiplyAdd(d2, av, b1)
            av = Vector(repeating: pa[3]); c3 = fusedMultiplyAdd(c3, av, b0); d3 = fusedMultiplyAdd(d3, av, b1)
            av = Vector(repeating: pa[4]); c4 = fusedMultiplyAdd(c4, av, b0); d4 = fusedMultiplyAdd(d4, av, b1)
            av = Vector(repeating: pa[5]); c5 = fusedMultiplyAdd(c5, av, b0); d5 = fusedMultiplyAdd(d5, av, b1)
            av = Vector(repeating: pa[6]); c6 = fusedMultiplyAdd(c6, av, b0); d6 = fusedMultiplyAdd(d6, av, b1)
            av = Vector(repeating: pa[7]); c7 = fusedMultiplyAdd(c7, av, b0); d7 = fusedMultiplyAdd(d7, av, b1)
            pa += mr
        }
        @inline(__always) func store(_ lo: Vector, _ hi: Vector, _ i: Int) {
            guard i < rows else { return }
            let row = UnsafeMutableRawPointer(c + i * ldc)
            row.storeBytes(of: lo, as: Vector.self)
            row.storeBytes(of: hi, toByteOffset: nr * MemoryLayout<Float>.stride, as: Vector.self)
        }
        store(c0, d0, 0); store(c1, d1, 1); store(c2, d2, 2); store(c3, d3, 3)
        store(c4, d4, 4); store(c5, d5, 5); store(c6, d6, 6); store(c7, d7, 7)
        finishTile(c, ldc: ldc, rows: rows, vectors: 2, bias: bias, relu: relu, quantize: quantize)
    }

    /// The AVX-512 tile for a panel of at most 4 rows (a layer with 3 output channels, the last
    /// panel of 11): 4 rows × 4·nr columns, 16 accumulators, four B loads and four broadcasts per
    /// k. `microKernelWide` there would spend 8 rows of FMAs on 3 (37% useful); this one 75% for 3
    /// rows, all of them for 4. Full tiles only.
    @inline(__always)
    static func microKernelShort<B: BRows>(k: Int, a: UnsafePointer<Float>, b: B,
                                           c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int,
                                           bias: UnsafePointer<Float>?, relu: Bool, quantize: QuantizeKernel.Quantization? = nil) {
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector()
        var d0 = Vector(), d1 = Vector(), d2 = Vector(), d3 = Vector()
        var e0 = Vector(), e1 = Vector(), e2 = Vector(), e3 = Vector()
        var f0 = Vector(), f1 = Vector(), f2 = Vector(), f3 = Vector()
        var pa = a
        let step = nr * MemoryLayout<Float>.stride
        for kk in 0..<k {
            let row = b.row(kk)
            let b0 = row.loadUnaligned(as: Vector.self), b1 = row.loadUnaligned(fromByteOffset: step, as: Vector.self)
            let b2 = row.loadUnaligned(fromByteOffset: 2 * step, as: Vector.self), b3 = row.loadUnaligned(fromByteOffset: 3 * step, as: Vector.self)
            var av = Vector(repeating: pa[0])
            c0 = fusedMultiplyAdd(c0, av, b0); d0 = fusedMultiplyAdd(d0, av, b1); e0 = fusedMultiplyAdd(e0, av, b2); f0 = fusedMultiplyAdd(f0, av, b3)
            av = Vector(repeating: pa[1])
            c1 = fusedMultiplyAdd(c1, av, b0); d1 = fusedMultiplyAdd(d1, av, b1); e1 = fusedMultiplyAdd(e1, av, b2); f1 = fusedMultiplyAdd(f1, av, b3)
            av = Vector(repeating: pa[2])
            c2 = fusedMultiplyAdd(c2, av, b0); d2 = fusedMultiplyAdd(d2, av, b1); e2 = fusedMultiplyAdd(e2, av, b2); f2 = fusedMultiplyAdd(f2, av, b3)
            av = Vector(repeating: pa[3])
            c3 = fusedMultiplyAdd(c3, av, b0); d3 = fusedMultiplyAdd(d3, av, b1); e3 = fusedMultiplyAdd(e3, av, b2); f3 = fusedMultiplyAdd(f3, av, b3)
            pa += mr
        }
        @inline(__always) func store(_ v0: Vector, _ v1: Vector, _ v2: Vector, _ v3: Vector, _ i: Int) {
            guard i < rows else { return }
            let row = UnsafeMutableRawPointer(c + i * ldc)
            row.storeBytes(of: v0, as: Vector.self); row.storeBytes(of: v1, toByteOffset: step, as: Vector.self)
            row.storeBytes(of: v2, toByteOffset: 2 * step, as: Vector.self); row.storeBytes(of: v3, toByteOffset: 3 * step, as: Vector.self)
        }
        store(c0, d0, e0, f0, 0); store(c1, d1, e1, f1, 1); store(c2, d2, e2, f2, 2); store(c3, d3, e3, f3, 3)
        finishTile(c, ldc: ldc, rows: rows, vectors: 4, bias: bias, relu: relu, quantize: quantize)
    }
    #endif

    /// C = A·B (+ bias) (+ C): see `GEMM.multiplyPacked`, which dispatches here.
    public static func multiplyPacked(m: Int, n: Int, k: Int,
                                      packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>,
                                      c: UnsafeMutablePointer<Float>, ldc: Int,
                                      bias: UnsafePointer<Float>? = nil, accumulate: Bool = false) {
        for j0 in stride(from: 0, to: n, by: nr) {
            let bPanel = packedB + (j0 / nr) * nr * k
            for i0 in stride(from: 0, to: m, by: mr) {
                microKernel(k: k, a: packedA + (i0 / mr) * mr * k, b: PanelRows(base: bPanel),
                            c: c + i0 * ldc + j0, ldc: ldc,
                            rows: min(mr, m - i0), cols: min(nr, n - j0),
                            bias: bias.map { $0 + i0 }, accumulate: accumulate)
            }
        }
    }

    /// C = A·B with B in panels of 2·nr columns (`WidePanelRows`); C row-major with stride ldc.
    public static func multiplyWidePanels(m: Int, n: Int, k: Int, packedA: UnsafePointer<Float>,
                                          packedB: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for j0 in stride(from: 0, to: n, by: 2 * nr) {
            let panel = packedB + (j0 / (2 * nr)) * 2 * nr * k
            let cols = min(2 * nr, n - j0)
            for i0 in stride(from: 0, to: m, by: mr) {
                let a = packedA + (i0 / mr) * mr * k, rows = min(mr, m - i0), tile = c + i0 * ldc + j0
                #if ATELIER_AVX512
                if cols == 2 * nr {
                    microKernelWide(k: k, a: a, b: WidePanelRows(base: panel), c: tile, ldc: ldc, rows: rows, bias: nil, relu: false)
                    continue
                }
                #endif
                microKernel(k: k, a: a, b: WidePanelRows(base: panel), c: tile, ldc: ldc, rows: rows, cols: min(nr, cols),
                            bias: nil, accumulate: false)
                if cols > nr {
                    microKernel(k: k, a: a, b: WidePanelRows(base: panel + nr), c: tile + nr, ldc: ldc, rows: rows, cols: cols - nr,
                                bias: nil, accumulate: false)
                }
            }
        }
    }

    /// One output row of a stride-1 convolution by implicit GEMM: for j in 0..<n,
    ///   C[i][j] = bias[i] + Σ_kk A[i][kk] · input[offsets[kk] + j]   (then max(·, 0) if `relu`)
    /// where kk = (ci, ky, kx) and offsets[kk] = ci·H·W + ky·W + kx, `input` pointing at the
    /// output row's top-left input pixel. Full blocks read the input in place; the last partial
    /// block is copied into `tail` (k·nr floats) first, so nothing past the row's end is read.
    public static func convolveRow(m: Int, n: Int, k: Int, packedA: UnsafePointer<Float>,
                                   input: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
                                   c: UnsafeMutablePointer<Float>, ldc: Int,
                                   bias: UnsafePointer<Float>?, relu: Bool, quantize: QuantizeKernel.Quantization? = nil,
                                   tail: UnsafeMutablePointer<Float>) {
        // Weight panel outermost: one mr-row panel (k·mr floats) stays in L2 while the row's
        // inputs stream past it; with the pixel loop outermost, VGG's 512×4608 weights (9 MB)
        // would be re-read from memory for every 32 pixels.
        #if ATELIER_AVX512
        let wideEnd = n / (2 * nr) * (2 * nr)
        #else
        let wideEnd = 0
        #endif
        let fullEnd = wideEnd + (n - wideEnd) / nr * nr
        for i0 in stride(from: 0, to: m, by: mr) {
            let a = packedA + (i0 / mr) * mr * k, rows = min(mr, m - i0), rowBias = bias.map { $0 + i0 }
            var j0 = 0
            #if ATELIER_AVX512
            if rows <= 4 {
                while j0 + 4 * nr <= wideEnd {
                    microKernelShort(k: k, a: a, b: InputRows(base: input + j0, offsets: offsets), c: c + i0 * ldc + j0, ldc: ldc,
                                     rows: rows, bias: rowBias, relu: relu, quantize: quantize)
                    j0 += 4 * nr
                }
            }
            while j0 < wideEnd {
                microKernelWide(k: k, a: a, b: InputRows(base: input + j0, offsets: offsets), c: c + i0 * ldc + j0, ldc: ldc,
                                rows: rows, bias: rowBias, relu: relu, quantize: quantize)
                j0 += 2 * nr
            }
            #endif
            while j0 < fullEnd {
                microKernel(k: k, a: a, b: InputRows(base: input + j0, offsets: offsets), c: c + i0 * ldc + j0, ldc: ldc,
                            rows: rows, cols: nr, bias: rowBias, accumulate: false, relu: relu, quantize: quantize)
                j0 += nr
            }
        }
        let j0 = fullEnd
        guard j0 < n else { return }
        let cols = n - j0
        for kk in 0..<k {
            let src = input + offsets[kk] + j0, dst = tail + kk * nr
            for j in 0..<cols { dst[j] = src[j] }
            for j in cols..<nr { dst[j] = 0 }
        }
        for i0 in stride(from: 0, to: m, by: mr) {
            microKernel(k: k, a: packedA + (i0 / mr) * mr * k, b: PanelRows(base: tail), c: c + i0 * ldc + j0, ldc: ldc,
                        rows: min(mr, m - i0), cols: cols, bias: bias.map { $0 + i0 }, accumulate: false, relu: relu, quantize: quantize)
        }
    }
}

/// acc + a·b lane by lane; a fused multiply-add where the build targets a CPU that has one (see
/// Package.swift). Shared by the kernels compiled per instruction set (GEMM, correlation).
@inline(__always)
func fusedMultiplyAdd<V: SIMD>(_ acc: V, _ a: V, _ b: V) -> V where V.Scalar: FloatingPoint {
    #if ATELIER_FMA
    return acc.addingProduct(a, b)
    #else
    return acc + a * b
    #endif
}
