import TensorAVX2
import TensorAVX512

/// int8 quantization and dequantization in one pass (ONNX QuantizeLinear then DequantizeLinear,
/// per tensor): x ↦ (clamp(round_half_even(x / scale) + zeroPoint, −128, 127) − zeroPoint) · scale.
/// A NaN becomes the zero point's value (0); ±∞ saturate. The loop is `QuantizeKernel`'s, in the
/// widest instruction set the CPU has; chunks run on the workers.
public func fakeQuantize(_ x: Tensor, scale: Float, zeroPoint: Float) -> Tensor {
    var out = Tensor(uninitialized: x.shape)
    out.withUnsafeMutableBufferPointer { d in
        x.withUnsafeBufferPointer { src in fakeQuantize(src.baseAddress!, into: d.baseAddress!, count: d.count, scale: scale, zeroPoint: zeroPoint) }
    }
    return out
}

/// A per-tensor QuantizeLinear/DequantizeLinear pair's parameters, for the convolutions that apply
/// `fakeQuantize` to their results as they store them (`Conv2D`, `depthwiseConv2d`: `quantize:`).
public struct FakeQuantization: Sendable, Equatable {
    public var scale: Float, zeroPoint: Float
    public init(scale: Float, zeroPoint: Float) { (self.scale, self.zeroPoint) = (scale, zeroPoint) }
    /// The form the kernels of every instruction set take.
    var kernelForm: (scale: Float, zeroPoint: Float) { (scale, zeroPoint) }
}

/// `fakeQuantize` over `x`'s own storage (copied first only if it is shared): a graph whose value
/// has no other reader saves a buffer and a stream of stores.
public func fakeQuantizeInPlace(_ x: inout Tensor, scale: Float, zeroPoint: Float) {
    x.withUnsafeMutableBufferPointer { p in fakeQuantize(p.baseAddress!, into: p.baseAddress!, count: p.count, scale: scale, zeroPoint: zeroPoint) }
}

private func fakeQuantize(_ src: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>, count: Int, scale: Float, zeroPoint: Float) {
    let variant = GEMM.variant
    Parallel.forEachChunk(of: count) { range in
        let (s, o, n) = (src + range.lowerBound, d + range.lowerBound, range.count)
        switch variant {
        case .portable: QuantizeKernel.fakeQuantize(s, into: o, count: n, scale: scale, zeroPoint: zeroPoint)
        case .avx2: TensorAVX2.QuantizeKernel.fakeQuantize(s, into: o, count: n, scale: scale, zeroPoint: zeroPoint)
        case .avx512: TensorAVX512.QuantizeKernel.fakeQuantize(s, into: o, count: n, scale: scale, zeroPoint: zeroPoint)
        }
    }
}

/// The textbook form of one value of `fakeQuantize`.
public func fakeQuantizeReference(_ x: Float, scale: Float, zeroPoint: Float) -> Float {
    let v = x / scale
    if v.isNaN { return 0 }
    let q = min(max(v.rounded(.toNearestOrEven) + zeroPoint, -128), 127)
    return (q - zeroPoint) * scale
}

/// min(max(x, lo), hi), sixteen lanes at a time (ReLU is lo = 0, hi = ∞).
public func clipped(_ x: Tensor, _ lo: Float, _ hi: Float) -> Tensor {
    typealias V = SIMD8<Float>
    var out = Tensor(uninitialized: x.shape)
    out.withUnsafeMutableBufferPointer { d in
        x.withUnsafeBufferPointer { src in
            Parallel.forEachChunk(of: d.count) { range in
                let (vl, vh) = (V(repeating: lo), V(repeating: hi))
                var i = range.lowerBound
                let end = range.upperBound
                while i + 8 <= end {
                    let v = UnsafeRawPointer(src.baseAddress! + i).loadUnaligned(as: V.self)
                    // (pointwiseMin/Max compiled to out-of-line generic calls; masks compile to compares.)
                    UnsafeMutableRawPointer(d.baseAddress! + i).storeBytes(of: v.replacing(with: vl, where: v .< vl).replacing(with: vh, where: v .> vh), as: V.self)
                    i += 8
                }
                while i < end { d[i] = min(max(src[i], lo), hi); i += 1 }
            }
        }
    }
    return out
}
