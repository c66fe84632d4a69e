/// Gradients of `instanceNorm` (optionally with its fused activation). Per plane (n, c), with
/// P = H·W, μ and σ² the plane's mean and biased variance, x̂ = (x − μ)/√(σ² + ε),
/// z = γ·x̂ + β and y = act(z):
///
///   gz      = gy · act′(z)                 (relu: z > 0; sigmoid: y(1 − y); none: 1)
///   ∂L/∂β   = Σ_plane gz                    ∂L/∂γ = Σ_plane gz · x̂   (summed over the batch
///                                                                   when γ, β are per channel)
///   ∂L/∂x   = γ/√(σ² + ε) · (gz − mean(gz) − x̂ · mean(gz · x̂))
///
/// `gamma` has C values or N·C (one row per image), as in the forward pass; `gradGamma` and
/// `gradBeta` have the same count. `beta` is needed only to rebuild z for an activation.
public func instanceNormBackward(_ x: Tensor, gamma: [Float], beta: [Float]? = nil, gradOutput gy: Tensor,
                                 epsilon: Float = 1e-5, activation: Activation = .none)
    -> (gradInput: Tensor, gradGamma: [Float], gradBeta: [Float]) {
    precondition(x.rank == 4 && x.shape == gy.shape, "instance norm backward: x \(x.shape), gy \(gy.shape)")
    let (n, c) = (x.shape[0], x.shape[1])
    let plane = x.shape[2] * x.shape[3]
    precondition(gamma.count == c || gamma.count == n * c, "instance norm backward needs \(c) (or \(n * c)) γ values, got \(gamma.count)")
    if case .none = activation {} else {
        precondition(beta?.count == gamma.count, "instance norm backward with an activation needs β (\(gamma.count) values)")
    }
    let perChannel = gamma.count == c
    // Per-plane sums Σ gz and Σ gz·x̂, reduced over the batch afterwards (deterministic order).
    let planeSums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * n * c)
    defer { planeSums.deallocate() }
    var gx = Tensor(uninitialized: x.shape)
    gx.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { xs in
            gy.withUnsafeBufferPointer { gs in
                Parallel.forEach(n * c) { p in
                    let xp = xs.baseAddress! + p * plane, gp = gs.baseAddress! + p * plane
                    let out = dst.baseAddress! + p * plane
                    let (mean, variance) = planeMeanVariance(xp, count: plane)
                    let inverseStd = 1 / (variance + epsilon).squareRoot()
                    let g = gamma[perChannel ? p % c : p], b = beta?[perChannel ? p % c : p] ?? 0
                    // out ← gz (∂L/∂z), then the sums.
                    for i in 0..<plane {
                        let xhat = (xp[i] - mean) * inverseStd
                        switch activation {
                        case .none: out[i] = gp[i]
                        case .relu: out[i] = g * xhat + b > 0 ? gp[i] : 0
                        case .sigmoid: let y = sigmoid(g * xhat + b); out[i] = gp[i] * y * (1 - y)
                        }
                    }
                    var sumGz = 0.0, sumGzXhat = 0.0
                    for i in 0..<plane {
                        sumGz += Double(out[i])
                        sumGzXhat += Double(out[i]) * Double((xp[i] - mean) * inverseStd)
                    }
                    planeSums[2 * p] = sumGz
                    planeSums[2 * p + 1] = sumGzXhat
                    let meanGz = Float(sumGz / Double(plane)), meanGzXhat = Float(sumGzXhat / Double(plane))
                    let scale = g * inverseStd
                    for i in 0..<plane {
                        let xhat = (xp[i] - mean) * inverseStd
                        out[i] = scale * (out[i] - meanGz - xhat * meanGzXhat)
                    }
                }
            }
        }
    }
    var gradGamma = [Double](repeating: 0, count: gamma.count), gradBeta = gradGamma
    for p in 0..<(n * c) {
        let k = perChannel ? p % c : p
        gradBeta[k] += planeSums[2 * p]
        gradGamma[k] += planeSums[2 * p + 1]
    }
    return (gx, gradGamma.map(Float.init), gradBeta.map(Float.init))
}
