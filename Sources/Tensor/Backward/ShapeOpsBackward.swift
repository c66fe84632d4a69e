/// ∂L/∂x of `pad2d`: y[oy, ox] = x[src(oy − top), src(ox − left)], so
///   ∂L/∂x[sy, sx] = Σ over padded pixels (oy, ox) that copy (sy, sx) of gy[oy, ox].
/// Zero padding crops the border away; reflect padding also adds each mirrored border pixel's
/// gradient onto the interior pixel it mirrors (src(i) = −i for i < 0, 2(size − 1) − i past the end).
public func pad2dBackward(_ gy: Tensor, top: Int, bottom: Int, left: Int, right: Int, mode: PaddingMode) -> Tensor {
    precondition(gy.rank == 4)
    let (n, c, ph, pw) = (gy.shape[0], gy.shape[1], gy.shape[2], gy.shape[3])
    let h = ph - top - bottom, w = pw - left - right
    precondition(h > 0 && w > 0, "pad2d backward: \(gy.shape) is smaller than its padding")
    if mode == .reflect { precondition(top < h && bottom < h && left < w && right < w, "reflect padding must be smaller than the image") }
    func source(_ i: Int, size: Int) -> Int {
        if i >= 0 && i < size { return i }
        if mode == .zero { return -1 }
        return i < 0 ? -i : 2 * (size - 1) - i
    }
    let rowSource = (0..<ph).map { source($0 - top, size: h) }
    let colSource = (0..<pw).map { source($0 - left, size: w) }
    var gx = Tensor(zeros: [n, c, h, w])
    gx.withUnsafeMutableBufferPointer { dst in
        gy.withUnsafeBufferPointer { src in
            Parallel.forEach(n * c) { plane in
                let s = src.baseAddress! + plane * ph * pw, d = dst.baseAddress! + plane * h * w
                for oy in 0..<ph {
                    let sy = rowSource[oy]
                    if sy < 0 { continue }
                    let grow = s + oy * pw, xrow = d + sy * w
                    for ox in 0..<left where colSource[ox] >= 0 { xrow[colSource[ox]] += grow[ox] }
                    for x in 0..<w { xrow[x] += grow[left + x] }
                    for ox in (left + w)..<pw where colSource[ox] >= 0 { xrow[colSource[ox]] += grow[ox] }
                }
            }
        }
    }
    return gx
}

/// ∂L/∂x of `upsampleNearest` (y[y][x] = x[y / f][x / f]): each input pixel receives the sum of
/// the gradients of its f×f output block.
public func upsampleNearestBackward(_ gy: Tensor, factor f: Int) -> Tensor {
    precondition(gy.rank == 4 && f >= 1 && gy.shape[2] % f == 0 && gy.shape[3] % f == 0,
                 "upsample backward: \(gy.shape) is not a ×\(f) upsampling")
    let (n, c, oh, ow) = (gy.shape[0], gy.shape[1], gy.shape[2], gy.shape[3])
    let h = oh / f, w = ow / f
    var gx = Tensor(zeros: [n, c, h, w])
    gx.withUnsafeMutableBufferPointer { dst in
        gy.withUnsafeBufferPointer { src in
            Parallel.forEach(n * c) { plane in
                let s = src.baseAddress! + plane * oh * ow, d = dst.baseAddress! + plane * h * w
                for oy in 0..<oh {
                    let grow = s + oy * ow, xrow = d + (oy / f) * w
                    for x in 0..<w {
                        var sum: Float = 0
                        for k in 0..<f { sum += grow[x * f + k] }
                        xrow[x] += sum
                    }
                }
            }
        }
    }
    return gx
}

/// ∂L/∂x of `maxPool2x2`: each window's gradient goes to its maximum, the first one in the order
/// (top-left, top-right, bottom-left, bottom-right) on ties; other pixels, and the odd trailing
/// row/column the pooling drops, get zero.
public func maxPool2x2Backward(input x: Tensor, gradOutput gy: Tensor) -> Tensor {
    precondition(x.rank == 4)
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let oh = h / 2, ow = w / 2
    precondition(gy.shape == [n, c, oh, ow], "max pool backward: gy \(gy.shape) for input \(x.shape)")
    var gx = Tensor(zeros: x.shape)
    gx.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { xs in
            gy.withUnsafeBufferPointer { gs in
                Parallel.forEach(n * c) { plane in
                    let s = xs.baseAddress! + plane * h * w, d = dst.baseAddress! + plane * h * w
                    let g = gs.baseAddress! + plane * oh * ow
                    for y in 0..<oh {
                        for x in 0..<ow {
                            let topLeft = 2 * y * w + 2 * x
                            var best = topLeft
                            if s[topLeft + 1] > s[best] { best = topLeft + 1 }
                            if s[topLeft + w] > s[best] { best = topLeft + w }
                            if s[topLeft + w + 1] > s[best] { best = topLeft + w + 1 }
                            d[best] = g[y * ow + x]
                        }
                    }
                }
            }
        }
    }
    return gx
}
