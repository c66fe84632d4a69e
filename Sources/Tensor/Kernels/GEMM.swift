/// Packed single-precision matrix multiply, the engine behind convolution.
///
/// C (m×n) = A (m×k) · B (k×n), computed in register tiles of `GEMM.mr` rows × `GEMM.nr` columns.
/// Both operands are packed into panels first so the micro-kernel streams through memory:
///   A panels: for each block of mr rows, k consecutive groups of mr values  (a[kk*mr + i])
///   B panels: for each block of nr columns, k consecutive groups of nr values (b[kk*nr + j])
/// Rows or columns past the matrix edge are packed as zeros, so the kernel never branches on edges;
/// only the final store is clipped.
public enum GEMM {
    public static let mr = 8
    public static let nr = 16
    public typealias Vector = SIMD16<Float>

    /// Number of floats `packA` writes for an m×k matrix.
    public static func packedASize(m: Int, k: Int) -> Int { (m + mr - 1) / mr * mr * k }
    /// Number of floats a B panel buffer needs for a k×n matrix.
    public static func packedBSize(k: Int, n: Int) -> Int { (n + nr - 1) / nr * nr * k }

    /// Packs row-major A (m×k, row stride lda) into mr-row panels.
    public static func packA(_ a: UnsafePointer<Float>, m: Int, k: Int, lda: Int, into dst: UnsafeMutablePointer<Float>) {
        var out = dst
        for i0 in stride(from: 0, to: m, by: mr) {
            for kk in 0..<k {
                for i in 0..<mr {
                    out[i] = i0 + i < m ? a[(i0 + i) * lda + kk] : 0
                }
                out += mr
            }
        }
    }

    /// C[i][j] (+)= Σ_kk A[i][kk]·B[kk][j] for one mr×nr tile, from one A panel and one B panel.
    /// Only the top-left `rows`×`cols` of the tile is stored. `bias[i]` (if given) starts the sum.
    @inline(__always)
    static func microKernel(k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                            c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                            bias: UnsafePointer<Float>?, accumulate: Bool) {
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector()
        var c4 = Vector(), c5 = Vector(), c6 = Vector(), c7 = Vector()
        var pa = a, pb = UnsafeRawPointer(b)
        for _ in 0..<k {
            let bv = pb.loadUnaligned(as: Vector.self)
            c0 = madd(c0, Vector(repeating: pa[0]), bv)
            c1 = madd(c1, Vector(repeating: pa[1]), bv)
            c2 = madd(c2, Vector(repeating: pa[2]), bv)
            c3 = madd(c3, Vector(repeating: pa[3]), bv)
            c4 = madd(c4, Vector(repeating: pa[4]), bv)
            c5 = madd(c5, Vector(repeating: pa[5]), bv)
            c6 = madd(c6, Vector(repeating: pa[6]), bv)
            c7 = madd(c7, Vector(repeating: pa[7]), bv)
            pa += mr
            pb += nr * MemoryLayout<Float>.stride
        }
        // Stores: whole vectors when the tile is full, element by element at the edges.
        @inline(__always) func store(_ acc: Vector, _ i: Int) {
            guard i < rows else { return }
            var v = acc
            if let bias { v += Vector(repeating: bias[i]) }
            let row = c + i * ldc
            if cols == nr {
                if accumulate { v += UnsafeRawPointer(row).loadUnaligned(as: Vector.self) }
                UnsafeMutableRawPointer(row).storeBytes(of: v, as: Vector.self)
            } else {
                for j in 0..<cols { row[j] = accumulate ? row[j] + v[j] : v[j] }
            }
        }
        store(c0, 0); store(c1, 1); store(c2, 2); store(c3, 3)
        store(c4, 4); store(c5, 5); store(c6, 6); store(c7, 7)
    }

    /// acc + a·b; a fused multiply-add where the build targets a CPU that has one (see Package.swift).
    @inline(__always)
    static func madd(_ acc: Vector, _ a: Vector, _ b: Vector) -> Vector {
        #if ATELIER_FMA
        return acc.addingProduct(a, b)
        #else
        return acc + a * b
        #endif
    }

    /// C = A·B (+ bias per row) (+ C when `accumulate`) with A already packed by `packA` and
    /// B packed in panels (see `Im2Col.pack` or `packB`). C is row-major with stride ldc.
    public static func multiplyPacked(m: Int, n: Int, k: Int,
                                      packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>,
                                      c: UnsafeMutablePointer<Float>, ldc: Int,
                                      bias: UnsafePointer<Float>? = nil, accumulate: Bool = false) {
        for j0 in stride(from: 0, to: n, by: nr) {
            let bPanel = packedB + (j0 / nr) * nr * k
            for i0 in stride(from: 0, to: m, by: mr) {
                microKernel(k: k, a: packedA + (i0 / mr) * mr * k, b: bPanel,
                            c: c + i0 * ldc + j0, ldc: ldc,
                            rows: min(mr, m - i0), cols: min(nr, n - j0),
                            bias: bias.map { $0 + i0 }, accumulate: accumulate)
            }
        }
    }

    /// Packs row-major B (k×n, row stride ldb) into nr-column panels.
    public static func packB(_ b: UnsafePointer<Float>, k: Int, n: Int, ldb: Int, into dst: UnsafeMutablePointer<Float>) {
        for j0 in stride(from: 0, to: n, by: nr) {
            let panel = dst + (j0 / nr) * nr * k
            let cols = min(nr, n - j0)
            for kk in 0..<k {
                let src = b + kk * ldb + j0
                let out = panel + kk * nr
                for j in 0..<cols { out[j] = src[j] }
                for j in cols..<nr { out[j] = 0 }
            }
        }
    }

    /// Plain C = A·B with row-major operands: the reference the packed path is tested against.
    public static func reference(m: Int, n: Int, k: Int, a: [Float], b: [Float]) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s: Float = 0
                for kk in 0..<k { s += a[i * k + kk] * b[kk * n + j] }
                c[i * n + j] = s
            }
        }
        return c
    }
}
