// Compiled three times, like GEMMKernel.swift: into `Tensor` (portable baseline) and, through
// symbolic links, into `TensorAVX2` and `TensorAVX512` (see Package.swift).
// `ConvWeightGradient` picks the widest one the CPU supports.

/// ∂L/∂w of a stride-1 convolution with at most four output channels, as plain correlations:
///
///   gw[co · gwStride + t] += Σ_{oy, ox} gy[co, oy, ox] · x[tapOffset[t] + oy·W + ox]
///
/// for the taps t = (ci·KH + ky)·KW + kx in `taps`, tapOffset[t] = (ci·H + ky)·W + kx. The packed
/// GEMM path gathers every receptive field into a panel first; with Cout = 3 (an RGB output layer)
/// that gather is ~Cin·KH·KW floats per pixel for 3 multiplies each, and dominated. Here each
/// pass takes two taps against the four gy rows: 8 SIMD8 accumulators, 4 gy and 2 x vectors
/// in registers, 8 multiply-adds per 6 loads. Output channels past `outputs` read `zeros`.
public enum CorrelationKernel {
    public typealias Vector = SIMD8<Float>
    public static let maxOutputs = 4

    /// `gy`: [outputs, ho, wo] of one image; `x`: one image's input planes (row stride `inputWidth`);
    /// `zeros`: at least `wo` zeros.
    public static func fewOutputWeightGradient(outputs cout: Int, gy: UnsafePointer<Float>, outputHeight ho: Int, outputWidth wo: Int,
                                               x: UnsafePointer<Float>, inputWidth w: Int, tapOffsets: UnsafePointer<Int>,
                                               taps: Range<Int>, zeros: UnsafePointer<Float>,
                                               into gw: UnsafeMutablePointer<Float>, gwStride: Int) {
        precondition(cout >= 1 && cout <= maxOutputs)
        let full = wo / Vector.scalarCount * Vector.scalarCount
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }
        var t = taps.lowerBound
        while t < taps.upperBound {
            let second = t + 1 < taps.upperBound   // an odd last tap: the second lane repeats the first and is dropped
            let (oa, ob) = (tapOffsets[t], tapOffsets[second ? t + 1 : t])
            var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector()
            var b0 = Vector(), b1 = Vector(), b2 = Vector(), b3 = Vector()
            var sa: (Float, Float, Float, Float) = (0, 0, 0, 0), sb: (Float, Float, Float, Float) = (0, 0, 0, 0)
            for oy in 0..<ho {
                let r0 = gy + oy * wo
                let r1 = cout > 1 ? r0 + ho * wo : zeros, r2 = cout > 2 ? r0 + 2 * ho * wo : zeros, r3 = cout > 3 ? r0 + 3 * ho * wo : zeros
                let xa = x + oa + oy * w, xb = x + ob + oy * w
                var ox = 0
                while ox < full {
                    let g0 = load(r0 + ox), g1 = load(r1 + ox), g2 = load(r2 + ox), g3 = load(r3 + ox)
                    let va = load(xa + ox), vb = load(xb + ox)
                    a0 = fusedMultiplyAdd(a0, g0, va); a1 = fusedMultiplyAdd(a1, g1, va)
                    a2 = fusedMultiplyAdd(a2, g2, va); a3 = fusedMultiplyAdd(a3, g3, va)
                    b0 = fusedMultiplyAdd(b0, g0, vb); b1 = fusedMultiplyAdd(b1, g1, vb)
                    b2 = fusedMultiplyAdd(b2, g2, vb); b3 = fusedMultiplyAdd(b3, g3, vb)
                    ox += Vector.scalarCount
                }
                while ox < wo {
                    let (va, vb) = (xa[ox], xb[ox])
                    sa.0 += r0[ox] * va; sa.1 += r1[ox] * va; sa.2 += r2[ox] * va; sa.3 += r3[ox] * va
                    sb.0 += r0[ox] * vb; sb.1 += r1[ox] * vb; sb.2 += r2[ox] * vb; sb.3 += r3[ox] * vb
                    ox += 1
                }
            }
            @inline(__always) func add(_ sums: (Float, Float, Float, Float), tap: Int) {
                gw[tap] += sums.0
                if cout > 1 { gw[gwStride + tap] += sums.1 }
                if cout > 2 { gw[2 * gwStride + tap] += sums.2 }
                if cout > 3 { gw[3 * gwStride + tap] += sums.3 }
            }
            add((a0.sum() + sa.0, a1.sum() + sa.1, a2.sum() + sa.2, a3.sum() + sa.3), tap: t)
            if second { add((b0.sum() + sb.0, b1.sum() + sb.1, b2.sum() + sb.2, b3.sum() + sb.3), tap: t + 1) }
            t += 2
        }
    }
}
