import XCTest
@testable import Models
import Tensor

/// The graph runner's fast paths against their plain forms: clip removal before a saturating
/// quantization, element-wise arithmetic with broadcasting, and image transposes. All must be
/// bit-identical: Magenta's int8 rounding turns any difference into a flipped level.
final class QuantizedGraphFastPathTests: XCTestCase {
    /// Values well past the clip and quantization ranges on both sides, a NaN and infinities.
    static func values(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { i in
            switch i % 97 { case 0: return .nan; case 1: return .infinity; case 2: return -.infinity
            default: return (Float(rng.next() >> 40) / 0x1p24 - 0.4) * 20 }
        }
    }

    /// Equal bits, or both NaN (a NaN's payload may come from either operand).
    static func same(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    func run(_ g: QuantizedGraph, _ x: Tensor) throws -> [Float] { try g.run(["x": x], weights: [:])["out"]!.scalars }

    func testClipBeforeASaturatingQuantizationIsDroppedWithTheSameResult() throws {
        let x = Tensor(shape: [1, 3, 5, 7], values: Self.values(105, seed: 3))
        // MobileNet's ReLU6 into a quantization of step 6/255 from −128 (range [0, 6]), and a ReLU
        // into one whose range starts at 0.
        for (clip, scale, zero) in [(QuantizedGraph.Op.clip(input: "x", output: "c", min: 0, max: 6), Float(6) / 255, Float(-128)),
                                    (.relu(input: "x", output: "c"), 0.05, -128)] {
            let g = QuantizedGraph(inputs: ["x"], outputs: ["out"], ops: [clip, .fakeQuant(input: "c", output: "out", scale: scale, zeroPoint: zero)])
            let s = g.simplified()
            XCTAssertEqual(s.ops.count, 1, "\(clip)")
            let (a, b) = (try run(g, x), try run(s, x))
            XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(clip)")
        }
    }

    /// A convolution whose one reader is a fakeQuant quantizes its own results (the fakeQuant then
    /// passes the value on); one whose output is read twice does not. Either way the graph's
    /// result is the op-by-op one, bit for bit.
    func testConvolutionsQuantizeTheirResultsWhereTheQuantizationIsTheirOnlyReader() throws {
        var rng = SplitMix64(seed: 8)
        func tensor(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(rng.next() >> 40) / 0x1p24 - 0.5 })
        }
        let weights = ["w1": tensor([6, 3, 3, 3]), "b1": tensor([6]), "wd": tensor([6, 1, 3, 3]), "bd": tensor([6]),
                       "w3": tensor([5, 6, 1, 1]), "b3": tensor([5])]
        let (s1, s2, s3): (Float, Float, Float) = (0.011, 0.007, 0.013)
        let g = QuantizedGraph(inputs: ["x"], outputs: ["out"], ops: [
            .conv(input: "x", output: "c1", weight: "w1", bias: "b1", stride: 1, pads: [1, 1, 1, 1], group: 1),
            .fakeQuant(input: "c1", output: "q1", scale: s1, zeroPoint: -3),
            .conv(input: "q1", output: "c2", weight: "wd", bias: "bd", stride: 2, pads: [0, 0, 1, 1], group: 6),
            .fakeQuant(input: "c2", output: "q2", scale: s2, zeroPoint: 5),
            .conv(input: "q2", output: "c3", weight: "w3", bias: "b3", stride: 1, pads: [0, 0, 0, 0], group: 1),
            .fakeQuant(input: "c3", output: "q3", scale: s3, zeroPoint: 0),
            .add(a: "q3", b: "c3", output: "out"),   // c3 has two readers: its conv stores it unquantized
        ])
        let (fused, passing) = PreparedQuantizedGraph.quantizingConvolutions(g, weights: weights)
        XCTAssertEqual(fused, [0: FakeQuantization(scale: s1, zeroPoint: -3), 2: FakeQuantization(scale: s2, zeroPoint: 5)])
        XCTAssertEqual(passing, [1, 3])

