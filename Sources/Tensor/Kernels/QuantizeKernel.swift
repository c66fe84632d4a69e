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

    /// A per-tensor int8 quantization's scale and zero point, as the kernels that apply it as
    /// they store their results take it (`FakeQuantization` outside the kernels).
    public typealias Quantization = (scale: Float, zeroPoint: Float)

    public static func fakeQuantize(_ src: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>, count: Int,
                                    scale: Float, zeroPoint: Float) {
        typealias V = Vector
        let (vs, vz) = (V(repeating: scale), V(repeating: zeroPoint))
        var i = 0
        while i + V.scalarCount <= count {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(d + i).storeBytes(of: fakeQuantized(v, scale: vs, zeroPoint: vz), as: V.self)
            i += V.scalarCount
        }
        while i < count {
            let v = src[i] / scale
            let q = v.isNaN ? zeroPoint : min(max((v + 12_582_912 - 12_582_912) + zeroPoint, -128), 127)
            d[i] = (q - zeroPoint) * scale
            i += 1
        }
    }

    /// `fakeQuantize` of one vector: the loop above, and the convolution kernels that quantize their
    /// results in registers as they store them (`quantize:` in GEMMKernel, WinogradKernel,
    /// DepthwiseKernel), so a quantized graph's conv → fakeQuant costs no pass of its own.
    ///
    /// Written for this build's concrete `Vector`, not as a generic function: inside a generic
    /// function the SIMD operators resolve to the stdlib's lane-by-lane generic forms, and
    /// specialization does not bring the concrete vector ones back (the transformer's fake
    /// quantization took 10× as long).
    @inline(__always)
    public static func fakeQuantized(_ x: Vector, scale: Vector, zeroPoint: Vector) -> Vector {
        typealias V = Vector
        let (lo, hi, big, magic) = (V(repeating: -128), V(repeating: 127), V(repeating: 4_194_304), V(repeating: 12_582_912))
        var v = x / scale
        v = v.replacing(with: V(repeating: 0), where: v .!= v)      // NaN → 0
        v = v.replacing(with: -big, where: v .< -big).replacing(with: big, where: v .> big)
        var q = (v + magic) - magic + zeroPoint
        q = q.replacing(with: lo, where: q .< lo).replacing(with: hi, where: q .> hi)
        return (q - zeroPoint) * scale
    }

    /// `fakeQuantized` of the sixteen lanes the GEMM and Winograd kernels store at a time, with the
    /// scale and zero point given as scalars: one `Vector` on AVX-512, two halves elsewhere (where a
    /// SIMD16 is two registers or four anyway).
    @inline(__always)
    static func fakeQuantized(_ x: SIMD16<Float>, _ q: Quantization) -> SIMD16<Float> {
        let (scale, zeroPoint) = (Vector(repeating: q.scale), Vector(repeating: q.zeroPoint))
        #if ATELIER_AVX512
        return fakeQuantized(x, scale: scale, zeroPoint: zeroPoint)
        #else
        return SIMD16(lowHalf: fakeQuantized(x.lowHalf, scale: scale, zeroPoint: zeroPoint),
                      highHalf: fakeQuantized(x.highHalf, scale: scale, zeroPoint: zeroPoint))
        #endif
    }
}
