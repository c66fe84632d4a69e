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
