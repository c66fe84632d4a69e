import XCTest
import Tensor

final class LossTests: XCTestCase {
    func testMeanSquaredError() {
        var rng = SeededValues(seed: 31)
        var check = GradientCheck(seed: 32)
        let a = rng.tensor([2, 3, 5, 7]), b = rng.tensor([2, 3, 5, 7])
        let (value, gradient) = mseLoss(a, b)
        let direct = zip(a.scalars, b.scalars).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +) / Double(a.count)
        XCTAssertEqual(Double(value), direct, accuracy: 1e-6)
        check.check("mse", at: a, gradient: gradient, tolerance: 1e-3) { Double(mseLoss($0, b).value) }
    }

    /// |a − b| has a kink at 0; random a and b are far from equal at the checked coordinates.
    func testMeanAbsoluteError() {
        var rng = SeededValues(seed: 33)
        var check = GradientCheck(seed: 34)
        let a = rng.tensor([2, 3, 4, 5]), b = rng.tensor([2, 3, 4, 5])
        let (value, gradient) = l1Loss(a, b)
        let direct = zip(a.scalars, b.scalars).map { abs(Double($0 - $1)) }.reduce(0, +) / Double(a.count)
        XCTAssertEqual(Double(value), direct, accuracy: 1e-6)
        check.check("l1", at: a, gradient: gradient, tolerance: 1e-3) { Double(l1Loss($0, b).value) }
        XCTAssertEqual(l1Loss(a, a).gradient.scalars, [Float](repeating: 0, count: a.count))
    }

    func testTotalVariation() {
        var rng = SeededValues(seed: 33)
        var check = GradientCheck(seed: 34)
        let x = rng.tensor([2, 3, 5, 7])
        let (value, gradient) = totalVariationLoss(x)
        // The documented normalization, from the definition.
        let v = x.scalars
        var sum = 0.0
        for p in 0..<6 { for y in 0..<5 { for i in 0..<7 {
            let at = p * 35 + y * 7 + i
            if i < 6 { sum += pow(Double(v[at + 1] - v[at]), 2) }
            if y < 4 { sum += pow(Double(v[at + 7] - v[at]), 2) }
        } } }
        XCTAssertEqual(Double(value), sum / Double(x.count), accuracy: 1e-6)
        check.check("total variation", at: x, gradient: gradient, tolerance: 1e-3) { Double(totalVariationLoss($0).value) }
    }

    func testGramMatrixMatchesDirectComputation() {
        var rng = SeededValues(seed: 35)
        for shape in [[2, 3, 5, 7], [1, 17, 9, 11], [3, 1, 1, 1], [1, 40, 20, 21], [2, 33, 6, 5], [1, 70, 13, 3]] {
            let f = rng.tensor(shape)
            let g = gramMatrix(f)
            assertClose(g, gramMatrixReference(f), tolerance: 1e-6, "\(shape)")
            XCTAssertEqual(g.shape, [shape[0], shape[1], shape[1]])
        }
    }

    /// L = Σ r ⊙ G(F) for a random (non-symmetric) r checks `gramBackward`; then the style loss.
    func testGramAndStyleLossGradients() {
        var rng = SeededValues(seed: 36)
        var check = GradientCheck(seed: 37)
        for shape in [[2, 3, 5, 7], [1, 19, 9, 11]] {
            let f = rng.tensor(shape)
            let r = rng.tensor([shape[0], shape[1], shape[1]])
            check.check("gram \(shape)", at: f, gradient: gramBackward(features: f, gradGram: r), tolerance: 1e-3) {
                GradientCheck.weightedSum(gramMatrix($0), r)
            }
            for target in [gramMatrix(rng.tensor([1] + shape.dropFirst())), gramMatrix(rng.tensor(shape))] {
                let (value, gradient) = styleLoss(features: f, targetGram: target)
                let g = gramMatrix(f).scalars, t = target.scalars
                let direct = g.indices.map { i in pow(Double(g[i] - t[i % t.count]), 2) }.reduce(0, +) / Double(g.count)
                XCTAssertEqual(Double(value), direct, accuracy: 1e-6 * max(direct, 1))
                check.check("style loss \(shape) target \(target.shape)", at: f, gradient: gradient, tolerance: 2e-3) {
                    Double(styleLoss(features: $0, targetGram: target).value)
                }
            }
        }
    }
}
