// Compiled three times, like GEMMKernel.swift: into `Tensor` (portable baseline) and, through
// symbolic links, into `TensorAVX2` and `TensorAVX512` (see Package.swift). `FMAPeak` (FMAPeak.swift)
// runs the variant the GEMM uses.

/// The loop that measures a core's float multiply-add rate: independent accumulators that live in
/// registers, so nothing but the FMA units limits it (no loads, no stores). Twelve chains cover
/// the FMA latency times the units (4 cycles × 2 units on current x86 cores) with room to spare;
/// each must be a single register: SIMD16 in a zmm, SIMD8 in a ymm (SIMD16 would be two ymm, and
/// 24 of them overflow AVX2's 16 registers), SIMD4 in an xmm on the SSE baseline.
public enum FMAPeakKernel {
    #if ATELIER_AVX512
    public typealias Vector = SIMD16<Float>
    #elseif ATELIER_FMA
    public typealias Vector = SIMD8<Float>
    #else
    public typealias Vector = SIMD4<Float>
    #endif

    /// Runs `iterations` rounds of 12 vector FMAs (2 · 12 · lanes FLOPs each); returns a value
    /// that depends on every accumulator, so the loop cannot be dropped.
    @inline(never)
    public static func run(iterations: Int, seed: Float) -> Float {
        typealias V = Vector
        let (a, b) = (V(repeating: 0.999_999), V(repeating: seed * 1e-7))
        var c0 = V(repeating: seed), c1 = c0 + 1, c2 = c0 + 2, c3 = c0 + 3, c4 = c0 + 4, c5 = c0 + 5
        var c6 = c0 + 6, c7 = c0 + 7, c8 = c0 + 8, c9 = c0 + 9, c10 = c0 + 10, c11 = c0 + 11
        for _ in 0..<iterations {
            c0 = fusedMultiplyAdd(b, c0, a); c1 = fusedMultiplyAdd(b, c1, a); c2 = fusedMultiplyAdd(b, c2, a)
            c3 = fusedMultiplyAdd(b, c3, a); c4 = fusedMultiplyAdd(b, c4, a); c5 = fusedMultiplyAdd(b, c5, a)
            c6 = fusedMultiplyAdd(b, c6, a); c7 = fusedMultiplyAdd(b, c7, a); c8 = fusedMultiplyAdd(b, c8, a)
            c9 = fusedMultiplyAdd(b, c9, a); c10 = fusedMultiplyAdd(b, c10, a); c11 = fusedMultiplyAdd(b, c11, a)
        }
        let sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11))
        return sum.sum()
    }

    /// FLOPs of one iteration of `run`.
    public static let flopsPerIteration = 2 * 12 * Vector.scalarCount
}
