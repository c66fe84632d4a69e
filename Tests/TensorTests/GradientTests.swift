import XCTest
import Tensor

/// Finite-difference checks of the non-convolution backward passes on small odd shapes.
final class GradientTests: XCTestCase {
    /// Distinct values spaced 0.05 apart, none within 0.025 of zero, in random order: a step of
    /// ε = 1e-2 along any direction in [−1, 1]ⁿ never reorders two values or flips a sign, so ReLU
    /// and max pooling stay on one linear piece during the check.
    func wellSeparated(_ shape: [Int], _ rng: inout SeededValues) -> Tensor {
        let count = shape.reduce(1, *)
        var values = (0..<count).map { Float($0 - count / 2) * 0.05 + 0.025 }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = min(i, Int((rng.next() + 1) / 2 * Float(i + 1)))
            values.swapAt(i, j)
        }
        return Tensor(shape: shape, values: values)
    }

    func testPaddingBackward() {
        var rng = SeededValues(seed: 21)
        var check = GradientCheck(seed: 22)
        let x = rng.tensor([2, 3, 5, 7])
        for mode in [PaddingMode.zero, .reflect] {
            for (t, b, l, r) in [(1, 1, 1, 1), (4, 2, 6, 3), (0, 3, 2, 0)] {
                let y = pad2d(x, top: t, bottom: b, left: l, right: r, mode: mode)
                let weights = rng.tensor(y.shape)
                let g = pad2dBackward(weights, top: t, bottom: b, left: l, right: r, mode: mode)
                check.check("pad2d \(mode) (\(t),\(b),\(l),\(r))", at: x, gradient: g, tolerance: 1e-4) {
                    GradientCheck.weightedSum(pad2d($0, top: t, bottom: b, left: l, right: r, mode: mode), weights)
                }
            }
        }
        // Reflect: [a b c] → [c b | a b c | b a] with gradients [1, 10 | 100, 1e3, 1e4 | 1e5, 1e6].
        let row = pad2dBackward(Tensor(shape: [1, 1, 1, 7], values: [1, 10, 100, 1000, 10_000, 100_000, 1_000_000]),
                                top: 0, bottom: 0, left: 2, right: 2, mode: .reflect)
        let expected: [Float] = [1_000_100, 101_010, 10_001]   // a: two copies, b: three, c: two
        XCTAssertEqual(row.scalars, expected)
    }

    func testActivationsBackward() {
        var rng = SeededValues(seed: 23)
        var check = GradientCheck(seed: 24)
        let x = wellSeparated([2, 3, 5, 7], &rng), weights = rng.tensor([2, 3, 5, 7])
        check.check("relu (from input)", at: x, gradient: reluBackward(x, gradOutput: weights), tolerance: 1e-4) {
            GradientCheck.weightedSum(relu($0), weights)
        }
        XCTAssertEqual(reluBackward(relu(x), gradOutput: weights).scalars, reluBackward(x, gradOutput: weights).scalars)
        let z = rng.tensor([2, 3, 5, 7])
        check.check("sigmoid", at: z, gradient: sigmoidBackward(output: sigmoid(z), gradOutput: weights), tolerance: 1e-3) {
            GradientCheck.weightedSum(sigmoid($0), weights)
        }
    }

    func testUpsampleAndMaxPoolBackward() {
        var rng = SeededValues(seed: 25)
        var check = GradientCheck(seed: 26)
        let x = rng.tensor([2, 3, 5, 7])
        for f in [1, 2, 3] {
            let weights = rng.tensor([2, 3, 5 * f, 7 * f])
            check.check("upsample ×\(f)", at: x, gradient: upsampleNearestBackward(weights, factor: f), tolerance: 1e-4) {
                GradientCheck.weightedSum(upsampleNearest($0, factor: f), weights)
            }
        }
        for shape in [[2, 3, 5, 7], [1, 2, 6, 8]] {
            let p = wellSeparated(shape, &rng)
            let weights = rng.tensor([shape[0], shape[1], shape[2] / 2, shape[3] / 2])
            check.check("max pool \(shape)", at: p, gradient: maxPool2x2Backward(input: p, gradOutput: weights), tolerance: 1e-4) {
                GradientCheck.weightedSum(maxPool2x2($0), weights)
            }
        }
        // Ties: the first maximum in (top-left, top-right, bottom-left, bottom-right) order wins.
        let tied = Tensor(shape: [1, 1, 2, 2], values: [1, 3, 3, 3])
        XCTAssertEqual(maxPool2x2Backward(input: tied, gradOutput: Tensor(shape: [1, 1, 1, 1], values: [5])).scalars, [0, 5, 0, 0])
    }

    func testInstanceNormBackward() {
        var rng = SeededValues(seed: 27)
        var check = GradientCheck(seed: 28)
        let (n, c) = (2, 3)
        let x = rng.tensor([n, c, 5, 7])
        for (activation, rows) in [(Activation.none, c), (.sigmoid, c), (.none, n * c)] {
            let gamma = (0..<rows).map { _ in 0.5 + rng.next() }, beta = (0..<rows).map { _ in 0.3 * rng.next() }
            let weights = rng.tensor(x.shape)
            let g = instanceNormBackward(x, gamma: gamma, beta: beta, gradOutput: weights, activation: activation)
            let name = "instance norm \(activation) γ×\(rows)"
            check.check("\(name) ∂x", at: x, gradient: g.gradInput, tolerance: 2e-3) {
                GradientCheck.weightedSum(instanceNorm($0, gamma: gamma, beta: beta, activation: activation), weights)
            }
            check.check("\(name) ∂γ", at: Tensor(shape: [rows], values: gamma), gradient: Tensor(shape: [rows], values: g.gradGamma), tolerance: 2e-3) {
                GradientCheck.weightedSum(instanceNorm(x, gamma: $0.scalars, beta: beta, activation: activation), weights)
            }
            check.check("\(name) ∂β", at: Tensor(shape: [rows], values: beta), gradient: Tensor(shape: [rows], values: g.gradBeta), tolerance: 2e-3) {
                GradientCheck.weightedSum(instanceNorm(x, gamma: gamma, beta: $0.scalars, activation: activation), weights)
            }
        }
    }

    /// The fused ReLU variant equals ReLU backward followed by the plain one. (Finite differences
    /// are no test here: moving one x moves the whole plane's statistics, so some z near 0 crosses.)
    func testInstanceNormWithReluEqualsComposition() {
        var rng = SeededValues(seed: 29)
        let x = rng.tensor([2, 3, 5, 7]), gy = rng.tensor([2, 3, 5, 7])
        let gamma = (0..<3).map { _ in 0.5 + rng.next() }, beta = (0..<3).map { _ in 0.3 * rng.next() }
        let fused = instanceNormBackward(x, gamma: gamma, beta: beta, gradOutput: gy, activation: .relu)
        let y = instanceNorm(x, gamma: gamma, beta: beta, activation: .relu)
        let plain = instanceNormBackward(x, gamma: gamma, gradOutput: reluBackward(y, gradOutput: gy))
        assertClose(fused.gradInput, plain.gradInput, tolerance: 1e-5, "∂x")
        assertClose(Tensor(shape: [3], values: fused.gradGamma), Tensor(shape: [3], values: plain.gradGamma), tolerance: 1e-5, "∂γ")
        assertClose(Tensor(shape: [3], values: fused.gradBeta), Tensor(shape: [3], values: plain.gradBeta), tolerance: 1e-5, "∂β")
    }
}
