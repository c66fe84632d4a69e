/// The border correction of a folded 5×5 upsampled convolution (`UpsampledConv`, k = 5).
///
/// Along one axis of length L, the padded upsampled image P has positions u = −2 … 2L+1 and reads
/// input row ⌊reflect(u)/2⌋; the folded form reads instead ⌊u/2⌋ clamped to 0 … L−1 (the input
/// padded by replication, then upsampled). The two agree everywhere except at the outer ring
/// u = −2 (true: row 1, folded: row 0) and u = 2L+1 (true: L−2, folded: L−1). Convolution is
/// linear, so conv(P) = folded output + conv(Δ) with Δ = P − P′ non-zero only on the ring, and
/// conv(Δ) touches only the outermost output rows and columns:
///   out[0, ·]    += Δ(top row)    ⋆ w[·, ·, 0, ·]      out[2H−1, ·] += Δ(bottom row) ⋆ w[·, ·, 4, ·]
///   out[·, 0]    += Δ(left col)   ⋆ w[·, ·, ·, 0]      out[·, 2W−1] += Δ(right col)  ⋆ w[·, ·, ·, 4]
/// The row sides span the whole padded width (corners included); the column sides leave the ring
/// rows out (zero there), so no corner is counted twice. Each Δ element is x[a] − x[b] of one plane.
enum BorderRing {
    struct Side {
        let isRow: Bool
        /// The weight row (row side) or column (column side) that reaches the ring: 0 or 4.
        let tap: Int
        /// The output row (row side) or column (column side) corrected.
        let output: Int
        /// Per ring position (2W + 4 or 2H + 4 of them): offsets (a, b) in an input plane with
        /// Δ = x[a] − x[b], or nil where Δ is zero.
        let pairs: [(plus: Int, minus: Int)?]
    }

    static func sides(height h: Int, width w: Int) -> [Side] {
        // Input index of padded position u (−2 … 2L+1) on an axis of length L, as the true
        // reflection reads it, and as the replicate-padded folded form reads it.
        func reflected(_ u: Int, _ l: Int) -> Int { (u < 0 ? -u : u >= 2 * l ? 2 * (2 * l - 1) - u : u) / 2 }
        func replicated(_ u: Int, _ l: Int) -> Int { min(max(u >= 0 ? u / 2 : -1, 0), l - 1) }
        let rowSide = { (ring: Int, tap: Int, output: Int) -> Side in
            let (rTrue, rFold) = (reflected(ring, h), replicated(ring, h))
            return Side(isRow: true, tap: tap, output: output, pairs: (-2...(2 * w + 1)).map { v in
                (rTrue * w + reflected(v, w), rFold * w + replicated(v, w))
            })
        }
        let columnSide = { (ring: Int, tap: Int, output: Int) -> Side in
            let (cTrue, cFold) = (reflected(ring, w), replicated(ring, w))
            return Side(isRow: false, tap: tap, output: output, pairs: (-2...(2 * h + 1)).map { u in
                u == -2 || u == 2 * h + 1 ? nil : (reflected(u, h) * w + cTrue, reflected(u, h) * w + cFold)
            })
        }
        return [rowSide(-2, 0, 0), rowSide(2 * h + 1, 4, 2 * h - 1), columnSide(-2, 0, 0), columnSide(2 * w + 1, 4, 2 * w - 1)]
    }

    /// Adds conv(Δ) to the folded output `out` [N, Cout, 2H, 2W] of x [N, Cin, H, W].
    static func addCorrection(to out: inout Tensor, x: Tensor, weight: Tensor) {
        let (h, w) = (x.shape[2], x.shape[3])
        for side in sides(height: h, width: w) {
            let delta = gather(x, side)
            let c = Conv2D(weight: weightSlice(weight, side))(delta)   // [N, Cout, 1, 2W] or [N, Cout, 2H, 1]
            addLine(c, into: &out, side)
        }
    }

    /// The correction's contribution to ∂x (added into `gradInput`) and ∂w (into `gradWeight`).
    static func backward(x: Tensor, weight: Tensor, gradOutput gy: Tensor, gradInput: inout Tensor?, gradWeight: inout Tensor?) {
        let (h, w) = (x.shape[2], x.shape[3])
        for side in sides(height: h, width: w) {
            let g = line(of: gy, side)
            let ws = weightSlice(weight, side)
            if gradWeight != nil {
                let delta = gather(x, side)
                let gw = ConvWeightGradient.compute(input: delta, gradOutput: g, kernelH: ws.shape[2], kernelW: ws.shape[3], stride: 1)
                addWeightSlice(gw, into: &gradWeight!, side)
            }
            if gradInput != nil {
                let gd = ConvInputGradient(weight: ws, stride: 1)(g, inputHeight: side.isRow ? 1 : side.pairs.count,
                                                                  inputWidth: side.isRow ? side.pairs.count : 1)
                scatter(gd, into: &gradInput!, side)
            }
        }
    }

