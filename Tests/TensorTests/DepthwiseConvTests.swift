import XCTest
import Tensor

final class DepthwiseConvTests: XCTestCase {
    /// Shapes off the vector width, strides 1 and 2, kernels 1, 3 and 5, a batch of 2.
    func testMatchesTheLoopNest() {
        var rng = SeededValues(seed: 9)
        for (shape, k, s) in [([1, 3, 7, 9], 3, 1), ([2, 5, 17, 19], 3, 2), ([1, 96, 33, 31], 3, 2), ([1, 4, 12, 13], 5, 1), ([1, 2, 5, 5], 1, 1)] {
            let x = rng.tensor(shape), w = rng.tensor([shape[1], 1, k, k]), b = rng.tensor([shape[1]])
            let fast = depthwiseConv2d(x, weight: w, bias: b, stride: s), slow = depthwiseConv2dReference(x, weight: w, bias: b, stride: s)
            XCTAssertEqual(fast.shape, [shape[0], shape[1], (shape[2] - k) / s + 1, (shape[3] - k) / s + 1])
            assertClose(fast, slow, tolerance: 1e-5, "\(shape) k\(k) s\(s)")
        }
    }

    /// One channel with a single non-zero tap is a shifted copy of the input.
    func testSingleTapIsAShift() {
        let x = Tensor(shape: [1, 1, 3, 4], values: (0..<12).map(Float.init))
        var w = Tensor(zeros: [1, 1, 3, 3])
        w[5] = 1   // row 1, column 2
        XCTAssertEqual(depthwiseConv2d(x, weight: w, bias: nil, stride: 1).scalars, [6, 7])
    }
}
