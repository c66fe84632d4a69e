import XCTest
import Models
import Tensor
@testable import Training

/// `LayerTraining`'s backward against central finite differences of L = Σ r ⊙ net(x) for a fixed
/// random r, on small networks holding every kind of `Layer`: ∂L/∂x, every parameter tensor and
/// the AdaIN inputs (scale, shift).
final class LayerTrainingTests: XCTestCase {
    /// conv 4×4/2 (reflect pad 1, bias) → IN → leaky ReLU → ×2 upsample + 5×5 conv → LN → ReLU →
    /// residual [3×3 conv, AdaIN 0, ReLU, 3×3 conv, AdaIN 1] → 3×3 conv → tanh: MUNIT's decoder
    /// and content encoder in miniature.
    let imageNetwork: [Layer] = [
        .conv("down", 3, 4, kernel: 4, stride: 2, padding: 1), .instanceNorm(name: "down.in", channels: 4), .leakyReLU(slope: 0.2),
        .conv("up", 4, 3, kernel: 5, upsample: true, bias: false), .layerNorm(name: "up.ln", channels: 3), .relu,
        .residual([.conv("res.0", 3, 3, kernel: 3), .adaptiveInstanceNorm(index: 0, channels: 3), .relu,
                   .conv("res.1", 3, 3, kernel: 3), .adaptiveInstanceNorm(index: 1, channels: 3)]),
        .conv("out", 3, 2, kernel: 3), .tanh,
    ]

    /// conv → ReLU → global average pooling → linear → ReLU → linear: MUNIT's style encoder and MLP.
    let codeNetwork: [Layer] = [
        .conv("c", 3, 5, kernel: 3, stride: 2, padding: 1), .relu, .globalAveragePool,
        .linear(name: "fc0", inputs: 5, outputs: 6), .relu, .linear(name: "fc1", inputs: 6, outputs: 4),
    ]

    func parameters(_ net: [Layer], seed: UInt64) -> [String: Tensor] {
        var p = net.initialParameters(seed: seed)
        for (name, shape) in net.parameterShapes where name.hasSuffix(".gamma") || name.hasSuffix(".beta") || name.hasSuffix(".bias") {
            let w = TrainingFixtures.weights(shape, seed: seed &+ UInt64(name.count))
            p[name] = name.hasSuffix(".gamma") ? Tensor(shape: shape, values: w.scalars.map { 1 + 0.5 * $0 }) : scale(w, by: 0.3)
        }
        return p
    }

    func adaptive(batch: Int, channels: [Int], seed: UInt64) -> AdaptiveParameters {
        channels.enumerated().map { i, c in
            (Tensor(shape: [batch, c], values: TrainingFixtures.weights([batch, c], seed: seed + UInt64(i)).scalars.map { 1 + 0.5 * $0 }),
             scale(TrainingFixtures.weights([batch, c], seed: seed + 50 + UInt64(i)), by: 0.3))
        }
    }

