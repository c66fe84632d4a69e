import XCTest
@testable import Tensor

final class WinogradTests: XCTestCase {
    /// F(2×2, 3×3) against the 7-loop definition: odd output sizes (edge tiles clipped), rows
    /// with and without the 16-tile fast path, tile blocks that end mid-panel, channel counts off
    /// the tile widths, batches, bias and fused ReLU, on every kernel variant of this CPU.
    func testWinogradMatchesReferenceOnShapeSweep() {
        let saved = GEMM.variant
        defer { GEMM.variant = saved }
        var rng = SeededValues(seed: 11)
        let cases: [(n: Int, cin: Int, cout: Int, h: Int, w: Int, bias: Bool)] = [
            (1, 64, 64, 3, 3, false),      // a single 1×1 output
            (2, 65, 70, 9, 7, true),       // odd outputs, partial panels, channels off the tile
            (1, 64, 67, 38, 37, true),     // 18 tiles per row: the fast path, then edge lanes
            (1, 96, 64, 20, 70, false),    // 34 tiles per row, tiles straddling rows in a panel
            (1, 64, 64, 67, 35, true),     // 561 tiles: several blocks (64 tiles each at 64 → 64)
        ]
        for variant in GEMM.Variant.allCases where variant.isSupported {
            GEMM.variant = variant
            for c in cases {
                let x = rng.tensor([c.n, c.cin, c.h, c.w]), w = rng.tensor([c.cout, c.cin, 3, 3])
                let b = c.bias ? rng.tensor([c.cout]) : nil
                let conv = Conv2D(weight: w, bias: b)
                XCTAssertNotNil(conv.winograd, "\(c) should take the Winograd path")
                let ref = Conv2D.reference(x, weight: w, bias: b, stride: 1)
                let tolerance = 4e-5 * Float(c.cin * 9)
                assertClose(conv(x), ref, tolerance: tolerance, "\(variant) \(c)")
                assertClose(conv(x, relu: true), relu(ref), tolerance: tolerance, "\(variant) relu \(c)")
                assertClose(conv(x), conv.direct(x), tolerance: tolerance, "\(variant) vs direct \(c)")
            }
        }
    }

    func testSmallOrStridedLayersStayDirect() {
        var rng = SeededValues(seed: 12)
        XCTAssertNil(Conv2D(weight: rng.tensor([64, 3, 3, 3])).winograd, "3 input channels: the transforms would dominate")
        XCTAssertNil(Conv2D(weight: rng.tensor([32, 32, 3, 3])).winograd, "32 → 32: no faster than direct")
        XCTAssertNil(Conv2D(weight: rng.tensor([64, 64, 3, 3]), stride: 2).winograd)
        XCTAssertNil(Conv2D(weight: rng.tensor([64, 64, 9, 9])).winograd)
    }
}
