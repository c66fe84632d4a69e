import XCTest
import Tensor

final class NormAndShapeOpsTests: XCTestCase {
    func testInstanceNormMatchesReference() {
        var rng = SeededValues(seed: 5)
        for shape in [[1, 3, 1, 17], [2, 5, 7, 9], [1, 4, 64, 65], [1, 1, 300, 301], [1, 1, 512, 517], [1, 2, 400, 401]] {  // the last two split planes into chunks
            let x = rng.tensor(shape)
            let c = shape[1]
            let g = (0..<c).map { _ in rng.next() }, b = (0..<c).map { _ in rng.next() }
            for act in [Activation.none, .relu, .sigmoid] {
                assertClose(instanceNorm(x, gamma: g, beta: b, activation: act),
                            instanceNormReference(x, gamma: g, beta: b, activation: act),
                            tolerance: 2e-5, "\(shape) \(act)")
            }
        }
    }

    func testInstanceNormOfLargeOffsetPlaneKeepsPrecision() {
        // A big plane with a large mean: naive float sums would lose the variance.
        let count = 1 << 20
        let x = Tensor(shape: [1, 1, 1024, 1024], values: (0..<count).map { 1000 + Float($0 % 2) })
        let y = instanceNorm(x, gamma: [1], beta: [0])
        XCTAssertEqual(y[0], -1, accuracy: 1e-3)
        XCTAssertEqual(y[1], 1, accuracy: 1e-3)
    }

    func testReflectAndZeroPadding() {
        let x = Tensor(shape: [1, 1, 2, 3], values: [1, 2, 3,
                                                      4, 5, 6])
        let r = pad2d(x, top: 1, bottom: 1, left: 2, right: 2, mode: .reflect)
        XCTAssertEqual(r.shape, [1, 1, 4, 7])
        XCTAssertEqual(r.scalars, [6, 5, 4, 5, 6, 5, 4,
                                   3, 2, 1, 2, 3, 2, 1,
                                   6, 5, 4, 5, 6, 5, 4,
                                   3, 2, 1, 2, 3, 2, 1])
        let z = pad2d(x, top: 0, bottom: 1, left: 1, right: 0, mode: .zero)
        XCTAssertEqual(z.scalars, [0, 1, 2, 3,
                                   0, 4, 5, 6,
                                   0, 0, 0, 0])
    }

    func testUpsampleNearest() {
        let x = Tensor(shape: [1, 2, 1, 2], values: [1, 2, 3, 4])
        let y = upsampleNearest(x, factor: 2)
        XCTAssertEqual(y.shape, [1, 2, 2, 4])
        XCTAssertEqual(y.scalars, [1, 1, 2, 2, 1, 1, 2, 2,
                                   3, 3, 4, 4, 3, 3, 4, 4])
    }

    func testElementwise() {
        let a = Tensor(shape: [4], values: [-1, 0, 2, -3]), b = Tensor(shape: [4], values: [1, 1, 1, 1])
        XCTAssertEqual(add(a, b).scalars, [0, 1, 3, -2])
        XCTAssertEqual(relu(a).scalars, [0, 0, 2, 0])
        XCTAssertEqual(sigmoid(Tensor(shape: [1], values: [0]))[0], 0.5)
    }

    func testClampUnit() {
        let x = Tensor(shape: [1, 1, 1, 6], values: [-3, 0, 0.25, 1, 7, .nan])
        XCTAssertEqual(clampUnit(x).scalars, [0, 0, 0.25, 1, 1, 0])
    }

    func testCopyOnWrite() {
        var a = Tensor(shape: [2], values: [1, 2])
        let b = a
        a[0] = 9
        XCTAssertEqual(b.scalars, [1, 2])
        XCTAssertEqual(a.scalars, [9, 2])
    }
}

final class PoolingTests: XCTestCase {
    func testMaxPoolDropsOddEdgeAndTakesMaxima() {
        let x = Tensor(shape: [1, 1, 3, 5], values: [1, 5, 2, 0, 9,
                                                     3, 4, 8, 1, 9,
                                                     7, 7, 7, 7, 7])
        let y = maxPool2x2(x)
        XCTAssertEqual(y.shape, [1, 1, 1, 2])
        XCTAssertEqual(y.scalars, [5, 8])
    }
}
