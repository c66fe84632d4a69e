/// 2×2 max pooling with stride 2 (VGG's pooling); odd trailing rows/columns are dropped, as in
/// Keras/ONNX MaxPool with no padding.
public func maxPool2x2(_ x: Tensor) -> Tensor {
    precondition(x.rank == 4)
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let oh = h / 2, ow = w / 2
    var out = Tensor(uninitialized: [n, c, oh, ow])
    out.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { src in
            Parallel.forEach(n * c) { plane in
                let s = src.baseAddress! + plane * h * w, d = dst.baseAddress! + plane * oh * ow
                for y in 0..<oh {
                    let r0 = s + 2 * y * w, r1 = r0 + w
                    for x in 0..<ow {
                        d[y * ow + x] = max(max(r0[2 * x], r0[2 * x + 1]), max(r1[2 * x], r1[2 * x + 1]))
                    }
                }
            }
        }
    }
    return out
}
