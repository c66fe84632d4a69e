import XCTest
import Tensor

final class UpsampledConvTests: XCTestCase {
    /// The folded 2×2 phases against upsample → reflect pad → 3×3 convolution, on odd sizes (1×1
    /// and one-row images, where every tap is a border tap), channel counts off the GEMM tile,
    /// batches, with and without bias, and every kernel variant this CPU has.
    func testMatchesUpsamplePadConvolve() {
        let saved = GEMM.variant
        defer { GEMM.variant = saved }
        var rng = SeededValues(seed: 11)
        let cases: [(n: Int, cin: Int, cout: Int, h: Int, w: Int, bias: Bool)] = [
            (1, 1, 1, 1, 1, false),
            (1, 3, 2, 1, 7, true),
            (2, 5, 3, 6, 9, true),
            (1, 64, 32, 13, 11, false),
            (1, 8, 4, 17, 40, true),
            (1, 32, 3, 9, 35, false),
        ]
        for variant in GEMM.Variant.allCases where variant.isSupported {
            GEMM.variant = variant
            for c in cases {
                let x = rng.tensor([c.n, c.cin, c.h, c.w])
                let w = rng.tensor([c.cout, c.cin, 3, 3])
                let b = c.bias ? rng.tensor([c.cout]) : nil
                let folded = UpsampledConv3x3(weight: w, bias: b)(x)
                let reference = UpsampledConv3x3.reference(x, weight: w, bias: b)
                assertClose(folded, reference, tolerance: 4e-5 * Float(9 * c.cin), "\(variant) \(c)")
            }
        }
    }

    /// A sum over the folded taps, not a copy of the centre tap: a kernel with a single non-zero
    /// corner moves the image by one upsampled pixel, which the folded form must reproduce.
    func testCornerTapShiftsTheUpsampledImage() {
        var rng = SeededValues(seed: 2)
        let x = rng.tensor([1, 1, 4, 5])
        var w = [Float](repeating: 0, count: 9)
        w[0] = 1   // tap (0, 0): output (y, x) reads upsampled (y − 1, x − 1), reflected at the border
        let weight = Tensor(shape: [1, 1, 3, 3], values: w)
        let out = UpsampledConv3x3(weight: weight)(x).scalars
        let xs = x.scalars
        func up(_ y: Int, _ x: Int) -> Float { xs[(abs(y) / 2) * 5 + abs(x) / 2] }   // reflect(−1) = 1, same source pixel as 0
        for y in 0..<8 { for x in 0..<10 { XCTAssertEqual(out[y * 10 + x], up(y - 1, x - 1), accuracy: 1e-6, "(\(y), \(x))") } }
    }
}
