import XCTest
import Models
import Tensor
@testable import Training

final class PerceptualLossTests: XCTestCase {
    /// ∂(Σ r_l ⊙ VGG_l(x)) / ∂x through ReLUs, max pools, zero padding and the Caffe preprocessing,
    /// against central differences at 10 input pixels. Thousands of ReLUs and pool maxima sit
    /// between input and loss, so now and then one lies within the step of its kink and spoils
    /// that pixel's quotient; a wiring error would spoil all of them, so 8 of 10 must agree.
    func testInputGradientMatchesFiniteDifferences() {
        let vgg = TrainingFixtures.perceptualLoss
        let x = TrainingFixtures.image([1, 3, 16, 16], seed: 21)
        let layers: Set = ["block1_conv2", "block3_conv3", "block4_conv2"]
        let acts = vgg.forward(x, layers: layers)
        var r: [String: Tensor] = [:]
        for (i, l) in layers.sorted().enumerated() { r[l] = TrainingFixtures.weights(acts.features[l]!.shape, seed: UInt64(30 + i)) }
        let g = vgg.backward(acts, featureGradients: r)
        func loss(_ input: Tensor) -> Double {
            let f = vgg.forward(input, layers: layers).features
            return layers.reduce(0.0) { $0 + TrainingFixtures.dot(f[$1]!, r[$1]!) }
        }
        var tally = GradientAgreement(relative: 3e-2, absolute: 3e-2)   // 3% of max(1, |numeric|)
        tally.compareInputGradient(g, at: x, pixels: 10, step: 1e-3, seed: 5, loss: loss)
        XCTAssertGreaterThanOrEqual(tally.agreeing, 8, tally.summary)
    }
}
