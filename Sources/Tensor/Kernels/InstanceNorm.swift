/// What follows a normalization, fused into its output pass.
public enum Activation: Sendable {
    case none, relu, sigmoid
}

/// `activation` as a pass of its own (where no normalization runs before it to fuse it into).
public func activate(_ x: Tensor, _ activation: Activation) -> Tensor {
    switch activation {
    case .none: return x
    case .relu: return relu(x)
    case .sigmoid: return sigmoid(x)
    }
}

/// Instance normalization (Ulyanov et al.) with a per-channel affine map:
///   y = γ_c · (x − μ_{n,c}) / sqrt(σ²_{n,c} + ε) + β_c
/// where μ and σ² are the mean and (biased) variance over the H×W plane. With γ, β taken from a
/// style's row (or a blend of rows) this is conditional instance normalization (Dumoulin et al.).
/// `gamma` and `beta` have C values, or N·C to give every image in the batch its own.
public func instanceNorm(_ x: Tensor, gamma: [Float], beta: [Float], epsilon: Float = 1e-5,
                         activation: Activation = .none) -> Tensor {
    var out = Tensor(uninitialized: x.shape)
    out.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { src in
            instanceNorm(src.baseAddress!, into: dst.baseAddress!, shape: x.shape, gamma: gamma, beta: beta, epsilon: epsilon, activation: activation)
        }
    }
    return out
}

/// `instanceNorm` over `x`'s own storage (copied first only if shared): a full-resolution
/// activation of a large image is normalized without a second buffer of its size.
public func instanceNormInPlace(_ x: inout Tensor, gamma: [Float], beta: [Float], epsilon: Float = 1e-5, activation: Activation = .none) {
    let shape = x.shape
    x.withUnsafeMutableBufferPointer { p in
        instanceNorm(p.baseAddress!, into: p.baseAddress!, shape: shape, gamma: gamma, beta: beta, epsilon: epsilon, activation: activation)
    }
}

/// Statistics from `source`, then the affine map (and activation) written to `destination`,
/// which may be `source` itself: every value is read before its own place is written.
private func instanceNorm(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, shape: [Int],
                          gamma: [Float], beta: [Float], epsilon: Float, activation: Activation) {
    precondition(shape.count == 4)
    let (n, c) = (shape[0], shape[1])
    let plane = shape[2] * shape[3]
    precondition(gamma.count == beta.count && (gamma.count == c || gamma.count == n * c),
                 "instance norm needs \(c) (or \(n * c)) γ/β values, got \(gamma.count)")
    // Small batches of huge planes (3 output channels at 1024²) would leave cores idle, so each
    // plane is cut into `parts` chunks: one pass gathers shifted sums per chunk, one applies.
    let planes = n * c
    guard plane > 0 else { return }
    let parts = max(1, min((2 * Parallel.threadsForCurrentThread + planes - 1) / planes, plane / 65_536))
    let chunk = (plane + parts - 1) / parts
    var sums = [(Double, Double)](repeating: (0, 0), count: planes * parts)
    sums.withUnsafeMutableBufferPointer { sums in
        Parallel.forEach(planes * parts) { t in
            let (p, part) = (t / parts, t % parts)
            let start = part * chunk, count = min(chunk, plane - start)
            let base = source + p * plane
            if count > 0 { sums[t] = shiftedSums(base + start, count: count, shift: roughMean(base, count: plane)) }
        }
    }
    var scale = [Float](repeating: 0, count: planes), shift = scale
    for p in 0..<planes {
        var s = 0.0, sq = 0.0
        for part in 0..<parts { s += sums[p * parts + part].0; sq += sums[p * parts + part].1 }
        // Sums of (x − x₀) keep precision when the mean is large next to the spread.
        let x0 = Double(roughMean(source + p * plane, count: plane))
        let meanShifted = s / Double(plane)
        let variance = max(sq / Double(plane) - meanShifted * meanShifted, 0)
        let mean = x0 + meanShifted
        let g = Double(gamma[gamma.count == c ? p % c : p]), b = Double(beta[beta.count == c ? p % c : p])
        let sc = g / (variance + Double(epsilon)).squareRoot()
        scale[p] = Float(sc)
        shift[p] = Float(b - mean * sc)
    }
    Parallel.forEach(planes * parts) { t in
        let (p, part) = (t / parts, t % parts)
        let start = part * chunk, count = min(chunk, plane - start)
        guard count > 0 else { return }
        applyAffine(source + p * plane + start, destination + p * plane + start, count: count,
                    scale: scale[p], shift: shift[p], activation: activation)
    }
}

/// The mean of the first (up to) 64 values: a shift that keeps the shifted sums small.
@inline(__always)
func roughMean(_ p: UnsafePointer<Float>, count: Int) -> Float {
    let m = min(count, 64)
    var s: Float = 0
    for i in 0..<m { s += p[i] }
    return s / Float(m)
}