    /// Δ along a side: [N, Cin, 1, L] for a row side, [N, Cin, L, 1] for a column side.
    static func gather(_ x: Tensor, _ side: Side) -> Tensor {
        let (n, c, plane, l) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3], side.pairs.count)
        var out = Tensor(zeros: side.isRow ? [n, c, 1, l] : [n, c, l, 1])
        out.withUnsafeMutableBufferPointer { d in
            x.withUnsafeBufferPointer { s in
                for p in 0..<(n * c) { for (q, pair) in side.pairs.enumerated() {
                    if let pair { d[p * l + q] = s[p * plane + pair.plus] - s[p * plane + pair.minus] }
                } }
            }
        }
        return out
    }

    /// The transpose of `gather`: ∂Δ added into ∂x.
    static func scatter(_ gd: Tensor, into gx: inout Tensor, _ side: Side) {
        let (n, c, plane, l) = (gx.shape[0], gx.shape[1], gx.shape[2] * gx.shape[3], side.pairs.count)
        gx.withUnsafeMutableBufferPointer { d in
            gd.withUnsafeBufferPointer { s in
                for p in 0..<(n * c) { for (q, pair) in side.pairs.enumerated() {
                    guard let pair else { continue }
                    d[p * plane + pair.plus] += s[p * l + q]
                    d[p * plane + pair.minus] -= s[p * l + q]
                } }
            }
        }
    }

    /// w[·, ·, tap, ·] as [Cout, Cin, 1, 5] (row side) or w[·, ·, ·, tap] as [Cout, Cin, 5, 1].
    static func weightSlice(_ weight: Tensor, _ side: Side) -> Tensor {
        let (co, ci, k) = (weight.shape[0], weight.shape[1], weight.shape[2])
        let v = weight.scalars
        let values = (0..<(co * ci)).flatMap { f in (0..<k).map { t in v[f * k * k + (side.isRow ? side.tap * k + t : t * k + side.tap)] } }
        return Tensor(shape: side.isRow ? [co, ci, 1, k] : [co, ci, k, 1], values: values)
    }

    static func addWeightSlice(_ g: Tensor, into gw: inout Tensor, _ side: Side) {
        let (k, filters) = (gw.shape[2], gw.shape[0] * gw.shape[1])
        let v = g.scalars
        gw.withUnsafeMutableBufferPointer { d in
            for f in 0..<filters { for t in 0..<k {
                d[f * k * k + (side.isRow ? side.tap * k + t : t * k + side.tap)] += v[f * k + t]
            } }
        }
    }

    /// Output row (row side) or column (column side) `side.output` of y [N, C, OH, OW], as a
    /// [N, C, 1, OW] or [N, C, OH, 1] tensor.
    static func line(of y: Tensor, _ side: Side) -> Tensor {
        let (nc, oh, ow) = (y.shape[0] * y.shape[1], y.shape[2], y.shape[3])
        let v = y.scalars
        let l = side.isRow ? ow : oh
        var values = [Float](repeating: 0, count: nc * l)
        for p in 0..<nc {
            for q in 0..<l {
                let index = side.isRow ? (p * oh + side.output) * ow + q : (p * oh + q) * ow + side.output
                values[p * l + q] = v[index]
            }
        }
        return Tensor(shape: side.isRow ? [y.shape[0], y.shape[1], 1, ow] : [y.shape[0], y.shape[1], oh, 1], values: values)
    }

    /// The transpose of `line`: a line added into y.
    static func addLine(_ c: Tensor, into y: inout Tensor, _ side: Side) {
        let (nc, oh, ow) = (y.shape[0] * y.shape[1], y.shape[2], y.shape[3])
        let v = c.scalars
        y.withUnsafeMutableBufferPointer { d in
            for p in 0..<nc {
                if side.isRow {
                    for j in 0..<ow { d[(p * oh + side.output) * ow + j] += v[p * ow + j] }
                } else {
                    for r in 0..<oh { d[(p * oh + r) * ow + side.output] += v[p * oh + r] }
                }
            }
        }
    }
}
