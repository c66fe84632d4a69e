import XCTest
import Tensor
@testable import Training

final class PaletteAugmentationTests: XCTestCase {
    /// A [2, 3, 4, 5] batch of mid-range values (no channel leaves 0…1 under a hue turn at saturation ≤ 1).
    func batch(seed: UInt64 = 3) -> Tensor {
        var rng = TrainingRandom(seed: seed)
        return Tensor(shape: [2, 3, 4, 5], values: (0..<120).map { _ in Float(0.35 + 0.3 * rng.uniform()) })
    }

    func pixel(_ x: Tensor, _ n: Int, _ i: Int) -> [Float] { (0..<3).map { x.scalars[(n * 3 + $0) * 20 + i] } }
    func luma(_ v: [Float]) -> Float { 0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2] }

    func testYIQMatricesAreInverse() {
        let id = PaletteAugmentation.multiply(PaletteAugmentation.fromYIQ, PaletteAugmentation.toYIQ)
        for i in 0..<3 { for j in 0..<3 { XCTAssertEqual(id[i][j], i == j ? 1 : 0, accuracy: 1e-5) } }
    }

    func testTheIdentityDrawChangesNothing() {
        var x = batch()
        let before = x.scalars
        PaletteAugmentation.apply(.init(), to: &x, image: 1)
        for (a, b) in zip(x.scalars, before) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    /// A hue turn keeps each pixel's luminance and turning back by −θ restores the colours.
    func testHueTurnKeepsLuminanceAndIsUndone() {
        var x = batch()
        let before = x
        PaletteAugmentation.apply(.init(hue: 2.1), to: &x, image: 0)
        for i in 0..<20 {
            XCTAssertEqual(luma(pixel(x, 0, i)), luma(pixel(before, 0, i)), accuracy: 1e-5)
            XCTAssertNotEqual(pixel(x, 0, i), pixel(before, 0, i))
            XCTAssertEqual(pixel(x, 1, i), pixel(before, 1, i), "only image 0 is touched")
        }
        PaletteAugmentation.apply(.init(hue: -2.1), to: &x, image: 0)
        for (a, b) in zip(x.scalars, before.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testZeroSaturationIsGrey() {
        var x = batch()
        let before = x
        PaletteAugmentation.apply(.init(hue: 0.7, saturation: 0), to: &x, image: 1)
        for i in 0..<20 {
            let v = pixel(x, 1, i), y = luma(pixel(before, 1, i))
            for c in 0..<3 { XCTAssertEqual(v[c], y, accuracy: 1e-5) }
        }
    }

    /// Inversion is 1 − x; contrast k keeps each channel's mean and scales its deviations by k.
    func testInversionAndContrast() {
        var x = batch()
        let before = x
        PaletteAugmentation.apply(.init(invert: true, contrast: 1.2), to: &x, image: 0)
        for c in 0..<3 {
            let inv = (0..<20).map { 1 - before.scalars[c * 20 + $0] }
            let mean = inv.reduce(0, +) / 20
            for i in 0..<20 { XCTAssertEqual(x.scalars[c * 20 + i], mean + 1.2 * (inv[i] - mean), accuracy: 1e-5) }
        }
    }

    func testResultsStayInRange() {
        var x = batch()
        PaletteAugmentation.apply(.init(hue: 1, saturation: 1.5, contrast: 1.3), to: &x, image: 0)
        XCTAssertTrue(x.scalars.allSatisfy { (0...1).contains($0) })
    }

    /// Probability 0 leaves the batch and the random sequence alone; 1 changes every image, the same
    /// way for the same random state.
    func testProbabilityAndDeterminism() {
        var x = batch(), rng = TrainingRandom(seed: 9)
        PaletteAugmentation(probability: 0).apply(to: &x, rng: &rng)
        XCTAssertEqual(x.scalars, batch().scalars)
        XCTAssertEqual(rng.state, TrainingRandom(seed: 9).state)

        var a = batch(), b = batch(), r1 = TrainingRandom(seed: 5), r2 = TrainingRandom(seed: 5)
        PaletteAugmentation(probability: 1).apply(to: &a, rng: &r1)
        PaletteAugmentation(probability: 1).apply(to: &b, rng: &r2)
        XCTAssertEqual(a.scalars, b.scalars)
        for n in 0..<2 { XCTAssertNotEqual(Array(a.scalars[n * 60..<(n + 1) * 60]), Array(batch().scalars[n * 60..<(n + 1) * 60])) }
    }
}
