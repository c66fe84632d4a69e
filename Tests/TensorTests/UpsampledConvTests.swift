import XCTest
@testable import Tensor

final class UpsampledConvTests: XCTestCase {
    /// The folded phases against upsample → reflect pad → k×k convolution, for 3×3 and 5×5, on odd
    /// sizes (1×1 and one-row images for 3×3, where every tap is a border tap; 2×2 for 5×5, where
    /// every output pixel is in the corrected ring), channel counts off the GEMM tile, batches,
    /// with and without bias, and every kernel variant this CPU has.
    func testMatchesUpsamplePadConvolve() {
        let saved = GEMM.variant
        defer { GEMM.variant = saved }
        var rng = SeededValues(seed: 11)
        let cases: [(k: Int, n: Int, cin: Int, cout: Int, h: Int, w: Int, bias: Bool)] = [
            (3, 1, 1, 1, 1, 1, false),
            (3, 1, 3, 2, 1, 7, true),
            (3, 2, 5, 3, 6, 9, true),
            (3, 1, 64, 32, 13, 11, false),
            (3, 1, 8, 4, 17, 40, true),
            (3, 1, 32, 3, 9, 35, false),
            (5, 1, 1, 1, 2, 2, false),
            (5, 1, 3, 2, 2, 7, true),
            (5, 2, 5, 3, 6, 9, true),
            (5, 1, 24, 17, 11, 13, false),
            (5, 1, 8, 4, 17, 40, true),
        ]
        for variant in GEMM.Variant.allCases where variant.isSupported {
            GEMM.variant = variant
            for c in cases {
                let x = rng.tensor([c.n, c.cin, c.h, c.w])
                let w = rng.tensor([c.cout, c.cin, c.k, c.k])
                let b = c.bias ? rng.tensor([c.cout]) : nil
                let folded = UpsampledConv(weight: w, bias: b)(x)
                let reference = UpsampledConv.reference(x, weight: w, bias: b)
                assertClose(folded, reference, tolerance: 4e-5 * Float(c.k * c.k * c.cin), "\(variant) \(c)")
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
        let out = UpsampledConv(weight: weight)(x).scalars
        let xs = x.scalars
        func up(_ y: Int, _ x: Int) -> Float { xs[(abs(y) / 2) * 5 + abs(x) / 2] }   // reflect(−1) = 1, same source pixel as 0
        for y in 0..<8 { for x in 0..<10 { XCTAssertEqual(out[y * 10 + x], up(y - 1, x - 1), accuracy: 1e-6, "(\(y), \(x))") } }
    }

    /// For 5×5, the corner tap reaches two upsampled pixels out, where reflection reads the input's
    /// second row and column, not its edge: the ring correction's case, one tap at a time.
    func testEveryTapOfFiveByFiveAtTheBorder() {
        var rng = SeededValues(seed: 3)
        let x = rng.tensor([1, 2, 3, 4])
        for tap in 0..<25 {
            var w = [Float](repeating: 0, count: 2 * 25)
            w[25 + tap] = 1   // input channel 1 only
            let weight = Tensor(shape: [1, 2, 5, 5], values: w)
            assertClose(UpsampledConv(weight: weight)(x), UpsampledConv.reference(x, weight: weight, bias: nil), tolerance: 1e-6, "tap \(tap)")
        }
    }

    /// ∂x, ∂w and ∂b of the folded form against the unfolded definition's backward (conv backward
    /// on the upsampled, reflect-padded input, then back through the padding and the upsampling),
    /// for 3×3 and 5×5 on odd sizes.
    func testBackwardMatchesUnfoldedBackward() {
        var rng = SeededValues(seed: 5)
        let cases: [(k: Int, n: Int, cin: Int, cout: Int, h: Int, w: Int)] = [
            (3, 1, 1, 1, 1, 1), (3, 2, 3, 5, 4, 7), (3, 1, 17, 9, 9, 6),
            (5, 1, 1, 1, 2, 2), (5, 2, 3, 5, 5, 7), (5, 1, 17, 9, 9, 6), (5, 1, 4, 3, 2, 11),
        ]
        for c in cases {
            let x = rng.tensor([c.n, c.cin, c.h, c.w])
            let w = rng.tensor([c.cout, c.cin, c.k, c.k])
            let gy = rng.tensor([c.n, c.cout, 2 * c.h, 2 * c.w])
            let conv = UpsampledConv(weight: w)
            let folded = upsampledConvBackward(conv, input: x, replicatePadded: replicatePad1(x), gradOutput: gy)
            let r = c.k / 2
            let padded = pad2d(upsampleNearest(x, factor: 2), top: r, bottom: r, left: r, right: r, mode: .reflect)
            let plain = conv2dBackward(input: padded, weight: w, gradOutput: gy)
            let gx = upsampleNearestBackward(pad2dBackward(plain.gradInput!, top: r, bottom: r, left: r, right: r, mode: .reflect), factor: 2)
            let scale = Float(c.k * c.k * max(c.cin, c.cout) * 4)
            assertClose(folded.gradInput!, gx, tolerance: 4e-5 * scale, "∂x \(c)")
            assertClose(folded.gradWeight!, plain.gradWeight!, tolerance: 4e-5 * Float(4 * c.h * c.w * c.n), "∂w \(c)")
            assertClose(folded.gradBias!, plain.gradBias!, tolerance: 1e-4 * Float(4 * c.h * c.w * c.n), "∂b \(c)")
        }
    }

    /// fold and unfold are each other's transpose: ⟨fold(a), b⟩ = ⟨a, unfold(b)⟩.
    func testUnfoldIsTheTransposeOfFold() {
        var rng = SeededValues(seed: 9)
        for k in [3, 5] {
            let a = rng.tensor([3, 2, k, k])
            let kf = UpsampledConv.foldedSide(kernel: k)
            let b = rng.tensor([12, 2, kf, kf])
            let lhs = zip(UpsampledConv.fold(a).scalars, b.scalars).reduce(0.0) { $0 + Double($1.0 * $1.1) }
            let rhs = zip(a.scalars, UpsampledConv.unfold(b, kernel: k).scalars).reduce(0.0) { $0 + Double($1.0 * $1.1) }
            XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)), "k \(k)")
        }
    }
}
