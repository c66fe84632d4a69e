import TensorAVX2
import TensorAVX512

/// Depthwise convolution (MobileNet): channel c of the output is channel c of `x`, zero-padded by
/// `pads` [top, left, bottom, right], correlated with its own K×K filter `weight[c, 0]`, plus
/// `bias[c]`; any stride. `x` [N, C, H, W], `weight` [C, 1, K, K] →
/// [N, C, (H + top + bottom − K)/s + 1, (W + left + right − K)/s + 1].
///
/// Each (image, channel) plane runs on one worker. It copies the plane into a padded scratch plane
/// once (for stride 2 split into even and odd columns, so every tap reads contiguous floats), then
/// keeps eight outputs in a register while it adds the K×K taps. The taps are summed in the
/// reference's order, without fused multiply-adds, so the result is the reference's bit for bit
/// (Magenta's int8 rounding downstream turns any difference into a flipped level).
public func depthwiseConv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride s: Int, pads: [Int] = [0, 0, 0, 0],
                            quantize: FakeQuantization? = nil) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    let (top, left, bottom, right) = (pads[0], pads[1], pads[2], pads[3])
    let (ph, pw) = (h + top + bottom, w + left + right)
    precondition(weight.shape[0] == c && weight.shape[1] == 1 && ph >= kh && pw >= kw && s >= 1,
                 "depthwise conv: x \(x.shape), weight \(weight.shape), pads \(pads)")
    let (ho, wo) = ((ph - kh) / s + 1, (pw - kw) / s + 1)
    // The scratch holds the padded plane as `s` column phases: phase p has columns p, p + s, …
    let phaseWidth = (pw + s - 1) / s
    var out = Tensor(uninitialized: [n, c, ho, wo])
    let b = bias?.scalars ?? [Float](repeating: 0, count: c)
    out.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { src in
            weight.withUnsafeBufferPointer { wt in
                // Tap (dy, dx) of output (oy, ox) sits this far from scratch[(oy · s) · phaseWidth + ox].
                let offsets = (0..<(kh * kw)).map { t in ((t % kw % s) * ph + t / kw) * phaseWidth + t % kw / s }
                Parallel.run(claiming: n * c) { _, next in
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: s * ph * phaseWidth)
                    defer { scratch.deallocate() }
                    while let plane = next() {
                        let ch = plane % c
                        fillPhases(scratch, src.baseAddress! + plane * h * w, h: h, w: w, top: top, left: left, ph: ph, pw: pw,
                                   stride: s, phaseWidth: phaseWidth)
                        offsets.withUnsafeBufferPointer { o in
                            depthwisePlane(dst.baseAddress! + plane * ho * wo, scratch, taps: wt.baseAddress! + ch * kh * kw, bias: b[ch],
                                           offsets: o.baseAddress!, count: kh * kw, ho: ho, wo: wo, stride: s, phaseWidth: phaseWidth,
                                           quantize: quantize?.kernelForm)
                        }
                    }
                }
            }
        }
    }
    return out
}

