import XCTest
import Tensor

/// Convolutions that fake-quantize their results as they store them (`quantize:`, what a quantized
/// graph's conv → fakeQuant runs as) against the convolution followed by a `fakeQuantize` pass:
/// equal bit for bit, on every kernel variant this CPU has, through each path a convolution can
/// take (implicit GEMM rows with edge tiles, AVX-512's wide and short tiles, 1×1 spans, stride 2,
/// Winograd), with and without ReLU.
final class QuantizedConvTests: XCTestCase {
    let quantization = FakeQuantization(scale: 0.0173, zeroPoint: -7)   // a few hundred levels: some results saturate

    func testConvolutionQuantizingItsResultsEqualsAPassOfItsOwn() {
        var rng = SeededValues(seed: 21)
        // (x shape, Cout, kernel, stride): 3×3 rows off the tile width; 9×9 with 4 output channels (the
        // short tile); stride 2; 1×1 on a 9×7 map and on 1×1; 64→64 3×3, which Winograd runs.
        let cases: [([Int], Int, Int, Int)] = [([1, 5, 13, 40], 11, 3, 1), ([1, 3, 20, 75], 4, 9, 1), ([2, 6, 17, 15], 9, 3, 2),
                                               ([1, 16, 9, 7], 20, 1, 1), ([1, 24, 1, 1], 13, 1, 1), ([1, 64, 10, 9], 64, 3, 1)]
        let saved = GEMM.variant
        defer { GEMM.variant = saved }
        for variant in GEMM.Variant.allCases where variant.isSupported {
            GEMM.variant = variant
            for (shape, cout, k, s) in cases {
                let conv = Conv2D(weight: rng.tensor([cout, shape[1], k, k]), bias: rng.tensor([cout]), stride: s)
                let x = rng.tensor(shape)
                for relu in [false, true] {
                    let q = quantization
                    let fused = conv(x, relu: relu, quantize: q)
                    let separate = fakeQuantize(conv(x, relu: relu), scale: q.scale, zeroPoint: q.zeroPoint)
                    XCTAssertEqual(fused.shape, separate.shape)
                    XCTAssertEqual(fused.scalars, separate.scalars, "\(variant) x \(shape) → \(cout), \(k)×\(k)/\(s), relu \(relu)")
                    // Many quantization levels, not a few saturated ones (a 1×1 map has only 13 outputs).
                    XCTAssertGreaterThan(Set(fused.scalars).count, min(20, fused.count / 3), "\(shape) relu \(relu)")
                }
            }
        }
    }

    func testDepthwiseQuantizingItsResultsEqualsAPassOfItsOwn() {
        var rng = SeededValues(seed: 22)
        let saved = GEMM.variant
        defer { GEMM.variant = saved }
        for variant in GEMM.Variant.allCases where variant.isSupported {
            GEMM.variant = variant
            for (shape, s, pads) in [([1, 5, 19, 37], 1, [1, 1, 1, 1]), ([2, 7, 17, 21], 2, [0, 0, 1, 1]), ([1, 3, 8, 8], 1, [1, 1, 1, 1]), ([1, 2, 30, 70], 1, [1, 1, 1, 1])] {
                let x = rng.tensor(shape), w = rng.tensor([shape[1], 1, 3, 3]), b = rng.tensor([shape[1]])
                let q = quantization
                let fused = depthwiseConv2d(x, weight: w, bias: b, stride: s, pads: pads, quantize: q)
                let plain = depthwiseConv2d(x, weight: w, bias: b, stride: s, pads: pads)
                XCTAssertEqual(fused.scalars, fakeQuantize(plain, scale: q.scale, zeroPoint: q.zeroPoint).scalars, "\(variant) \(shape) s\(s)")
                // Every variant sums the taps in the loop nest's order: the same floats as the reference.
                XCTAssertEqual(plain.scalars, depthwiseConv2dReference(x, weight: w, bias: b, stride: s, pads: pads).scalars, "\(variant) \(shape) s\(s)")
            }
        }
    }
}
