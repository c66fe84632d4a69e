import XCTest
import Tensor

/// AdaIN's forward against a plain loop, and its backward passes (through the content, through
/// the style's μ and σ, and the moment loss) against central finite differences.
final class AdaINTests: XCTestCase {
    /// μ, σ = √(var + ε) per plane, in double precision, the textbook way.
    static func referenceMoments(_ x: Tensor, epsilon: Double = 1e-5) -> (mean: [Double], std: [Double]) {
        let planes = x.shape[0] * x.shape[1], plane = x.shape[2] * x.shape[3], v = x.scalars
        var mean: [Double] = [], std: [Double] = []
        for p in 0..<planes {
            let xs = v[(p * plane)..<((p + 1) * plane)].map(Double.init)
            let m = xs.reduce(0, +) / Double(plane)
            let variance = xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(plane)
            mean.append(m)
            std.append((variance + epsilon).squareRoot())
        }
        return (mean, std)
    }

    func testMomentsAndAdaINMatchPlainLoops() {
        var rng = SeededValues(seed: 3)
        for (cs, ss) in [([1, 3, 5, 7], [1, 3, 9, 4]), ([2, 17, 3, 11], [2, 17, 6, 5]), ([1, 2, 33, 31], [1, 2, 1, 1])] {
            let x = rng.tensor(cs), y = add(scale(rng.tensor(ss), by: 3), Tensor(shape: ss, repeating: 2))
            let mx = channelMoments(x), my = channelMoments(y)
            let (rmx, rsx) = Self.referenceMoments(x), (rmy, rsy) = Self.referenceMoments(y)
            for i in 0..<mx.count {
                XCTAssertEqual(Double(mx.mean[i]), rmx[i], accuracy: 1e-5)
                XCTAssertEqual(Double(mx.std[i]), rsx[i], accuracy: 1e-5)
            }
            let out = adaptiveInstanceNorm(x, style: my).scalars, xv = x.scalars
            let plane = cs[2] * cs[3]
            for i in 0..<out.count {
                let p = i / plane
                let expected = rsy[p] * (Double(xv[i]) - rmx[p]) / rsx[p] + rmy[p]
                XCTAssertEqual(Double(out[i]), expected, accuracy: 1e-4, "\(cs) element \(i)")
            }
            // The output has the style's statistics (σ up to ε, which a constant 1×1 style plane is all of).
            let mo = channelMoments(adaptiveInstanceNorm(x, style: my))
            for i in 0..<mo.count where my.std[i] > 0.1 {
                XCTAssertEqual(mo.mean[i], my.mean[i], accuracy: 1e-4)
                XCTAssertEqual(mo.std[i], my.std[i], accuracy: 2e-3 * my.std[i])
            }
        }
    }

    func testBlendOfMomentsIsTheWeightedSum() {
        let a = ChannelMoments(mean: [1, 2], std: [3, 4]), b = ChannelMoments(mean: [5, 6], std: [7, 8])
        XCTAssertEqual(ChannelMoments.blend([(a, 0.25), (b, 0.75)]), ChannelMoments(mean: [4, 5], std: [6, 7]))
    }

    func testAdaINBackwardByFiniteDifferences() {
        var rng = SeededValues(seed: 8)
        let x = rng.tensor([2, 3, 5, 6]), y = add(rng.tensor([2, 3, 4, 7]), Tensor(shape: [2, 3, 4, 7], repeating: 0.5))
        let r = rng.tensor(x.shape)
        let g = adaptiveInstanceNormBackward(content: x, style: y, gradOutput: r)
        var check = GradientCheck(seed: 21, epsilon: 1e-2)
        check.check("AdaIN ∂content", at: x, gradient: g.gradContent, tolerance: 2e-3) {
            GradientCheck.weightedSum(adaptiveInstanceNorm($0, style: channelMoments(y)), r)
        }
        check.check("AdaIN ∂style (through μ and σ)", at: y, gradient: g.gradStyle, tolerance: 2e-3) {
            GradientCheck.weightedSum(adaptiveInstanceNorm(x, style: channelMoments($0)), r)
        }
    }

    func testMomentLossValueAndGradient() {
        var rng = SeededValues(seed: 12)
        let f = rng.tensor([2, 4, 7, 5])
        let target = ChannelMoments(mean: (0..<8).map { _ in rng.next() }, std: (0..<8).map { _ in 1 + rng.next() / 2 })
        let (mean, std) = Self.referenceMoments(f)
        var expected = 0.0
        for p in 0..<8 {
            expected += pow(mean[p] - Double(target.mean[p]), 2) + pow(std[p] - Double(target.std[p]), 2)
        }
        let l = momentLoss(features: f, target: target)
        XCTAssertEqual(Double(l.value), expected / 8, accuracy: 1e-5)
        var check = GradientCheck(seed: 4, epsilon: 1e-2)
        check.check("moment loss", at: f, gradient: l.gradient, tolerance: 2e-3) { Double(momentLoss(features: $0, target: target).value) }

        // One target for the whole batch (C values) is the same as that target repeated per image.
        let shared = ChannelMoments(mean: Array(target.mean[0..<4]), std: Array(target.std[0..<4]))
        let repeated = ChannelMoments(mean: shared.mean + shared.mean, std: shared.std + shared.std)
        XCTAssertEqual(momentLoss(features: f, target: shared).value, momentLoss(features: f, target: repeated).value)
    }

    /// The norm form against a plain computation from the reference moments, and by finite differences.
    func testMomentNormLossValueAndGradient() {
        var rng = SeededValues(seed: 13)
        let f = rng.tensor([3, 5, 6, 7])
        let target = ChannelMoments(mean: (0..<15).map { _ in rng.next() }, std: (0..<15).map { _ in 1 + rng.next() / 2 })
        let (mean, std) = Self.referenceMoments(f)
        var expected = 0.0
        for n in 0..<3 {
            let planes = (n * 5)..<(n * 5 + 5)
            expected += (planes.reduce(0.0) { $0 + pow(mean[$1] - Double(target.mean[$1]), 2) } / 5).squareRoot()
            expected += (planes.reduce(0.0) { $0 + pow(std[$1] - Double(target.std[$1]), 2) } / 5).squareRoot()
        }
        let l = momentNormLoss(features: f, target: target)
        XCTAssertEqual(Double(l.value), expected / 3, accuracy: 1e-5)
        var check = GradientCheck(seed: 5, epsilon: 1e-2)
        check.check("moment norm loss", at: f, gradient: l.gradient, tolerance: 2e-3) { Double(momentNormLoss(features: $0, target: target).value) }

        let shared = ChannelMoments(mean: Array(target.mean[0..<5]), std: Array(target.std[0..<5]))
        let repeated = ChannelMoments(mean: shared.mean + shared.mean + shared.mean, std: shared.std + shared.std + shared.std)
        XCTAssertEqual(momentNormLoss(features: f, target: shared).value, momentNormLoss(features: f, target: repeated).value)
        // At the target itself the loss is 0 and its gradient finite (zero).
        let own = channelMoments(f)
        let atTarget = momentNormLoss(features: f, target: own)
        XCTAssertEqual(atTarget.value, 0, accuracy: 1e-6)
        XCTAssertTrue(atTarget.gradient.scalars.allSatisfy { $0.isFinite })
    }
}
