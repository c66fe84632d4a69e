/// ∂L/∂x of `relu`: gy where the activation was positive, else 0. `activation` may be the ReLU's
/// input or its output (x > 0 exactly where relu(x) > 0); at x = 0 the gradient is taken as 0.
public func reluBackward(_ activation: Tensor, gradOutput gy: Tensor) -> Tensor {
    precondition(activation.shape == gy.shape, "relu backward: \(activation.shape) vs \(gy.shape)")
    var gx = gy
    gx.withUnsafeMutableBufferPointer { g in
        activation.withUnsafeBufferPointer { a in
            for i in 0..<g.count where !(a[i] > 0) { g[i] = 0 }
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
