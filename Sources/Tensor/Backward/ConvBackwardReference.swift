/// The gradients of `conv2dBackward` computed straight from the definition (one loop nest over
/// every (n, co, oy, ox, ci, ky, kx), double accumulators): what the tests hold the fast path to.
public func conv2dBackwardReference(input x: Tensor, weight w: Tensor, stride s: Int, gradOutput gy: Tensor)
    -> (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor) {
    let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (cout, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
    let ho = (h - kh) / s + 1, wo = (wd - kw) / s + 1
    precondition(gy.shape == [n, cout, ho, wo], "gy \(gy.shape) does not match the convolution's output")
    let xv = x.scalars, wv = w.scalars, gv = gy.scalars
    var gx = [Double](repeating: 0, count: xv.count)
    var gw = [Double](repeating: 0, count: wv.count)
    var gb = [Double](repeating: 0, count: cout)
    for b in 0..<n { for co in 0..<cout { for oy in 0..<ho { for ox in 0..<wo {
        let g = Double(gv[((b * cout + co) * ho + oy) * wo + ox])
        gb[co] += g
        for ci in 0..<cin { for ky in 0..<kh { for kx in 0..<kw {
            let wi = ((co * cin + ci) * kh + ky) * kw + kx
            let xi = ((b * cin + ci) * h + oy * s + ky) * wd + ox * s + kx
            gw[wi] += g * Double(xv[xi])
            gx[xi] += g * Double(wv[wi])
        } } }
    } } } }
    return (Tensor(shape: x.shape, values: gx.map(Float.init)),
            Tensor(shape: w.shape, values: gw.map(Float.init)),
            Tensor(shape: [cout], values: gb.map(Float.init)))
}
