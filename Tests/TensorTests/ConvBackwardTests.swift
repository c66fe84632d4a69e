import XCTest
import Tensor

final class ConvBackwardTests: XCTestCase {
    /// The GEMM paths against the loop-nest definition over odd shapes, strides 1–2, kernels 1×1–9×9,
    /// channel counts off the panel widths, several tiles per image, and inputs whose last rows a
    /// stride-2 kernel never reads.
    func testFastMatchesReferenceOnShapeSweep() {
        var rng = SeededValues(seed: 11)
        let cases: [(n: Int, cin: Int, cout: Int, h: Int, w: Int, k: Int, s: Int)] = [
            (1, 1, 1, 1, 1, 1, 1),
            (2, 3, 5, 5, 7, 3, 1),
            (2, 3, 4, 11, 13, 9, 1),
            (1, 3, 17, 12, 9, 9, 2),
            (1, 9, 8, 10, 11, 3, 2),
            (3, 2, 17, 6, 31, 1, 1),
            (1, 20, 9, 31, 29, 3, 1),     // several tiles, several channel groups
            (1, 70, 3, 5, 6, 1, 2),       // 1×1: 64-channel groups plus a remainder
            (1, 2, 3, 70, 65, 3, 1),      // input-gradient row bands: 3 bands
            (2, 2, 3, 75, 40, 9, 1),      // 9×9 bands, overlapping 8 input rows
            (1, 2, 3, 300, 61, 3, 2),     // stride-2 bands
            (2, 64, 70, 13, 11, 3, 1),    // 3×3 with ≥ 64 channels: ∂x by Winograd on the flipped kernel
            (1, 65, 64, 40, 37, 3, 1),
            (1, 37, 3, 30, 45, 9, 1),     // a 9×9 output layer (few outputs, many inputs), width off the vector
            (2, 5, 1, 9, 8, 5, 1),
        ]
        let saved = ConvInputGradient.flippedEnabled
        defer { ConvInputGradient.flippedEnabled = saved }
        for c in cases {
            let x = rng.tensor([c.n, c.cin, c.h, c.w]), w = rng.tensor([c.cout, c.cin, c.k, c.k])
            let (ho, wo) = ((c.h - c.k) / c.s + 1, (c.w - c.k) / c.s + 1)
            let gy = rng.tensor([c.n, c.cout, ho, wo])
            let ref = conv2dBackwardReference(input: x, weight: w, stride: c.s, gradOutput: gy)
            // ∂x both ways: stride-1 layers by the flipped forward convolution (default) and by col2im.
            for flipped in [false, true] {
                ConvInputGradient.flippedEnabled = flipped
                let gx = conv2dBackward(input: x, weight: w, stride: c.s, gradOutput: gy, computeWeightGradient: false).gradInput!
                assertClose(gx, ref.gradInput, tolerance: 2e-5 * Float(c.cout * c.k * c.k), "gradInput \(c), flipped \(flipped)")
            }
            let fast = conv2dBackward(input: x, weight: w, stride: c.s, gradOutput: gy)
            assertClose(fast.gradWeight!, ref.gradWeight, tolerance: 2e-5 * Float(c.n * ho * wo), "gradWeight \(c)")
            assertClose(fast.gradBias!, ref.gradBias, tolerance: 2e-5 * Float(c.n * ho * wo), "gradBias \(c)")
        }
    }

