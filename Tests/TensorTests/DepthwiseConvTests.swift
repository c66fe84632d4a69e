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

    /// Zero padding inside the kernel, symmetric and one-sided (TF's SAME for stride 2: bottom and
    /// right only), equal bit for bit to padding first and running the loop nest.
    func testPaddedMatchesPaddingFirst() {
        var rng = SeededValues(seed: 11)
        for (shape, k, s, pads) in [([1, 3, 9, 11], 3, 1, [1, 1, 1, 1]), ([1, 5, 16, 16], 3, 2, [0, 0, 1, 1]), ([2, 7, 17, 10], 3, 2, [0, 0, 1, 1]),
                                    ([1, 4, 8, 13], 5, 1, [2, 1, 2, 3]), ([1, 9, 24, 24], 3, 1, [1, 1, 1, 1]),
                                    // stride 2 with a left pad (odd and even input columns trade phases), rows of
                                    // 32 and more (the vector path) and odd widths, and stride 3 (the general path)
                                    ([1, 3, 9, 37], 3, 2, [1, 1, 1, 1]), ([1, 4, 10, 70], 3, 2, [1, 1, 0, 0]),
                                    ([1, 2, 7, 33], 3, 2, [0, 1, 1, 0]), ([1, 2, 6, 64], 5, 2, [2, 2, 2, 2]), ([1, 3, 11, 40], 3, 3, [1, 1, 1, 1])] {
            let x = rng.tensor(shape), w = rng.tensor([shape[1], 1, k, k]), b = rng.tensor([shape[1]])
            let fast = depthwiseConv2d(x, weight: w, bias: b, stride: s, pads: pads)
            let slow = depthwiseConv2dReference(x, weight: w, bias: b, stride: s, pads: pads)
            XCTAssertEqual(fast.shape, slow.shape, "\(shape) k\(k) s\(s) \(pads)")
            XCTAssertEqual(fast.scalars, slow.scalars, "\(shape) k\(k) s\(s) \(pads)")
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