    func check(_ net: [Layer], inputShape: [Int], file: StaticString = #filePath, line: UInt = #line) {
        let params = parameters(net, seed: 31)
        let ada = adaptive(batch: inputShape[0], channels: net.adaptiveChannels, seed: 41)
        let x = TrainingFixtures.image(inputShape, seed: 3)
        let trace = LayerTraining.forward(net, params, x, adaptive: ada)
        XCTAssertEqual(trace.output.scalars, net(x, params, adaptive: ada).scalars, "traced forward = inference forward", file: file, line: line)
        let r = TrainingFixtures.weights(trace.output.shape, seed: 4)
        var grads: [String: Tensor] = [:], adaGrads: AdaptiveGradients = [:]
        let gx = LayerTraining.backward(net, params, trace, gradOutput: r, adaptive: ada, into: &grads, adaptiveGradients: &adaGrads)!
        XCTAssertEqual(Set(grads.keys), Set(net.parameterShapes.map(\.name)), file: file, line: line)
        XCTAssertEqual(adaGrads.count, ada.count, file: file, line: line)

        func loss(_ p: [String: Tensor], _ input: Tensor, _ a: AdaptiveParameters) -> Double {
            TrainingFixtures.dot(net(input, p, adaptive: a), r)
        }
        // Small steps: at 1e-3 the curvature of two normalizations in a row already shows (2–3%).
        let h: Float = 3e-4
        var rng = TrainingRandom(seed: 15)
        var tally = GradientAgreement()   // within 2% of max(1, |numeric|)
        func compare(_ analytic: Float, _ numeric: Double, _ what: String) { tally.compare(analytic, numeric, what) }
        for _ in 0..<6 {
            let i = rng.int(x.count)
            var xp = x, xm = x
            xp[i] += h; xm[i] -= h
            compare(gx[i], (loss(params, xp, ada) - loss(params, xm, ada)) / (2 * Double(h)), "∂x[\(i)]")
        }
        for name in grads.keys.sorted() {
            for _ in 0..<3 {
                let i = rng.int(grads[name]!.count)
                var pp = params, pm = params
                pp[name]![i] += h; pm[name]![i] -= h
                compare(grads[name]![i], (loss(pp, x, ada) - loss(pm, x, ada)) / (2 * Double(h)), "\(name)[\(i)]")
            }
        }
        for k in 0..<ada.count {
            for _ in 0..<3 {
                let i = rng.int(ada[k].scale.count)
                var sp = ada, sm = ada
                sp[k].scale[i] += h; sm[k].scale[i] -= h
                compare(adaGrads[k]!.scale[i], (loss(params, x, sp) - loss(params, x, sm)) / (2 * Double(h)), "adaptive \(k) scale[\(i)]")
                var tp = ada, tm = ada
                tp[k].shift[i] += h; tm[k].shift[i] -= h
                compare(adaGrads[k]!.shift[i], (loss(params, x, tp) - loss(params, x, tm)) / (2 * Double(h)), "adaptive \(k) shift[\(i)]")
            }
        }
        // Several ReLUs in a row put a few inputs near a kink: allow one.
        XCTAssertGreaterThanOrEqual(tally.agreeing, tally.total - 1, tally.summary, file: file, line: line)
        XCTAssertGreaterThan(tally.total, 20, file: file, line: line)
    }

    func testImageNetworkGradients() { check(imageNetwork, inputShape: [2, 3, 10, 6]) }
    func testOddSizedImageNetworkGradients() { check(imageNetwork, inputShape: [1, 3, 14, 10]) }
    func testCodeNetworkGradients() { check(codeNetwork, inputShape: [2, 3, 9, 7]) }

    /// A pass-through backward (weightGradients false) gives the same ∂x and no parameter gradients.
    func testPassThroughBackward() {
        let params = parameters(codeNetwork, seed: 5)
        let x = TrainingFixtures.image([1, 3, 8, 8], seed: 6)
        let trace = LayerTraining.forward(codeNetwork, params, x)
        let r = TrainingFixtures.weights(trace.output.shape, seed: 7)
        var full: [String: Tensor] = [:], none: [String: Tensor] = [:]
        let a = LayerTraining.backward(codeNetwork, params, trace, gradOutput: r, into: &full)!
        let b = LayerTraining.backward(codeNetwork, params, trace, gradOutput: r, weightGradients: false, into: &none)!
        XCTAssertEqual(a.scalars, b.scalars)
        XCTAssertTrue(none.isEmpty)
        XCTAssertFalse(full.isEmpty)
    }

    /// A second backward into the same dictionary adds: a network used twice in a step accumulates.
    func testGradientsAccumulate() {
        let params = parameters(codeNetwork, seed: 5)
        let x = TrainingFixtures.image([1, 3, 8, 8], seed: 6)
        let trace = LayerTraining.forward(codeNetwork, params, x)
        let r = TrainingFixtures.weights(trace.output.shape, seed: 7)
        var once: [String: Tensor] = [:], twice: [String: Tensor] = [:]
        LayerTraining.backward(codeNetwork, params, trace, gradOutput: r, inputGradient: false, into: &once)
        LayerTraining.backward(codeNetwork, params, trace, gradOutput: r, inputGradient: false, into: &twice)
        LayerTraining.backward(codeNetwork, params, trace, gradOutput: r, inputGradient: false, into: &twice)
        for (name, g) in once { XCTAssertEqual(twice[name]!.scalars, g.scalars.map { 2 * $0 }, name) }
    }
}
