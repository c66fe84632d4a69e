import CPUFeatures
import Foundation
import TensorAVX2
import TensorAVX512

/// Packed single-precision matrix multiply, the engine behind convolution.
///
/// C (m×n) = A (m×k) · B (k×n), computed in register tiles of `GEMM.mr` rows × `GEMM.nr` columns.
/// Both operands are packed into panels first so the micro-kernel streams through memory:
///   A panels: for each block of mr rows, k consecutive groups of mr values  (a[kk*mr + i])
///   B panels: for each block of nr columns, k consecutive groups of nr values (b[kk*nr + j])
/// Rows or columns past the matrix edge are packed as zeros, so the kernel never branches on edges;
/// only the final store is clipped.
public enum GEMM {
    public static let mr = GEMMKernel.mr
    public static let nr = GEMMKernel.nr

    /// The instruction-set variants of the micro-kernel, widest last.
    public enum Variant: String, CaseIterable, Sendable {
        case portable, avx2, avx512
        /// Whether this CPU (and OS) can run the variant.
        public var isSupported: Bool {
            switch self {
            case .portable: return true
            case .avx2: return atelier_cpu_has_avx2_fma() != 0
            case .avx512: return atelier_cpu_has_avx512() != 0
            }
        }
    }

    /// The variant in use: the widest supported one, or `ATELIER_KERNELS=portable|avx2|avx512`
    /// when set (to compare variants; an unsupported choice falls back to the widest supported).
    nonisolated(unsafe) public static var variant: Variant = {
        let widest = Variant.allCases.last { $0.isSupported }!
        if let name = ProcessInfo.processInfo.environment["ATELIER_KERNELS"], let v = Variant(rawValue: name), v.isSupported { return v }
        return widest
    }()

    /// C = A·B (+ bias per row) (+ C when `accumulate`) with A packed by `packA` and B packed in
    /// panels (by `packB`); C is row-major with stride ldc.
    public static func multiplyPacked(m: Int, n: Int, k: Int,
                                      packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>,
                                      c: UnsafeMutablePointer<Float>, ldc: Int,
                                      bias: UnsafePointer<Float>? = nil, accumulate: Bool = false,
                                      variant: Variant = GEMM.variant) {
        switch variant {
        case .portable:
            GEMMKernel.multiplyPacked(m: m, n: n, k: k, packedA: packedA, packedB: packedB, c: c, ldc: ldc, bias: bias, accumulate: accumulate)
        case .avx2:
            TensorAVX2.GEMMKernel.multiplyPacked(m: m, n: n, k: k, packedA: packedA, packedB: packedB, c: c, ldc: ldc, bias: bias, accumulate: accumulate)
        case .avx512:
            TensorAVX512.GEMMKernel.multiplyPacked(m: m, n: n, k: k, packedA: packedA, packedB: packedB, c: c, ldc: ldc, bias: bias, accumulate: accumulate)
        }
    }

    /// C = A·B with A packed by `packA` and B in panels of 2·nr columns (row kk of panel p at
    /// p·2·nr·k + kk·2·nr); the AVX-512 build runs its 8×32 tile on full panels.
    public static func multiplyWidePanels(m: Int, n: Int, k: Int, packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>,
                                          c: UnsafeMutablePointer<Float>, ldc: Int, variant: Variant = GEMM.variant) {
        switch variant {
        case .portable:
            GEMMKernel.multiplyWidePanels(m: m, n: n, k: k, packedA: packedA, packedB: packedB, c: c, ldc: ldc)
        case .avx2:
            TensorAVX2.GEMMKernel.multiplyWidePanels(m: m, n: n, k: k, packedA: packedA, packedB: packedB, c: c, ldc: ldc)
        case .avx512:
            TensorAVX512.GEMMKernel.multiplyWidePanels(m: m, n: n, k: k, packedA: packedA, packedB: packedB, c: c, ldc: ldc)
        }
    }

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

    /// One output row of a stride-1 convolution without im2col: see `GEMMKernel.convolveRow`.
    public static func convolveRow(m: Int, n: Int, k: Int, packedA: UnsafePointer<Float>,
                                   input: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
                                   c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, relu: Bool = false,
                                   quantize: FakeQuantization? = nil,
                                   tail: UnsafeMutablePointer<Float>, variant: Variant = GEMM.variant) {
        let quantize = quantize?.kernelForm
        switch variant {
        case .portable:
            GEMMKernel.convolveRow(m: m, n: n, k: k, packedA: packedA, input: input, offsets: offsets, c: c, ldc: ldc, bias: bias, relu: relu, quantize: quantize, tail: tail)
        case .avx2:
            TensorAVX2.GEMMKernel.convolveRow(m: m, n: n, k: k, packedA: packedA, input: input, offsets: offsets, c: c, ldc: ldc, bias: bias, relu: relu, quantize: quantize, tail: tail)
        case .avx512:
            TensorAVX512.GEMMKernel.convolveRow(m: m, n: n, k: k, packedA: packedA, input: input, offsets: offsets, c: c, ldc: ldc, bias: bias, relu: relu, quantize: quantize, tail: tail)
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
