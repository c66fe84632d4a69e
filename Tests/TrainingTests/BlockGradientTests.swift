import XCTest
import Models
import Tensor
@testable import Training

/// Each conv block's hand-chained backward against central finite differences of
/// L = Σ r ⊙ block(x) for a fixed random r. (Inputs are chosen so no ReLU input lies within the
/// finite-difference step of zero; [1, 4, 5, 6] into the upsampling block has one that does.)
final class BlockGradientTests: XCTestCase {
    func check(_ spec: ConvBlockSpec, inputShape: [Int], file: StaticString = #filePath, line: UInt = #line) {
        var params = spec.initialWeights(seed: 5)
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

    /// A chain with a residual layer (conv → R) through ChainTraining: ∂L/∂x and every parameter
    /// tensor against central differences, as `check` does for one block.
    func testChainWithResidualLayer() {
        let layers: [LayerSpec] = [.conv(ConvBlockSpec("c", 3, 4, kernel: 3)), .residual("r", channels: 4)]
        var params: [String: Tensor] = [:]
        for (i, layer) in layers.enumerated() { params.merge(layer.initialWeights(seed: 20 + UInt64(i))) { a, _ in a } }
        params["r.1.gamma"] = Tensor(shape: [4], values: [0.8, -1.2, 1.5, 0.6])   // active, not the identity
        params["r.0.beta"] = TrainingFixtures.weights([4], seed: 12)
        let x = TrainingFixtures.image([1, 3, 7, 6], seed: 13)
        let acts = ChainTraining.forward(layers, params, x)
        let r = TrainingFixtures.weights(acts.output.shape, seed: 14)
        var grads: [String: Tensor] = [:]
        let gx = ChainTraining.backward(layers, params, acts, gradOutput: r, inputGradient: true, into: &grads)!
        func loss(_ p: [String: Tensor], _ input: Tensor) -> Double { TrainingFixtures.dot(ChainTraining.forward(layers, p, input).output, r) }
        XCTAssertEqual(Set(grads.keys), Set(layers.flatMap(\.parameterNames)))
        let h: Float = 1e-3
        var rng = TrainingRandom(seed: 15)
        var tally = GradientAgreement()   // within 2% of max(1, |numeric|)
        func compare(_ analytic: Float, _ numeric: Double, _ what: String) { tally.compare(analytic, numeric, what) }
        for _ in 0..<6 {
            let i = rng.int(x.count)
            var xp = x, xm = x
            xp[i] += h; xm[i] -= h
            compare(gx[i], (loss(params, xp) - loss(params, xm)) / (2 * Double(h)), "∂x[\(i)]")
        }
        for name in grads.keys.sorted() {
            for _ in 0..<3 {
                let i = rng.int(grads[name]!.count)
                var pp = params, pm = params
                pp[name]![i] += h; pm[name]![i] -= h
                compare(grads[name]![i], (loss(pp, x) - loss(pm, x)) / (2 * Double(h)), "\(name)[\(i)]")
            }
        }
        // Two IN-ReLU layers in a row put more ReLU inputs near 0 than one block: allow one kink.
        XCTAssertGreaterThanOrEqual(tally.agreeing, tally.total - 1, tally.summary)
    }
}
