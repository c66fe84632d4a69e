/// Nearest-neighbour upsampling by an integer factor (ONNX Resize, mode nearest, floor, asymmetric):
/// out[y][x] = in[y / f][x / f].
public func upsampleNearest(_ x: Tensor, factor f: Int) -> Tensor {
    precondition(x.rank == 4 && f >= 1)
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let oh = h * f, ow = w * f
    var out = Tensor(uninitialized: [n, c, oh, ow])
    out.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { src in
            Parallel.forEach(n * c) { plane in
                let s = src.baseAddress! + plane * h * w, d = dst.baseAddress! + plane * oh * ow
                for y in 0..<h {
                    let row = d + y * f * ow
                    let srow = s + y * w
                    for x in 0..<w {
                        let v = srow[x]
                        for k in 0..<f { row[x * f + k] = v }
                    }
                    for k in 1..<f { (row + k * ow).update(from: row, count: ow) }
                }
            }
        }
    }
    return out
}

/// x · s, elementwise.
public func scale(_ x: Tensor, by s: Float) -> Tensor {
    if s == 1 { return x }
    var out = x
    out.withUnsafeMutableBufferPointer { for i in 0..<$0.count { $0[i] *= s } }
    return out
}

/// Every element clamped to 0…1 (NaN to 0).
public func clampUnit(_ x: Tensor) -> Tensor {
    var out = x
    out.withUnsafeMutableBufferPointer { o in
        for i in o.indices { o[i] = o[i] > 0 ? min(o[i], 1) : 0 }
    }
    return out
}

/// a + b, elementwise (same shapes).
public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
    var out = a
    out.withUnsafeMutableBufferPointer { d in
        b.withUnsafeBufferPointer { s in
            for i in 0..<d.count { d[i] += s[i] }
        }
    }
    return out
}

/// y += x, elementwise (same shapes): a residual sum without a third buffer.
public func addInPlace(_ y: inout Tensor, _ x: Tensor) {
    precondition(x.shape == y.shape, "add: shapes \(y.shape) and \(x.shape) differ")
    y.withUnsafeMutableBufferPointer { d in
        x.withUnsafeBufferPointer { s in
            for i in 0..<d.count { d[i] += s[i] }
        }
    }
}

/// max(x, 0), elementwise.
public func relu(_ x: Tensor) -> Tensor {
    var out = x
    out.withUnsafeMutableBufferPointer { d in for i in 0..<d.count { d[i] = max(d[i], 0) } }
    return out
}

/// 1 / (1 + e^-x), elementwise.
public func sigmoid(_ x: Tensor) -> Tensor {
    var out = x
    out.withUnsafeMutableBufferPointer { d in for i in 0..<d.count { d[i] = sigmoid(d[i]) } }
    return out
}
