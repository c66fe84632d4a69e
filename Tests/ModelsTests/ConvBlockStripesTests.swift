import XCTest
@testable import Models
import Tensor

/// A large image's conv blocks run in stripes (`ConvBlock.stripedConvolution`, no whole upsampled
/// or padded copy; instance norm in place): the same values as the plain path.
final class ConvBlockStripesTests: XCTestCase {
    static func values(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in Float(rng.next() >> 40) / 0x1p24 - 0.5 }
    }

    func testStripesEqualTheWholeImage() throws {
        // Upsampling or not, strides 1 and 2, kernels 3 and 9, sizes off the stripe height,
        // channel counts with and without Winograd (which needs enough of them).
        let cases: [ConvBlockSpec] = [
            ConvBlockSpec("a", 3, 8, kernel: 9),
            ConvBlockSpec("b", 8, 16, kernel: 3, stride: 2),
            ConvBlockSpec("c", 16, 8, kernel: 3, upsample: true),
            ConvBlockSpec("d", 32, 32, kernel: 3),
            ConvBlockSpec("e", 8, 3, kernel: 9, normalized: false, activation: .none),
        ]
        for (i, spec) in cases.enumerated() {
            let block = try ConvBlock(spec, weights: spec.initialWeights(seed: UInt64(i)))
            let (h, w) = (spec.upsample ? 13 : 27, spec.upsample ? 11 : 22)
            let x = Tensor(shape: [1, spec.inChannels, h, w], values: Self.values(spec.inChannels * h * w, seed: UInt64(10 + i)))
            let input = spec.upsample ? upsampleNearest(x, factor: 2) : x
            let p = spec.padding
            let whole = block.conv(pad2d(input, top: p, bottom: p, left: p, right: p, mode: .reflect))
            for rows in [4, 6, 32] {   // even stripe heights: Winograd's tiles fall as on the whole map
                let striped = block.stripedConvolution(x, stripeRows: rows)
                XCTAssertEqual(striped.shape, whole.shape, "\(spec.name) rows \(rows)")
                XCTAssertEqual(striped.scalars, whole.scalars, "\(spec.name) rows \(rows)")
            }
            let odd = block.stripedConvolution(x, stripeRows: 5)
            XCTAssertEqual(odd.shape, whole.shape)
            for (a, b) in zip(odd.scalars, whole.scalars) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), "\(spec.name) rows 5") }
        }
    }

    func testInPlaceInstanceNormMatches() {
        let x = Tensor(shape: [1, 5, 9, 13], values: Self.values(5 * 9 * 13, seed: 3).map { $0 * 4 + 2 })
        let gamma: [Float] = [1, 0.5, 2, -1, 0.1], beta: [Float] = [0, 1, -1, 0.5, 2]
        var y = x
        instanceNormInPlace(&y, gamma: gamma, beta: beta, activation: .relu)
        XCTAssertEqual(y.scalars, instanceNorm(x, gamma: gamma, beta: beta, activation: .relu).scalars)
        XCTAssertNotEqual(y.scalars, x.scalars, "x kept its values: the copy took the write")
    }

    /// The switch: a one-image input whose output reaches the bound runs striped; batches never.
    func testLargeOutputsRunInStripes() throws {
        let spec = ConvBlockSpec("u", 64, 32, kernel: 3, upsample: true)
        let block = try ConvBlock(spec, weights: spec.initialWeights(seed: 1))
        XCTAssertTrue(block.runsInStripes(inputShape: [1, 64, 1024, 1024]))    // 32 × 2048²: 128 Mi floats
        XCTAssertFalse(block.runsInStripes(inputShape: [1, 64, 256, 256]))
        XCTAssertFalse(block.runsInStripes(inputShape: [2, 64, 1024, 1024]))
    }
}
