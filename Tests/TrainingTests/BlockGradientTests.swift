import XCTest
import Models
import Tensor
@testable import Training

/// Each conv block's hand-chained backward against central finite differences of
/// L = Σ r ⊙ block(x) for a fixed random r. (Inputs are chosen so no ReLU input lies within the
/// finite-difference step of zero; [1, 4, 5, 6] into the upsampling block has one that does.)
final class BlockGradientTests: XCTestCase {
    func check(_ spec: ConvBlockSpec, inputShape: [Int], file: StaticString = #filePath, line: UInt = #line) {
        var params = StyleBankArchitecture.initialize(spec, seed: 5)
        if spec.normalized {   // non-trivial γ (kept away from 0, where ReLU kinks crowd), β
            params["\(spec.name).gamma"] = Tensor(shape: [spec.outChannels],
                                                  values: TrainingFixtures.weights([spec.outChannels], seed: 8).scalars.map { 1 + 0.5 * $0 })
            params["\(spec.name).beta"] = TrainingFixtures.weights([spec.outChannels], seed: 9)
        }
        let x = TrainingFixtures.image(inputShape, seed: 3)
        let out = BlockTraining.forward(spec, params, x)
        let r = TrainingFixtures.weights(out.output.shape, seed: 4)
        let (gx, grads) = BlockTraining.backward(spec, params, out, gradOutput: r, inputGradient: true)
        func loss(_ p: [String: Tensor], _ input: Tensor) -> Double { TrainingFixtures.dot(BlockTraining.forward(spec, p, input).output, r) }

        // Small steps: a ReLU kink inside ±h spoils the difference quotient.
        let h: Float = 1e-3
        var rng = TrainingRandom(seed: 11)
        // Input gradient at a few coordinates.
        for _ in 0..<6 {
            let i = rng.int(x.count)
            var xp = x, xm = x
            xp[i] += h; xm[i] -= h
            let numeric = (loss(params, xp) - loss(params, xm)) / (2 * Double(h))
            XCTAssertEqual(Double(gx![i]), numeric, accuracy: 2e-2 * max(1, abs(numeric)), "\(spec.name) ∂x[\(i)]", file: file, line: line)
        }
        // Every parameter tensor at a few coordinates.
        for name in grads.keys.sorted() {
            let g = grads[name]!
            for _ in 0..<4 {
                let i = rng.int(g.count)
                var pp = params, pm = params
                pp[name]![i] += h; pm[name]![i] -= h
                let numeric = (loss(pp, x) - loss(pm, x)) / (2 * Double(h))
                XCTAssertEqual(Double(g[i]), numeric, accuracy: 2e-2 * max(1, abs(numeric)), "\(name)[\(i)]", file: file, line: line)
            }
        }
    }

    func testNormalizedStridedBlock() { check(ConvBlockSpec("b", 3, 5, kernel: 3, stride: 2), inputShape: [2, 3, 9, 11]) }
    func testUpsamplingLinearBlock() { check(ConvBlockSpec("b", 4, 3, kernel: 3, upsample: true, activation: .none), inputShape: [1, 4, 5, 6]) }
    func testUpsamplingBlock() { check(ConvBlockSpec("b", 4, 3, kernel: 3, upsample: true), inputShape: [2, 4, 4, 7]) }
    func testOutputBlockWithBiasAndSigmoid() { check(ConvBlockSpec("b", 3, 3, kernel: 9, normalized: false, activation: .sigmoid), inputShape: [1, 3, 10, 12]) }
    func testLinearNormalizedBlock() { check(ConvBlockSpec("b", 2, 4, kernel: 1, activation: .none), inputShape: [2, 2, 5, 5]) }
}
