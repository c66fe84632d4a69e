import Foundation
import XCTest
import Tensor

/// The MUNIT layers' forward passes against plain loops, and every backward pass (input and
/// parameter gradients) against central finite differences.
final class MUNITOpsTests: XCTestCase {
    /// A batch whose images have different means and spreads, so the per-image statistics matter.
    static func batch(_ shape: [Int], _ rng: inout SeededValues) -> Tensor {
        let perImage = shape.dropFirst().reduce(1, *)
        var v = rng.tensor(shape).scalars
        for i in 0..<v.count {
            let n = Float(i / perImage)
            v[i] = v[i] * (1 + n) + 0.5 * n - 0.3
        }
        return Tensor(shape: shape, values: v)
    }

    // MARK: forward

    func testLayerNormMatchesReferenceAndTextbookStatistics() {
        var rng = SeededValues(seed: 31)
        for shape in [[2, 3, 5, 7], [1, 17, 9, 11], [3, 2, 1, 1]] {
            let x = Self.batch(shape, &rng)
            let c = shape[1]
            let gamma = (0..<c).map { _ in 1 + rng.next() / 2 }, beta = (0..<c).map { _ in rng.next() }
            let y = layerNorm(x, gamma: gamma, beta: beta)
            assertClose(y, layerNormReference(x, gamma: gamma, beta: beta), tolerance: 1e-5, "layer norm \(shape)")
            // With γ = 1, β = 0 every image has mean 0 and variance σ²/(σ² + ε), σ² the input image's.
            let plain = layerNorm(x, gamma: [Float](repeating: 1, count: c), beta: [Float](repeating: 0, count: c)).scalars
            let image = plain.count / shape[0], xv = x.scalars
            func moments(_ a: [Float], _ n: Int) -> (Double, Double) {
                let v = a[(n * image)..<((n + 1) * image)].map(Double.init)
                let mean = v.reduce(0, +) / Double(image)
                return (mean, v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(image))
            }
            for n in 0..<shape[0] {
                let (mean, variance) = moments(plain, n), inputVariance = moments(xv, n).1
                XCTAssertEqual(mean, 0, accuracy: 1e-5, "\(shape) image \(n) mean")
                XCTAssertEqual(variance, inputVariance / (inputVariance + 1e-5), accuracy: 1e-5, "\(shape) image \(n) variance")
            }
        }
        // The statistics are the image's, not the plane's: per-channel offsets survive normalization.
        let x = Tensor(shape: [1, 2, 1, 2], values: [0, 2, 4, 6])   // μ = 3, σ² = 5
        let y = layerNorm(x, gamma: [1, 2], beta: [0, 10], epsilon: 0).scalars
        let s = Float(5).squareRoot()
        for (a, b) in zip(y, [-3 / s, -1 / s, 2 * 1 / s + 10, 2 * 3 / s + 10]) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testElementwiseActivationsMatchPlainLoops() {
        var rng = SeededValues(seed: 5)
        for shape in [[2, 3, 5, 7], [1, 17, 9, 11]] {
            let x = scale(rng.tensor(shape), by: 3)
            let xv = x.scalars
            let leaky = leakyReLU(x).scalars, leaky01 = leakyReLU(x, slope: 0.01).scalars, t = hyperbolicTangent(x).scalars
            for i in 0..<xv.count {
                XCTAssertEqual(leaky[i], xv[i] > 0 ? xv[i] : 0.2 * xv[i], "\(shape) leaky relu \(i)")
                XCTAssertEqual(leaky01[i], xv[i] > 0 ? xv[i] : 0.01 * xv[i], "\(shape) leaky relu slope 0.01 \(i)")
                let e = exp(2 * Double(xv[i]))
                XCTAssertEqual(Double(t[i]), (e - 1) / (e + 1), accuracy: 1e-6, "\(shape) tanh \(i)")
            }
        }
    }

    func testPoolingMatchesPlainLoops() {
        var rng = SeededValues(seed: 9)
        for shape in [[2, 3, 6, 10], [1, 17, 10, 14], [2, 5, 2, 2]] {
            let x = rng.tensor(shape), xv = x.scalars
            let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
            let pooled = averagePool2x2(x)
            XCTAssertEqual(pooled.shape, [n, c, h / 2, w / 2])
            let pv = pooled.scalars
            for p in 0..<(n * c) {
                for i in 0..<(h / 2) {
                    for j in 0..<(w / 2) {
                        var s = 0.0
                        for a in 0..<2 { for b in 0..<2 { s += Double(xv[p * h * w + (2 * i + a) * w + 2 * j + b]) } }
                        XCTAssertEqual(Double(pv[(p * (h / 2) + i) * (w / 2) + j]), s / 4, accuracy: 1e-6, "\(shape) plane \(p) (\(i), \(j))")
                    }
                }
            }
            let global = globalAveragePool(x)
            XCTAssertEqual(global.shape, [n, c, 1, 1])
            for p in 0..<(n * c) {
                let s = xv[(p * h * w)..<((p + 1) * h * w)].reduce(0.0) { $0 + Double($1) }
                XCTAssertEqual(Double(global.scalars[p]), s / Double(h * w), accuracy: 1e-6, "\(shape) global plane \(p)")
            }
        }
        // An odd-sized input too, for the global pool.
        let odd = rng.tensor([1, 3, 5, 7])
        XCTAssertEqual(Double(globalAveragePool(odd).scalars[1]), odd.scalars[35..<70].reduce(0.0) { $0 + Double($1) } / 35, accuracy: 1e-6)
    }

    func testLinearMatchesPlainLoop() {
        var rng = SeededValues(seed: 13)
        for (n, inputs, outputs) in [(3, 7, 5), (1, 17, 9), (5, 33, 1)] {
            let x = rng.tensor([n, inputs]), w = rng.tensor([outputs, inputs]), b = rng.tensor([outputs])
            let y = linear(x, weight: w, bias: b)
            XCTAssertEqual(y.shape, [n, outputs])
            let (xv, wv, bv, yv) = (x.scalars, w.scalars, b.scalars, y.scalars)
            for r in 0..<n {
                for o in 0..<outputs {
                    var s = Double(bv[o])
                    for i in 0..<inputs { s += Double(xv[r * inputs + i]) * Double(wv[o * inputs + i]) }
                    XCTAssertEqual(Double(yv[r * outputs + o]), s, accuracy: 1e-5, "(\(n), \(inputs), \(outputs)) [\(r), \(o)]")
                }
            }
        }
    }

    func testAdaptiveInstanceNormWithPredictedParametersMatchesPlainLoop() {
        var rng = SeededValues(seed: 17)
        for shape in [[2, 3, 5, 7], [1, 17, 9, 11]] {
            let x = Self.batch(shape, &rng)
            let nc = [shape[0], shape[1]]
            let sc = add(rng.tensor(nc), Tensor(shape: nc, repeating: 1)), sh = rng.tensor(nc)
            let y = adaptiveInstanceNorm(x, scale: sc, shift: sh).scalars, xv = x.scalars
            let (mean, std) = AdaINTests.referenceMoments(x)
            let plane = shape[2] * shape[3]
            for i in 0..<y.count {
                let p = i / plane
                let expected = Double(sc.scalars[p]) * (Double(xv[i]) - mean[p]) / std[p] + Double(sh.scalars[p])
                XCTAssertEqual(Double(y[i]), expected, accuracy: 1e-4, "\(shape) element \(i)")
            }
        }
    }

    // MARK: backward

    func testLayerNormBackwardByFiniteDifferences() {
        var rng = SeededValues(seed: 41)
        let x = Self.batch([2, 3, 5, 7], &rng), r = rng.tensor([2, 3, 5, 7])
        let gamma = Tensor(shape: [3], values: (0..<3).map { _ in 1 + rng.next() / 2 })
        let beta = Tensor(shape: [3], values: (0..<3).map { _ in rng.next() })
        let g = layerNormBackward(x, gamma: gamma.scalars, gradOutput: r)
        var check = GradientCheck(seed: 43, epsilon: 1e-2)
        check.check("layer norm ∂x", at: x, gradient: g.gradInput, tolerance: 2e-3) {
            GradientCheck.weightedSum(layerNorm($0, gamma: gamma.scalars, beta: beta.scalars), r)
        }
        check.check("layer norm ∂γ", at: gamma, gradient: Tensor(shape: [3], values: g.gradGamma), tolerance: 2e-3) {
            GradientCheck.weightedSum(layerNorm(x, gamma: $0.scalars, beta: beta.scalars), r)
        }
        check.check("layer norm ∂β", at: beta, gradient: Tensor(shape: [3], values: g.gradBeta), tolerance: 2e-3) {
            GradientCheck.weightedSum(layerNorm(x, gamma: gamma.scalars, beta: $0.scalars), r)
        }
    }

    func testActivationBackwardByFiniteDifferences() {
        var rng = SeededValues(seed: 47)
        // Keep leaky ReLU's inputs at least 0.1 from the kink so no difference straddles it.
        let raw = rng.tensor([2, 3, 5, 7])
        let x = Tensor(shape: raw.shape, values: raw.scalars.map { $0 + ($0 >= 0 ? 0.1 : -0.1) })
        let r = rng.tensor(x.shape)
        var check = GradientCheck(seed: 53, epsilon: 1e-2)
        check.check("leaky relu", at: x, gradient: leakyReLUBackward(x, gradOutput: r), tolerance: 2e-3) {
            GradientCheck.weightedSum(leakyReLU($0), r)
        }
        check.check("leaky relu slope 0.05", at: x, gradient: leakyReLUBackward(x, slope: 0.05, gradOutput: r), tolerance: 2e-3) {
            GradientCheck.weightedSum(leakyReLU($0, slope: 0.05), r)
        }
        let z = scale(raw, by: 2)
        check.check("tanh", at: z, gradient: hyperbolicTangentBackward(output: hyperbolicTangent(z), gradOutput: r), tolerance: 2e-3) {
            GradientCheck.weightedSum(hyperbolicTangent($0), r)
        }
    }

    func testPoolingBackwardByFiniteDifferences() {
        var rng = SeededValues(seed: 59)
        let x = rng.tensor([2, 3, 6, 10])
        let r = rng.tensor([2, 3, 3, 5]), rg = rng.tensor([2, 3, 1, 1])
        var check = GradientCheck(seed: 61, epsilon: 1e-2)
        let ga = averagePool2x2Backward(gradOutput: r)
        XCTAssertEqual(ga.shape, x.shape)
        check.check("average pool 2×2", at: x, gradient: ga, tolerance: 2e-3) {
            GradientCheck.weightedSum(averagePool2x2($0), r)
        }
        let odd = rng.tensor([2, 3, 5, 7])
        let gg = globalAveragePoolBackward(gradOutput: rg, height: 5, width: 7)
        XCTAssertEqual(gg.shape, odd.shape)
        check.check("global average pool", at: odd, gradient: gg, tolerance: 2e-3) {
            GradientCheck.weightedSum(globalAveragePool($0), rg)
        }
    }

    func testLinearBackwardByFiniteDifferences() {
        var rng = SeededValues(seed: 67)
        let x = rng.tensor([3, 7]), w = rng.tensor([5, 7]), b = rng.tensor([5])
        let r = rng.tensor([3, 5])
        let g = linearBackward(x, weight: w, gradOutput: r)
        XCTAssertEqual(g.gradInput.shape, x.shape)
        XCTAssertEqual(g.gradWeight.shape, w.shape)
        XCTAssertEqual(g.gradBias.shape, b.shape)
        var check = GradientCheck(seed: 71, epsilon: 1e-2)
        check.check("linear ∂x", at: x, gradient: g.gradInput, tolerance: 2e-3) {
            GradientCheck.weightedSum(linear($0, weight: w, bias: b), r)
        }
        check.check("linear ∂W", at: w, gradient: g.gradWeight, tolerance: 2e-3) {
            GradientCheck.weightedSum(linear(x, weight: $0, bias: b), r)
        }
        check.check("linear ∂b", at: b, gradient: g.gradBias, tolerance: 2e-3) {
            GradientCheck.weightedSum(linear(x, weight: w, bias: $0), r)
        }
    }

    func testAdaptiveInstanceNormWithPredictedParametersBackwardByFiniteDifferences() {
        var rng = SeededValues(seed: 73)
        let x = Self.batch([2, 3, 5, 6], &rng), r = rng.tensor([2, 3, 5, 6])
        let sc = add(rng.tensor([2, 3]), Tensor(shape: [2, 3], repeating: 1.2)), sh = rng.tensor([2, 3])
        let g = adaptiveInstanceNormBackward(x, scale: sc, gradOutput: r)
        XCTAssertEqual(g.gradScale.shape, [2, 3])
        XCTAssertEqual(g.gradShift.shape, [2, 3])
        var check = GradientCheck(seed: 79, epsilon: 1e-2)
        check.check("AdaIN(scale, shift) ∂x", at: x, gradient: g.gradInput, tolerance: 2e-3) {
            GradientCheck.weightedSum(adaptiveInstanceNorm($0, scale: sc, shift: sh), r)
        }
        check.check("AdaIN(scale, shift) ∂scale", at: sc, gradient: g.gradScale, tolerance: 2e-3) {
            GradientCheck.weightedSum(adaptiveInstanceNorm(x, scale: $0, shift: sh), r)
        }
        check.check("AdaIN(scale, shift) ∂shift", at: sh, gradient: g.gradShift, tolerance: 2e-3) {
            GradientCheck.weightedSum(adaptiveInstanceNorm(x, scale: sc, shift: $0), r)
        }
    }
}
