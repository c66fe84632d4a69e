import XCTest
import Models
import Tensor
@testable import Training

/// MUNIT's domain-invariant perceptual loss: its value against a plain per-plane computation,
/// zero for a translation equal to its source, and ∂L/∂x against central differences.
final class DomainInvariantPerceptualLossTests: XCTestCase {
    /// mean over all features of (x̂ − t̂)², x̂ the feature plane minus its mean over its biased
    /// deviation (ε = 1e-5, as InstanceNorm2d), in double precision.
    func plainLoss(_ f: Tensor, _ g: Tensor) -> Double {
        let plane = f.shape[2] * f.shape[3]
        func normalized(_ t: Tensor, _ p: Int) -> [Double] {
            let v = (0..<plane).map { Double(t[p * plane + $0]) }
            let mean = v.reduce(0, +) / Double(plane)
            let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(plane)
            return v.map { ($0 - mean) / (variance + 1e-5).squareRoot() }
        }
        var total = 0.0
        for p in 0..<(f.count / plane) {
            total += zip(normalized(f, p), normalized(g, p)).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        }
        return total / Double(f.count)
    }

    func testValueIsTheMeanSquaredDifferenceOfNormalizedFeatures() throws {
        let loss = try DomainInvariantPerceptualLoss(vgg: TrainingFixtures.perceptualLoss)
        let x = MUNITImages.toSigned(TrainingFixtures.image([1, 3, 48, 40], seed: 3))
        let y = MUNITImages.toSigned(TrainingFixtures.image([1, 3, 48, 40], seed: 4))
        let value = loss.lossAndGradient(x, target: loss.target(y)).value
        let features = { (t: Tensor) in TrainingFixtures.perceptualLoss.forward(MUNITImages.toUnit(t), layers: ["block5_conv3"]).features["block5_conv3"]! }
        let plain = plainLoss(features(x), features(y))
        XCTAssertGreaterThan(plain, 0.1)
        XCTAssertEqual(Double(value), plain, accuracy: 1e-4 * plain)
    }

    func testATranslationEqualToItsSourceCostsNothing() throws {
        let loss = try DomainInvariantPerceptualLoss(vgg: TrainingFixtures.perceptualLoss, layer: "block3_conv3")
        let x = MUNITImages.toSigned(TrainingFixtures.image([2, 3, 20, 24], seed: 5))
        let r = loss.lossAndGradient(x, target: loss.target(x))
        XCTAssertEqual(r.value, 0, accuracy: 1e-9)
        XCTAssertEqual(r.gradient.scalars.map(abs).max()!, 0, accuracy: 1e-9)
    }

    func testLayerNamesAndDownsampling() throws {
        XCTAssertEqual(try DomainInvariantPerceptualLoss(vgg: TrainingFixtures.perceptualLoss).downsampling, 16)
        XCTAssertEqual(try DomainInvariantPerceptualLoss(vgg: TrainingFixtures.perceptualLoss, layer: "block1_conv2").downsampling, 1)
        XCTAssertThrowsError(try DomainInvariantPerceptualLoss(vgg: TrainingFixtures.perceptualLoss, layer: "pool"))
        XCTAssertThrowsError(try DomainInvariantPerceptualLoss(vgg: TrainingFixtures.perceptualLoss, layer: "block6_conv1"))
    }

    /// Through the (x + 1)/2 map, VGG16 and instance normalization, at the paper's layer and a
    /// shallower one; as in `PerceptualLossTests`, a ReLU or pool kink within the step may spoil
    /// a pixel's quotient now and then, a wiring error would spoil all: 8 of 10 must agree.
    func testGradientMatchesFiniteDifferences() throws {
        for (layer, side) in [("block5_conv3", 48), ("block2_conv2", 14)] {
            let loss = try DomainInvariantPerceptualLoss(vgg: TrainingFixtures.perceptualLoss, layer: layer)
            let x = MUNITImages.toSigned(TrainingFixtures.image([1, 3, side, side], seed: 7))
            let target = loss.target(MUNITImages.toSigned(TrainingFixtures.image([1, 3, side, side], seed: 8)))
            let g = loss.lossAndGradient(x, target: target).gradient
            var tally = GradientAgreement(relative: 5e-2, absolute: 1e-5)   // the gradients are 1e-5…1e-2
            tally.compareInputGradient(g, at: x, pixels: 10, step: 2e-3, seed: 9) { Double(loss.lossAndGradient($0, target: target).value) }
            XCTAssertGreaterThanOrEqual(tally.agreeing, 8, "\(layer): " + tally.summary)
        }
    }
}
