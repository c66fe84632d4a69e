import Foundation
import XCTest
import Tensor

/// Central finite differences against an analytic gradient.
///
/// The scalar under test is usually L(x) = Σ r ⊙ f(x) for a fixed random r (so ∂L/∂f = r), summed
/// in double precision. Two measures, both relative:
///   directional:  |(L(x + εd) − L(x − εd)) / 2ε − ⟨∇L, d⟩| / Σᵢ|∇L[i]·d[i]| for a random direction d
///                 (the denominator is the dot product's size without cancellation)
///   coordinates:  max over a random subset of coordinates i of
///                 |(L(x + εeᵢ) − L(x − εeᵢ)) / 2ε − ∇L[i]| / max_j |∇L[j]|
struct GradientCheck {
    var rng: SeededValues
    var epsilon: Float = 1e-2
    var coordinates = 12

    init(seed: UInt64, epsilon: Float = 1e-2) {
        rng = SeededValues(seed: seed)
        self.epsilon = epsilon
    }

    /// Σ r ⊙ y in double precision.
    static func weightedSum(_ y: Tensor, _ r: Tensor) -> Double {
        precondition(y.shape == r.shape, "weighted sum: \(y.shape) vs \(r.shape)")
        let yv = y.scalars, rv = r.scalars
        var s = 0.0
        for i in 0..<yv.count { s += Double(yv[i]) * Double(rv[i]) }
        return s
    }

    mutating func errors(at x: Tensor, gradient: Tensor, _ loss: (Tensor) -> Double) -> (directional: Double, coordinates: Double) {
        precondition(x.shape == gradient.shape, "gradient \(gradient.shape) for input \(x.shape)")
        let eps = Double(epsilon)
        let d = rng.tensor(x.shape)
        let numeric = (loss(shifted(x, by: d, times: epsilon)) - loss(shifted(x, by: d, times: -epsilon))) / (2 * eps)
        let analytic = GradientCheck.weightedSum(gradient, d)
        let magnitude = zip(gradient.scalars, d.scalars).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        let directional = abs(numeric - analytic) / max(magnitude, 1e-12)

        let g = gradient.scalars
        let scale = max(g.map { abs(Double($0)) }.max() ?? 0, 1e-12)
        var worst = 0.0
        for _ in 0..<min(coordinates, x.count) {
            let i = min(x.count - 1, Int((rng.next() + 1) / 2 * Float(x.count)))
            var plus = x, minus = x
            plus[i] += epsilon
            minus[i] -= epsilon
            let numericI = (loss(plus) - loss(minus)) / (Double(plus[i]) - Double(minus[i]))
            worst = max(worst, abs(numericI - Double(g[i])) / scale)
        }
        return (directional, worst)
    }

    /// Checks both measures against `tolerance` and prints them (the report quotes these lines).
    mutating func check(_ name: String, at x: Tensor, gradient: Tensor, tolerance: Double,
                        file: StaticString = #filePath, line: UInt = #line, _ loss: (Tensor) -> Double) {
        let e = errors(at: x, gradient: gradient, loss)
        print(String(format: "finite differences %@: directional %.2e, coordinates %.2e", name, e.directional, e.coordinates))
        XCTAssertLessThanOrEqual(e.directional, tolerance, "\(name): directional derivative", file: file, line: line)
        XCTAssertLessThanOrEqual(e.coordinates, tolerance, "\(name): coordinates", file: file, line: line)
    }

    private func shifted(_ x: Tensor, by d: Tensor, times t: Float) -> Tensor {
        Tensor(shape: x.shape, values: zip(x.scalars, d.scalars).map { $0 + t * $1 })
    }
}
