// Compiled three times, like GEMMKernel.swift: into `Tensor` (portable baseline) and, through
// symbolic links, into `TensorAVX2` and `TensorAVX512` (see Package.swift). `fakeQuantize` picks
// the widest one the CPU supports: on the baseline target each SIMD8 division and compare is two
// SSE instructions, and fake quantization was a quarter of a Magenta stylization.

/// The loop of `fakeQuantize` (FakeQuantize.swift) over `count` floats, `src` may equal `d`.
///
/// Rounding uses the 1.5·2²³ trick, which rounds half to even in the default rounding mode for
/// |v| < 2²²: Swift's `.rounded(.toNearestOrEven)` on a vector compiled to one libm `rintf` call per
/// lane on a plain x86-64 target. Larger |v| saturate anyway, so v is clamped to ±2²² first. The
/// division stays a division (ONNX's QuantizeLinear divides; a reciprocal would move ties).
public enum QuantizeKernel {
    #if ATELIER_AVX512
    public typealias Vector = SIMD16<Float>
    #else
    /// Eight lanes: with sixteen the six constants alone filled the sixteen SSE registers.
    public typealias Vector = SIMD8<Float>
    #endif

    public static func fakeQuantize(_ src: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>, count: Int,
                                    scale: Float, zeroPoint: Float) {
        typealias V = Vector
        let (vs, vz) = (V(repeating: scale), V(repeating: zeroPoint))
        let (lo, hi, big, magic) = (V(repeating: -128), V(repeating: 127), V(repeating: 4_194_304), V(repeating: 12_582_912))
        var i = 0
        while i + V.scalarCount <= count {
            var v = UnsafeRawPointer(src + i).loadUnaligned(as: V.self) / vs
            v = v.replacing(with: V(repeating: 0), where: v .!= v)      // NaN → 0
            v = v.replacing(with: -big, where: v .< -big).replacing(with: big, where: v .> big)
            var q = (v + magic) - magic + vz
            q = q.replacing(with: lo, where: q .< lo).replacing(with: hi, where: q .> hi)
            UnsafeMutableRawPointer(d + i).storeBytes(of: (q - vz) * vs, as: V.self)
            i += V.scalarCount
        }
        while i < count {
            let v = src[i] / scale
            let q = v.isNaN ? zeroPoint : min(max((v + 12_582_912 - 12_582_912) + zeroPoint, -128), 127)
            d[i] = (q - zeroPoint) * scale
            i += 1
        }
    }
}
