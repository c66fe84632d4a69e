/// ∂L/∂x of `relu`: gy where the activation was positive, else 0. `activation` may be the ReLU's
/// input or its output (x > 0 exactly where relu(x) > 0); at x = 0 the gradient is taken as 0.
public func reluBackward(_ activation: Tensor, gradOutput gy: Tensor) -> Tensor {
    precondition(activation.shape == gy.shape, "relu backward: \(activation.shape) vs \(gy.shape)")
    typealias V = SIMD16<Float>
    var gx = Tensor(uninitialized: gy.shape)
    gx.withUnsafeMutableBufferPointer { g in
        activation.withUnsafeBufferPointer { a in
            gy.withUnsafeBufferPointer { d in
                let (gp, ap, dp) = (g.baseAddress!, a.baseAddress!, d.baseAddress!)
                // A select in vectors: the mask is data (about half a layer's units are off, in no
                // pattern), and the plain loop compiled to a branch on it that mispredicted often.
                // (x > 0 is false for NaN, so a NaN activation passes no gradient, as before.)
                Parallel.forEachChunk(of: g.count) { range in
                    var i = range.lowerBound
                    let end = range.upperBound
                    while i + 16 <= end {
                        let av = UnsafeRawPointer(ap + i).loadUnaligned(as: V.self)
                        let dv = UnsafeRawPointer(dp + i).loadUnaligned(as: V.self)
                        UnsafeMutableRawPointer(gp + i).storeBytes(of: V(repeating: 0).replacing(with: dv, where: av .> 0), as: V.self)
                        i += 16
                    }
                    while i < end { gp[i] = ap[i] > 0 ? dp[i] : 0; i += 1 }
                }
            }
        }
    }
    return gx
}

/// ∂L/∂x of `sigmoid` from its output y = σ(x): gy · y · (1 − y).
public func sigmoidBackward(output y: Tensor, gradOutput gy: Tensor) -> Tensor {
    precondition(y.shape == gy.shape, "sigmoid backward: \(y.shape) vs \(gy.shape)")
    var gx = gy
    gx.withUnsafeMutableBufferPointer { g in
        y.withUnsafeBufferPointer { s in
            for i in 0..<g.count { g[i] *= s[i] * (1 - s[i]) }
        }
    }
    return gx
}
