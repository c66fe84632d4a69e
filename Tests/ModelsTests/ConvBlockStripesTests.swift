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

    /// Two blocks in stripes (the first's output never whole) against running them one by one:
    /// an encoder's front (9×9, then 3×3 / 2) and a decoder's back (×2 3×3, then a linear 9×9).
    func testStripedPairsEqualTheBlocksInTurn() throws {
        let pairs: [(ConvBlockSpec, ConvBlockSpec, [Int])] = [
            (ConvBlockSpec("f0", 3, 8, kernel: 9), ConvBlockSpec("f1", 8, 16, kernel: 3, stride: 2), [1, 3, 29, 23]),
            (ConvBlockSpec("b0", 16, 8, kernel: 3, upsample: true), ConvBlockSpec("b1", 8, 3, kernel: 9, normalized: false, activation: .none), [1, 16, 15, 12]),
        ]
        for (i, (a, b, shape)) in pairs.enumerated() {
            var wa = a.initialWeights(seed: UInt64(20 + i)), wb = b.initialWeights(seed: UInt64(30 + i))
            // γ and β away from 1 and 0, so a wrong statistic cannot hide.
            if a.normalized { wa["\(a.name).gamma"] = Tensor(shape: [a.outChannels], values: Self.values(a.outChannels, seed: 5).map { 1 + $0 }) }
            if b.normalized { wb["\(b.name).beta"] = Tensor(shape: [b.outChannels], values: Self.values(b.outChannels, seed: 6)) }
            let (first, second) = (try ConvBlock(a, weights: wa), try ConvBlock(b, weights: wb))
            let x = Tensor(shape: shape, values: Self.values(shape.reduce(1, *), seed: UInt64(40 + i)))
            let inTurn = second(first(x))
            for rows in [4, 7, 64] {
                let striped = StripedPair.run(first, second, x, stripeRows: rows)
                XCTAssertEqual(striped.shape, inTurn.shape, "\(a.name) rows \(rows)")
                for (u, v) in zip(striped.scalars, inTurn.scalars) { XCTAssertEqual(u, v, accuracy: 2e-4 * max(1, abs(v)), "\(a.name) rows \(rows)") }
            }
        }
    }

    /// Which pairs run striped: a large one-image input to an IN + ReLU block followed by a block
    /// that does not upsample; not a small one, a batch, or a first block that is not IN + ReLU.
    func testWhichPairsRunStriped() throws {
        func block(_ spec: ConvBlockSpec) throws -> ConvBlock { try ConvBlock(spec, weights: spec.initialWeights(seed: 1)) }
        let front = try block(ConvBlockSpec("f0", 3, 32, kernel: 9)), next = try block(ConvBlockSpec("f1", 32, 64, kernel: 3, stride: 2))
        XCTAssertTrue(StripedPair.suits(front, next, inputShape: [1, 3, 2048, 2048]))
        XCTAssertFalse(StripedPair.suits(front, next, inputShape: [1, 3, 512, 512]))
        XCTAssertFalse(StripedPair.suits(front, next, inputShape: [2, 3, 2048, 2048]))
        let linear = try block(ConvBlockSpec("l", 3, 32, kernel: 9, normalized: false, activation: .none))
        XCTAssertFalse(StripedPair.suits(linear, next, inputShape: [1, 3, 2048, 2048]))
        let upsampling = try block(ConvBlockSpec("u", 32, 16, kernel: 3, upsample: true))
        XCTAssertFalse(StripedPair.suits(front, upsampling, inputShape: [1, 3, 2048, 2048]))
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
