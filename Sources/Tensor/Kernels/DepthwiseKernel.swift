// Compiled three times, like GEMMKernel.swift: into `Tensor` (portable baseline) and, through
// symbolic links, into `TensorAVX2` and `TensorAVX512` (see Package.swift); `depthwiseConv2d`
// (DepthwiseConv.swift) runs the widest one the CPU supports. On the baseline target a SIMD8 is two
// SSE registers, and the depthwise layers of Magenta's style predictor ran at 4–20 GFLOP/s.

/// The inner loop of `depthwiseConv2d`: one output plane from the padded, column-phased scratch.
public enum DepthwiseKernel {
    /// out[oy, ox] = Σ_t taps[t] · scratch[oy·s·phaseWidth + ox + offsets[t]] + bias, the taps
    /// summed in order, without fused multiply-adds (the reference's rounding, bit for bit); then
    /// `fakeQuantize`d, with `quantize`.
    @inline(never)
    public static func plane(_ out: UnsafeMutablePointer<Float>, _ scratch: UnsafePointer<Float>, taps: UnsafePointer<Float>, bias: Float,
                             offsets: UnsafePointer<Int>, count: Int, ho: Int, wo: Int, stride s: Int, phaseWidth: Int,
                             quantize: QuantizeKernel.Quantization?) {
        var unquantized = 0   // the first row not yet quantized
        for oy in 0..<ho {
            let row = out + oy * wo
            let rowBase = scratch + oy * s * phaseWidth
            var ox = 0
            #if ATELIER_AVX512
            ox = outputs(SIMD16<Float>.self, row, rowBase, from: ox, to: wo, taps: taps, bias: bias, offsets: offsets, count: count)
            #endif
            ox = outputs(SIMD8<Float>.self, row, rowBase, from: ox, to: wo, taps: taps, bias: bias, offsets: offsets, count: count)
            while ox < wo {
                var acc: Float = 0
                let base = rowBase + ox
                for t in 0..<count { acc += taps[t] * base[offsets[t]] }
                row[ox] = acc + bias
                ox += 1
            }
            // The rows are in L1: quantizing them here saves the pass over the whole map. Rows
            // narrower than a vector (the predictor's 8×8 maps) go in batches of at least 256
            // floats, so they take the vector path instead of a scalar division per pixel.
            if let quantize, (oy + 1 - unquantized) * wo >= 256 || oy == ho - 1 {
                let first = out + unquantized * wo, count = (oy + 1 - unquantized) * wo
                QuantizeKernel.fakeQuantize(first, into: first, count: count, scale: quantize.scale, zeroPoint: quantize.zeroPoint)
                unquantized = oy + 1
            }
        }
    }

    /// Outputs `from`… of one row, V.scalarCount at a time while whole vectors fit; returns where it stopped.
    @inline(__always)
    static func outputs<V: SIMD>(_: V.Type, _ row: UnsafeMutablePointer<Float>, _ rowBase: UnsafePointer<Float>, from start: Int, to wo: Int,
                                 taps: UnsafePointer<Float>, bias: Float, offsets: UnsafePointer<Int>, count: Int) -> Int where V.Scalar == Float {
        var ox = start
        let vb = V(repeating: bias)
        while ox + V.scalarCount <= wo {
            var acc = V(repeating: 0)
            let base = rowBase + ox
            for t in 0..<count { acc = acc + V(repeating: taps[t]) * UnsafeRawPointer(base + offsets[t]).loadUnaligned(as: V.self) }
            UnsafeMutableRawPointer(row + ox).storeBytes(of: acc + vb, as: V.self)
            ox += V.scalarCount
        }
        return ox
    }
}
