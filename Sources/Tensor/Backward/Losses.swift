/// Mean squared error and its gradient with respect to `a` (∂/∂b is its negation):
///
///   L = Σ_i (a_i − b_i)² / count        ∂L/∂a_i = 2 (a_i − b_i) / count
///
/// The sum is accumulated in double precision. Used for the content (feature) loss and the
/// StyleBank auto-encoder's reconstruction loss.
public func mseLoss(_ a: Tensor, _ b: Tensor) -> (value: Float, gradient: Tensor) {
    precondition(a.shape == b.shape, "mse: shapes \(a.shape) and \(b.shape) differ")
    let count = a.count
    var gradient = Tensor(uninitialized: a.shape)
    var total = 0.0
    let scale = 2 / Float(max(count, 1))
    gradient.withUnsafeMutableBufferPointer { g in
        a.withUnsafeBufferPointer { av in
            b.withUnsafeBufferPointer { bv in
                for i in 0..<count {
                    let d = av[i] - bv[i]
                    total += Double(d) * Double(d)
                    g[i] = scale * d
                }
            }
        }
    }
    return (Float(total / Double(max(count, 1))), gradient)
}

/// Style loss of one feature layer (Johnson et al. 2016, with a mean instead of a squared
/// Frobenius norm) and its gradient with respect to the features:
///
///   L = Σ_{n, i, j} (G[n, i, j] − T[i, j])² / (N · C · C),   G = `gramMatrix(features)`
///   ∂L/∂G = 2 (G − T) / (N · C · C),  then ∂L/∂F by `gramBackward`
///
/// `targetGram` is [N, C, C] (one target per image) or [1, C, C] / [C, C] (one for the batch, as
/// for a style image's Gram matrix).
public func styleLoss(features: Tensor, targetGram: Tensor) -> (value: Float, gradient: Tensor) {
    let gram = gramMatrix(features)
    let (n, c) = (gram.shape[0], gram.shape[1])
    let perImage = targetGram.count == n * c * c && targetGram.rank == 3
    precondition(perImage || targetGram.count == c * c, "style loss: target Gram \(targetGram.shape) for \(c) channels, batch \(n)")
    let count = n * c * c
    var gradGram = Tensor(uninitialized: gram.shape)
    var total = 0.0
    gradGram.withUnsafeMutableBufferPointer { dg in
        gram.withUnsafeBufferPointer { g in
            targetGram.withUnsafeBufferPointer { t in
                for i in 0..<count {
                    let d = g[i] - t[perImage ? i : i % (c * c)]
                    total += Double(d) * Double(d)
                    dg[i] = 2 * d / Float(count)
                }
            }
        }
    }
    return (Float(total / Double(count)), gramBackward(features: features, gradGram: gradGram))
}

/// Total variation regularizer (Johnson et al.'s smoothness prior), squared differences of
/// horizontal and vertical neighbours, normalized by the element count N·C·H·W:
///
///   L = [ Σ_{n,c,y,x<W−1} (x[y, x+1] − x[y, x])² + Σ_{n,c,y<H−1,x} (x[y+1, x] − x[y, x])² ] / (N·C·H·W)
///
/// Each difference d between a pixel and its right (lower) neighbour adds 2d/(N·C·H·W) to the
/// neighbour's gradient and subtracts it from the pixel's.
public func totalVariationLoss(_ x: Tensor) -> (value: Float, gradient: Tensor) {
    precondition(x.rank == 4)
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let planes = n * c, scale = 2 / Float(max(x.count, 1))
    let planeSums = UnsafeMutablePointer<Double>.allocate(capacity: max(planes, 1))
    defer { planeSums.deallocate() }
    var gradient = Tensor(zeros: x.shape)
    gradient.withUnsafeMutableBufferPointer { gBuf in
        x.withUnsafeBufferPointer { xBuf in
            Parallel.forEach(planes) { plane in
                let s = xBuf.baseAddress! + plane * h * w, g = gBuf.baseAddress! + plane * h * w
                var sum = 0.0
                for y in 0..<h {
                    for x in 0..<w {
                        let i = y * w + x
                        if x + 1 < w {
                            let d = s[i + 1] - s[i]
                            sum += Double(d) * Double(d)
                            g[i + 1] += scale * d
                            g[i] -= scale * d
                        }
                        if y + 1 < h {
                            let d = s[i + w] - s[i]
                            sum += Double(d) * Double(d)
                            g[i + w] += scale * d
                            g[i] -= scale * d
                        }
                    }
                }
                planeSums[plane] = sum
            }
        }
    }
    var total = 0.0
    for p in 0..<planes { total += planeSums[p] }
    return (Float(total / Double(max(x.count, 1))), gradient)
}

/// Mean absolute error and its gradient with respect to `a` (∂/∂b is its negation):
///
///   L = Σ_i |a_i − b_i| / count        ∂L/∂a_i = sign(a_i − b_i) / count   (0 where equal)
///
/// MUNIT's reconstruction losses (images, content and style codes) are L1.
public func l1Loss(_ a: Tensor, _ b: Tensor) -> (value: Float, gradient: Tensor) {
    precondition(a.shape == b.shape, "l1: shapes \(a.shape) and \(b.shape) differ")
    let count = a.count
    var gradient = Tensor(uninitialized: a.shape)
    var total = 0.0
    let step = 1 / Float(max(count, 1))
    gradient.withUnsafeMutableBufferPointer { g in
        a.withUnsafeBufferPointer { av in
            b.withUnsafeBufferPointer { bv in
                for i in 0..<count {
                    let d = av[i] - bv[i]
                    total += Double(abs(d))
                    g[i] = d > 0 ? step : (d < 0 ? -step : 0)
                }
            }
        }
    }
    return (Float(total / Double(max(count, 1))), gradient)
}
