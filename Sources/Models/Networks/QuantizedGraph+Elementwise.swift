import Tensor

/// The graph's element-wise arithmetic, eight lanes at a time. Each operation is a type, so the
/// loops are specialized for it (a closure parameter cost a call per element: Magenta's
/// conditional instance norms spent a quarter of a stylization in them).
protocol ElementwiseArithmetic {
    static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float>
    static func apply(_ a: Float, _ b: Float) -> Float
}

enum Add: ElementwiseArithmetic {
    @inline(__always) static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a + b }
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b }
}

enum Subtract: ElementwiseArithmetic {
    @inline(__always) static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a - b }
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b }
}

enum Multiply: ElementwiseArithmetic {
    @inline(__always) static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a * b }
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b }
}

extension QuantizedGraph {
    /// a ∘ b where the shapes are equal, or one side is [N, C, 1, 1] (or one value) for the other's
    /// [N, C, H, W]; planes run on the workers.
    static func broadcast<Op: ElementwiseArithmetic>(_ a: Tensor, _ b: Tensor, _: Op.Type) throws -> Tensor {
        let bigFirst = a.count >= b.count
        let big = bigFirst ? a : b, small = bigFirst ? b : a
        let same = a.shape == b.shape
        let plane = same ? big.count : (big.rank == 4 ? big.shape[2] * big.shape[3] : big.count)
        guard same || small.count == 1 || (big.rank == 4 && small.count == big.shape[0] * big.shape[1] && small.count * plane == big.count) else {
            throw ModelError("cannot broadcast \(a.shape) with \(b.shape)")
        }
        var out = Tensor(uninitialized: big.shape)
        out.withUnsafeMutableBufferPointer { o in
            big.withUnsafeBufferPointer { bv in
                small.withUnsafeBufferPointer { sv in
                    let (o, bv, sv) = (o.baseAddress!, bv.baseAddress!, sv.baseAddress!)
                    if same {
                        Parallel.forEachChunk(of: big.count) { r in
                            if bigFirst { elementwise(o + r.lowerBound, bv + r.lowerBound, sv + r.lowerBound, r.count, Op.self) }
                            else { elementwise(o + r.lowerBound, sv + r.lowerBound, bv + r.lowerBound, r.count, Op.self) }
                        }
                        return
                    }
                    let singleValue = small.count == 1
                    Parallel.forEach(big.count / plane) { p in
                        let s = singleValue ? sv[0] : sv[p], base = p * plane
                        if bigFirst { withScalar(o + base, bv + base, s, plane, scalarFirst: false, Op.self) }
                        else { withScalar(o + base, bv + base, s, plane, scalarFirst: true, Op.self) }
                    }
                }
            }
        }
        return out
    }

    @inline(__always)
    private static func elementwise<Op: ElementwiseArithmetic>(_ o: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>,
                                                               _ b: UnsafePointer<Float>, _ n: Int, _: Op.Type) {
        var i = 0
        while i + 8 <= n {
            let va = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self), vb = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(o + i).storeBytes(of: Op.apply(va, vb), as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { o[i] = Op.apply(a[i], b[i]); i += 1 }
    }

    @inline(__always)
    private static func withScalar<Op: ElementwiseArithmetic>(_ o: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ s: Float,
                                                              _ n: Int, scalarFirst: Bool, _: Op.Type) {
        let vs = SIMD8<Float>(repeating: s)
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(o + i).storeBytes(of: scalarFirst ? Op.apply(vs, v) : Op.apply(v, vs), as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { o[i] = scalarFirst ? Op.apply(s, x[i]) : Op.apply(x[i], s); i += 1 }
    }

    /// NCHW ↔ NHWC of a rank-4 tensor, rows on the workers.
    static func transposeImage(_ x: Tensor, toChannelsLast: Bool) -> Tensor {
        let (n, d1, d2, d3) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        // NCHW → NHWC: out[n][h][w][c] = in[n][c][h][w]; NHWC → NCHW: out[n][c][h][w] = in[n][h][w][c].
        let (c, h, w) = toChannelsLast ? (d1, d2, d3) : (d3, d1, d2)
        var out = Tensor(uninitialized: toChannelsLast ? [n, h, w, c] : [n, c, h, w])
        out.withUnsafeMutableBufferPointer { o in
            x.withUnsafeBufferPointer { v in
                let (o, v) = (o.baseAddress!, v.baseAddress!)
                Parallel.forEach(n * h) { row in
                    let (img, y) = (row / h, row % h)
                    let image = img * c * h * w
                    for ch in 0..<c {
                        for xx in 0..<w {
                            let planar = image + (ch * h + y) * w + xx, interleaved = image + (y * w + xx) * c + ch
                            if toChannelsLast { o[interleaved] = v[planar] } else { o[planar] = v[interleaved] }
                        }
                    }
                }
            }
        }
        return out
    }
}