    /// ∂w of stride-1 layers with ≤ 4 output channels (`CorrelationKernel`) on every supported
    /// instruction set against the loop nest, on widths below, at and off the vector width, odd tap
    /// counts and batches; the GEMM path on the same shapes; the same bits on 1 and 3 threads.
    func testFewOutputWeightGradientOnEveryVariant() {
        var rng = SeededValues(seed: 13)
        let cases: [(n: Int, cin: Int, cout: Int, h: Int, w: Int, k: Int)] = [
            (1, 1, 1, 1, 1, 1), (2, 3, 2, 7, 9, 3), (1, 5, 3, 20, 24, 9), (1, 2, 4, 6, 19, 5), (3, 7, 3, 12, 13, 1), (1, 32, 3, 17, 30, 9),
        ]
        let (savedVariant, savedThreads, savedPath) = (GEMM.variant, Parallel.maxThreads, ConvWeightGradient.fewOutputsEnabled)
        defer { (GEMM.variant, Parallel.maxThreads, ConvWeightGradient.fewOutputsEnabled) = (savedVariant, savedThreads, savedPath) }
        for c in cases {
            let x = rng.tensor([c.n, c.cin, c.h, c.w]), w = rng.tensor([c.cout, c.cin, c.k, c.k])
            let gy = rng.tensor([c.n, c.cout, c.h - c.k + 1, c.w - c.k + 1])
            let ref = conv2dBackwardReference(input: x, weight: w, stride: 1, gradOutput: gy).gradWeight
            let tolerance = 2e-5 * Float(c.n * gy.shape[2] * gy.shape[3])
            for fewOutputs in [true, false] {
                ConvWeightGradient.fewOutputsEnabled = fewOutputs
                for variant in GEMM.Variant.allCases where variant.isSupported {
                    GEMM.variant = variant
                    let gw = conv2dBackward(input: x, weight: w, gradOutput: gy, computeInputGradient: false).gradWeight!
                    assertClose(gw, ref, tolerance: tolerance, "\(c) \(variant) fewOutputs \(fewOutputs)")
                }
            }
            ConvWeightGradient.fewOutputsEnabled = true
            GEMM.variant = savedVariant
            Parallel.maxThreads = 1
            let one = conv2dBackward(input: x, weight: w, gradOutput: gy, computeInputGradient: false).gradWeight!
            Parallel.maxThreads = 3
            XCTAssertEqual(conv2dBackward(input: x, weight: w, gradOutput: gy, computeInputGradient: false).gradWeight!.scalars, one.scalars)
            Parallel.maxThreads = savedThreads
        }
    }

    func testSkippingGradientsAndThreadCountsGiveTheSameValues() {
        var rng = SeededValues(seed: 12)
        let x = rng.tensor([2, 6, 19, 21]), w = rng.tensor([10, 6, 3, 3]), gy = rng.tensor([2, 10, 17, 19])
        let saved = Parallel.maxThreads
        defer { Parallel.maxThreads = saved }
        Parallel.maxThreads = 1
        let one = conv2dBackward(input: x, weight: w, gradOutput: gy)
        Parallel.maxThreads = 3
        let three = conv2dBackward(input: x, weight: w, gradOutput: gy)
        XCTAssertEqual(one.gradInput!.scalars, three.gradInput!.scalars)   // no reduction: bit-identical
        assertClose(one.gradWeight!, three.gradWeight!, tolerance: 1e-4, "partial sums")
        let frozen = conv2dBackward(input: x, weight: w, gradOutput: gy, computeWeightGradient: false)
        XCTAssertNil(frozen.gradWeight)
        XCTAssertNil(frozen.gradBias)
        XCTAssertEqual(frozen.gradInput!.scalars, three.gradInput!.scalars)
        let first = conv2dBackward(input: x, weight: w, gradOutput: gy, computeInputGradient: false)
        XCTAssertNil(first.gradInput)
        XCTAssertEqual(first.gradWeight!.scalars, three.gradWeight!.scalars)
        let kept = ConvInputGradient(weight: w)
        XCTAssertEqual(kept(gy, inputHeight: 19, inputWidth: 21).scalars, three.gradInput!.scalars)

        // Several row bands (run in two phases) still add up the same on any thread count.
        let tall = ConvInputGradient(weight: rng.tensor([4, 2, 5, 5]))
        let tallGy = rng.tensor([1, 4, 96, 41])
        Parallel.maxThreads = 1
        let oneThread = tall(tallGy, inputHeight: 100, inputWidth: 45)
        Parallel.maxThreads = 3
        XCTAssertEqual(tall(tallGy, inputHeight: 100, inputWidth: 45).scalars, oneThread.scalars)
    }