/// The zero-padded plane, column phase by column phase: scratch[(p · ph + y) · phaseWidth + j] is
/// padded pixel (y, j · stride + p), 0 past the plane's edges. (No division per pixel: it made
/// the whole convolution several times slower.)
private func fillPhases(_ scratch: UnsafeMutablePointer<Float>, _ plane: UnsafePointer<Float>, h: Int, w: Int, top: Int, left: Int,
                        ph: Int, pw: Int, stride s: Int, phaseWidth: Int) {
    scratch.update(repeating: 0, count: s * ph * phaseWidth)
    if s == 1 {
        for y in 0..<h { (scratch + (y + top) * phaseWidth + left).update(from: plane + y * w, count: w) }
        return
    }
    if s == 2 {
        // Input column c sits at padded column left + c: phase (left + c) % 2, index (left + c) / 2.
        let (evenPhase, oddPhase) = (left % 2, (left + 1) % 2)
        for y in 0..<h {
            let row = plane + y * w
            let even = scratch + (evenPhase * ph + y + top) * phaseWidth + left / 2
            let odd = scratch + (oddPhase * ph + y + top) * phaseWidth + (left + 1) / 2
            var t = 0
            while 2 * t + 32 <= w {   // sixteen pairs at a time
                let v = UnsafeRawPointer(row + 2 * t).loadUnaligned(as: SIMD32<Float>.self)
                UnsafeMutableRawPointer(even + t).storeBytes(of: v.evenHalf, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(odd + t).storeBytes(of: v.oddHalf, as: SIMD16<Float>.self)
                t += 16
            }
            while 2 * t < w {
                even[t] = row[2 * t]
                if 2 * t + 1 < w { odd[t] = row[2 * t + 1] }
                t += 1
            }
        }
        return
    }
    for phase in 0..<s {
        let first = left + ((phase - left % s) % s + s) % s   // the first padded column ≥ left in this phase
        for y in 0..<h {
            let row = plane + y * w - left, d = scratch + (phase * ph + y + top) * phaseWidth
            var (j, px) = (first / s, first)
            while px < left + w { d[j] = row[px]; j += 1; px += s }
        }
    }
}

/// One output plane from the phased scratch: output (oy, ox) reads padded (oy·s + dy, ox·s + dx),
/// which is phase dx % s, column ox + dx / s; each tap's offset from (oy·s, ox) is computed once.
/// The loop is `DepthwiseKernel`'s, of the GEMM's instruction-set variant.
@inline(__always)
private func depthwisePlane(_ out: UnsafeMutablePointer<Float>, _ scratch: UnsafePointer<Float>, taps: UnsafePointer<Float>, bias: Float,
                            offsets: UnsafePointer<Int>, count: Int, ho: Int, wo: Int, stride s: Int, phaseWidth: Int,
                            quantize: (scale: Float, zeroPoint: Float)?) {
    switch GEMM.variant {
    case .portable:
        DepthwiseKernel.plane(out, scratch, taps: taps, bias: bias, offsets: offsets, count: count, ho: ho, wo: wo, stride: s, phaseWidth: phaseWidth, quantize: quantize)
    case .avx2:
        TensorAVX2.DepthwiseKernel.plane(out, scratch, taps: taps, bias: bias, offsets: offsets, count: count, ho: ho, wo: wo, stride: s, phaseWidth: phaseWidth, quantize: quantize)
    case .avx512:
        TensorAVX512.DepthwiseKernel.plane(out, scratch, taps: taps, bias: bias, offsets: offsets, count: count, ho: ho, wo: wo, stride: s, phaseWidth: phaseWidth, quantize: quantize)
    }
}

/// The plain loop nest `depthwiseConv2d` is tested against (summing taps in the same order).
public func depthwiseConv2dReference(_ x: Tensor, weight: Tensor, bias: Tensor?, stride s: Int, pads: [Int] = [0, 0, 0, 0]) -> Tensor {
    let x = pads.contains { $0 != 0 } ? pad2d(x, top: pads[0], bottom: pads[2], left: pads[1], right: pads[3], mode: .zero) : x
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    let (ho, wo) = ((h - kh) / s + 1, (w - kw) / s + 1)
    let xv = x.scalars, wv = weight.scalars, bv = bias?.scalars
    var out = [Float](repeating: 0, count: n * c * ho * wo)
    for img in 0..<n { for ch in 0..<c { for oy in 0..<ho { for ox in 0..<wo {
        var acc: Float = 0
        for dy in 0..<kh { for dx in 0..<kw {
            acc += wv[(ch * kh + dy) * kw + dx] * xv[((img * c + ch) * h + oy * s + dy) * w + ox * s + dx]
        } }
        acc += bv?[ch] ?? 0
        out[((img * c + ch) * ho + oy) * wo + ox] = acc
    } } } }
    return Tensor(shape: [n, c, ho, wo], values: out)
}