        let x = tensor([1, 3, 13, 11])
        let out = try PreparedQuantizedGraph(g, weights: weights).run(["x": x])["out"]!
        let c1 = Conv2D(weight: weights["w1"]!, bias: weights["b1"]!)(pad2d(x, top: 1, bottom: 1, left: 1, right: 1, mode: .zero))
        let q1 = fakeQuantize(c1, scale: s1, zeroPoint: -3)
        let q2 = fakeQuantize(depthwiseConv2d(q1, weight: weights["wd"]!, bias: weights["bd"]!, stride: 2, pads: [0, 0, 1, 1]), scale: s2, zeroPoint: 5)
        let c3 = Conv2D(weight: weights["w3"]!, bias: weights["b3"]!)(q2)
        let q3 = fakeQuantize(c3, scale: s3, zeroPoint: 0)
        XCTAssertEqual(out.shape, c3.shape)
        XCTAssertEqual(out.scalars.map(\.bitPattern), zip(q3.scalars, c3.scalars).map { ($0 + $1).bitPattern })
    }

    func testClipThatChangesTheResultIsKept() throws {
        let narrow = QuantizedGraph(inputs: ["x"], outputs: ["out"], ops: [
            .clip(input: "x", output: "c", min: 0, max: 3), .fakeQuant(input: "c", output: "out", scale: Float(6) / 255, zeroPoint: -128)])
        XCTAssertEqual(narrow.simplified().ops.count, 2)   // the quantization reaches 6: the clip at 3 matters
        let twoReaders = QuantizedGraph(inputs: ["x"], outputs: ["out", "c"], ops: [
            .relu(input: "x", output: "c"), .fakeQuant(input: "c", output: "out", scale: 0.05, zeroPoint: -128)])
        XCTAssertEqual(twoReaders.simplified().ops.count, 2)   // the clipped value is an output too
        let negative = QuantizedGraph(inputs: ["x"], outputs: ["out"], ops: [
            .relu(input: "x", output: "c"), .fakeQuant(input: "c", output: "out", scale: 0.05, zeroPoint: 0)])
        XCTAssertEqual(negative.simplified().ops.count, 2)   // the quantization holds negative levels the ReLU removes
    }

    func testBroadcastArithmeticMatchesScalarLoops() throws {
        for shape in [[1, 3, 5, 7], [2, 4, 3, 11], [1, 2, 1, 1]] {
            let n = shape.reduce(1, *)
            let a = Tensor(shape: shape, values: Self.values(n, seed: 5)), b = Tensor(shape: shape, values: Self.values(n, seed: 6))
            let perChannel = Tensor(shape: [shape[0], shape[1], 1, 1], values: Self.values(shape[0] * shape[1], seed: 7))
            let one = Tensor(shape: [1], values: [1.5])
            let plane = shape[2] * shape[3]
            let cases: [(Tensor, Tensor, (Int) -> (Float, Float))] = [
                (a, b, { (a.scalars[$0], b.scalars[$0]) }),
                (a, perChannel, { (a.scalars[$0], perChannel.scalars[$0 / plane]) }),
                (perChannel, a, { (perChannel.scalars[$0 / plane], a.scalars[$0]) }),
                (a, one, { (a.scalars[$0], 1.5) }),
            ]
            for (x, y, operands) in cases {
                let sum = try QuantizedGraph.broadcast(x, y, Add.self).scalars
                let difference = try QuantizedGraph.broadcast(x, y, Subtract.self).scalars
                let product = try QuantizedGraph.broadcast(x, y, Multiply.self).scalars
                for i in 0..<n {
                    let (p, q) = operands(i)
                    XCTAssertTrue(Self.same(sum[i], p + q), "\(shape) + at \(i)")
                    XCTAssertTrue(Self.same(difference[i], p - q), "\(shape) − at \(i)")
                    XCTAssertTrue(Self.same(product[i], p * q), "\(shape) × at \(i)")
                }
            }
        }
    }

    func testImageTransposesMatchTheGeneralOne() {
        for shape in [[1, 3, 5, 7], [2, 9, 4, 13]] {
            let x = Tensor(shape: shape, values: Self.values(shape.reduce(1, *), seed: 9).map { $0.isNaN ? 0 : $0 })
            for perm in [[0, 2, 3, 1], [0, 3, 1, 2]] {
                let fast = QuantizedGraph.transpose(x, perm), slow = QuantizedGraph.transposeReference(x, perm)
                XCTAssertEqual(fast.shape, slow.shape)
                XCTAssertEqual(fast.scalars, slow.scalars, "\(shape) \(perm)")
            }
        }
    }
}