    /// The gradient of a zero-padded input's interior, computed directly, against the whole padded
    /// gradient cropped: "same" 3×3 and 5×5 layers, no padding, padding past what the direct path
    /// takes, a strided layer (cropped), both ∂x paths, sizes off the vector width.
    func testUnpaddedInputGradientIsTheCroppedPaddedOne() {
        var rng = SeededValues(seed: 13)
        let cases: [(n: Int, cin: Int, cout: Int, h: Int, w: Int, k: Int, s: Int, p: Int)] = [
            (1, 3, 5, 7, 9, 3, 1, 1), (2, 70, 64, 13, 11, 3, 1, 1), (1, 4, 6, 10, 17, 5, 1, 2),
            (1, 2, 3, 8, 8, 3, 1, 0), (1, 2, 3, 6, 7, 3, 1, 3), (1, 3, 4, 11, 9, 3, 2, 1),
        ]
        let saved = ConvInputGradient.flippedEnabled
        defer { ConvInputGradient.flippedEnabled = saved }
        for c in cases {
            let w = rng.tensor([c.cout, c.cin, c.k, c.k])
            let (ph, pw) = (c.h + 2 * c.p, c.w + 2 * c.p)
            let gy = rng.tensor([c.n, c.cout, (ph - c.k) / c.s + 1, (pw - c.k) / c.s + 1])
            for flipped in [false, true] {
                ConvInputGradient.flippedEnabled = flipped
                let g = ConvInputGradient(weight: w, stride: c.s)
                let cropped = pad2dBackward(g(gy, inputHeight: ph, inputWidth: pw), top: c.p, bottom: c.p, left: c.p, right: c.p, mode: .zero)
                let direct = g.unpaddedInputGradient(gy, height: c.h, width: c.w, zeroPadding: c.p)
                XCTAssertEqual(direct.shape, [c.n, c.cin, c.h, c.w])
                assertClose(direct, cropped, tolerance: 2e-5 * Float(c.cout * c.k * c.k), "\(c), flipped \(flipped)")
            }
        }
    }

    /// L = Σ r ⊙ (conv(x, w) + b), differentiated numerically with respect to x, w and b.
    func testFiniteDifferences() {
        var rng = SeededValues(seed: 13)
        var check = GradientCheck(seed: 14)
        let cases: [(n: Int, cin: Int, cout: Int, h: Int, w: Int, k: Int, s: Int)] = [
            (2, 3, 4, 5, 7, 1, 1), (2, 3, 4, 5, 7, 3, 1), (2, 3, 4, 5, 7, 3, 2), (1, 2, 3, 11, 12, 9, 1), (1, 2, 3, 12, 11, 9, 2),
        ]
        for c in cases {
            let x = rng.tensor([c.n, c.cin, c.h, c.w]), w = rng.tensor([c.cout, c.cin, c.k, c.k]), b = rng.tensor([c.cout])
            let (ho, wo) = ((c.h - c.k) / c.s + 1, (c.w - c.k) / c.s + 1)
            let r = rng.tensor([c.n, c.cout, ho, wo])
            let g = conv2dBackward(input: x, weight: w, stride: c.s, gradOutput: r)
            let name = "conv \(c.k)×\(c.k)/\(c.s) [\(c.n),\(c.cin),\(c.h),\(c.w)]"
            check.check("\(name) ∂x", at: x, gradient: g.gradInput!, tolerance: 1e-3) {
                GradientCheck.weightedSum(Conv2D(weight: w, bias: b, stride: c.s)($0), r)
            }
            check.check("\(name) ∂w", at: w, gradient: g.gradWeight!, tolerance: 1e-3) {
                GradientCheck.weightedSum(Conv2D(weight: $0, bias: b, stride: c.s)(x), r)
            }
            check.check("\(name) ∂b", at: b, gradient: g.gradBias!, tolerance: 1e-3) {
                GradientCheck.weightedSum(Conv2D(weight: w, bias: $0, stride: c.s)(x), r)
            }
        }
    }
}