/// (Σ (x − shift), Σ (x − shift)²) over `count` floats: SIMD partial sums in float over blocks
/// of 4096, each block's total accumulated in double.
func shiftedSums(_ p: UnsafePointer<Float>, count: Int, shift: Float) -> (Double, Double) {
    typealias V = SIMD16<Float>
    let vshift = V(repeating: shift)
    var total = 0.0, totalSq = 0.0
    var i0 = 0
    while i0 < count {
        let end = min(i0 + 4096, count)
        var acc = V(), accSq = V(), i = i0
        while i + 16 <= end {
            let d = UnsafeRawPointer(p + i).loadUnaligned(as: V.self) - vshift
            acc += d
            accSq += d * d
            i += 16
        }
        var s = Double(acc.sum()), sq = Double(accSq.sum())
        while i < end { let d = Double(p[i] - shift); s += d; sq += d * d; i += 1 }
        total += s
        totalSq += sq
        i0 = end
    }
    return (total, totalSq)
}

/// Mean and biased variance of `count` floats, computed exactly as `instanceNorm` computes them
/// (shifted sums in double precision), so backward passes see the forward pass's statistics.
public func planeMeanVariance(_ p: UnsafePointer<Float>, count: Int) -> (mean: Float, variance: Float) {
    let shift = roughMean(p, count: count)
    let (s, sq) = shiftedSums(p, count: count, shift: shift)
    let meanShifted = s / Double(count)
    return (Float(Double(shift) + meanShifted), Float(max(sq / Double(count) - meanShifted * meanShifted, 0)))
}

/// d[i] = act(s[i]·scale + shift)
@inline(__always)
func applyAffine(_ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, count: Int,
                 scale: Float, shift: Float, activation: Activation) {
    typealias V = SIMD16<Float>
    let vs = V(repeating: scale), vb = V(repeating: shift), zero = V()
    var i = 0
    switch activation {
    case .none:
        while i + 16 <= count {
            let v = UnsafeRawPointer(s + i).loadUnaligned(as: V.self) * vs + vb
            UnsafeMutableRawPointer(d + i).storeBytes(of: v, as: V.self); i += 16
        }
        while i < count { d[i] = s[i] * scale + shift; i += 1 }
    case .relu:
        while i + 16 <= count {
            let v = UnsafeRawPointer(s + i).loadUnaligned(as: V.self) * vs + vb
            UnsafeMutableRawPointer(d + i).storeBytes(of: v.replacing(with: zero, where: v .< zero), as: V.self); i += 16
        }
        while i < count { d[i] = max(s[i] * scale + shift, 0); i += 1 }
    case .sigmoid:
        for j in 0..<count { d[j] = sigmoid(s[j] * scale + shift) }
    }
}

@inline(__always)
public func sigmoid(_ x: Float) -> Float { 1 / (1 + _exp(-x)) }

#if canImport(Glibc)
import Glibc
@inline(__always) func _exp(_ x: Float) -> Float { expf(x) }
#else
import Darwin
@inline(__always) func _exp(_ x: Float) -> Float { expf(x) }
#endif

/// Instance norm computed the obvious way in double precision: the reference for tests.
public func instanceNormReference(_ x: Tensor, gamma: [Float], beta: [Float], epsilon: Float = 1e-5,
                                  activation: Activation = .none) -> Tensor {
    let (n, c) = (x.shape[0], x.shape[1])
    let plane = x.shape[2] * x.shape[3]
    let v = x.scalars
    var out = [Float](repeating: 0, count: v.count)
    for p in 0..<(n * c) {
        let values = v[(p * plane)..<((p + 1) * plane)].map(Double.init)
        let mean = values.reduce(0, +) / Double(plane)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(plane)
        let g = Double(gamma[gamma.count == c ? p % c : p]), b = Double(beta[beta.count == c ? p % c : p])
        for i in 0..<plane {
            var y = Float(g * (values[i] - mean) / (variance + Double(epsilon)).squareRoot() + b)
            switch activation {
            case .none: break
            case .relu: y = max(y, 0)
            case .sigmoid: y = Float(1 / (1 + Foundation_exp(-Double(y))))
            }
            out[p * plane + i] = y
        }
    }
    return Tensor(shape: x.shape, values: out)
}

@inline(__always) private func Foundation_exp(_ x: Double) -> Double { exp(x) }

/// Mean and biased variance of one plane gathered piece by piece, for images processed in
/// stripes; the same shifted double-precision sums as `instanceNorm`.
public struct PlaneMoments: Sendable {
    var shift: Float?
    var sum = 0.0, sumOfSquares = 0.0
    var count = 0

    public init() {}

    public mutating func add(_ p: UnsafePointer<Float>, count n: Int) {
        guard n > 0 else { return }
        let s = shift ?? roughMean(p, count: n)
        shift = s
        let (a, b) = shiftedSums(p, count: n, shift: s)
        sum += a
        sumOfSquares += b
        count += n
    }

    public var meanVariance: (mean: Float, variance: Float) {
        let m = sum / Double(max(count, 1))
        return (Float(Double(shift ?? 0) + m), Float(max(sumOfSquares / Double(max(count, 1)) - m * m, 0)))
    }
}
