import XCTest
import Models
import Tensor

/// Our import of Magenta's int8 arbitrary-style graphs against onnxruntime running the same ONNX
/// files with graph optimizations off, on the same inputs (Golden/magenta.safetensors, made by
/// scripts/make_magenta_golden.py, which records the versions).
///
/// Exact agreement is not possible: every activation is rounded to int8 (`fakeQuant`), and a float
/// sum taken in another order lands on the other side of a rounding boundary now and then. One
/// flipped element of a conditional instance norm's statistics (a single int8 value per channel)
/// shifts its whole channel by one step, so the transformer's differences are channel-wide, not
/// noise. The bounds below are what such flips allow and far below what a wrong op gives
/// (dropping the activation rounding altogether moves the output by about 0.04 on average).
final class MagentaGoldenTests: XCTestCase {
    static func network() throws -> MagentaNetwork {
        try MagentaNetwork(predictFile: WeightsLocation.file("magenta-predict.safetensors"),
                           transformFile: WeightsLocation.file("magenta-transform.safetensors"))
    }

    static func golden() throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        try SafeTensors.load(XCTUnwrap(Bundle.module.url(forResource: "Golden/magenta", withExtension: "safetensors")))
    }

    static func nchw(_ nhwc: Tensor) -> Tensor { QuantizedGraph.transpose(nhwc, [0, 3, 1, 2]) }

    func testEmbeddingMatchesOnnxRuntime() throws {
        let golden = try Self.golden()
        XCTAssertNotNil(golden.metadata["onnxruntime"])
        let e = try Self.network().embedding(Self.nchw(golden.tensors["style"]!))
        let expected = golden.tensors["embedding"]!.scalars
        let step: Float = 0.0198789   // the embedding's int8 step
        let diffs = zip(e, expected).map { abs($0 - $1) }
        let flipped = diffs.filter { $0 > step / 2 }.count
        print("magenta embedding: max |diff| \(diffs.max()!), entries one step off: \(flipped) of \(e.count)")
        XCTAssertLessThanOrEqual(diffs.max()!, 2.01 * step)
        XCTAssertLessThanOrEqual(flipped, 40)
    }

    /// The transformer on the golden embedding: the output image within 5e-3 on average (0–1 pixels).
    func testStylizedImageMatchesOnnxRuntime() throws {
        let golden = try Self.golden()
        let out = try Self.network().stylize(Self.nchw(golden.tensors["content"]!), embedding: golden.tensors["embedding"]!.scalars)
        let expected = Self.nchw(golden.tensors["output"]!)
        XCTAssertEqual(out.shape, expected.shape)
        let diffs = zip(out.scalars, expected.scalars).map { abs($0 - $1) }
        let mean = diffs.reduce(0, +) / Float(diffs.count)
        print("magenta transform: mean |diff| \(mean), max |diff| \(diffs.max()!), exact \(diffs.filter { $0 == 0 }.count) of \(diffs.count)")
        XCTAssertLessThanOrEqual(mean, 5e-3)
        XCTAssertLessThanOrEqual(diffs.max()!, 0.25)
    }
}

/// The graph executor's shape ops against hand-computed values.
final class QuantizedGraphOpTests: XCTestCase {
    func run(_ op: QuantizedGraph.Op, _ x: Tensor, _ y: Tensor? = nil) throws -> Tensor {
        let g = QuantizedGraph(inputs: y == nil ? ["x"] : ["x", "y"], outputs: ["out"], ops: [op])
        return try g.run(y == nil ? ["x": x] : ["x": x, "y": y!], weights: [:])["out"]!
    }

    func testReflectPadOnAnyTwoAxesTransposeReshapeAndBroadcast() throws {
        // NHWC [1, 2, 3, 1] padded by 1 on H and W (ONNX order: begins, then ends).
        let x = Tensor(shape: [1, 2, 3, 1], values: [1, 2, 3, 4, 5, 6])
        let p = try run(.reflectPad(input: "x", output: "out", pads: [0, 1, 1, 0, 0, 1, 1, 0]), x)
        XCTAssertEqual(p.shape, [1, 4, 5, 1])
        XCTAssertEqual(Array(p.scalars[0..<5]), [5, 4, 5, 6, 5])
        XCTAssertEqual(Array(p.scalars[5..<10]), [2, 1, 2, 3, 2])
        let t = try run(.transpose(input: "x", output: "out", permutation: [0, 3, 1, 2]), x)
        XCTAssertEqual(t.shape, [1, 1, 2, 3])
        XCTAssertEqual(t.scalars, x.scalars)
        let nchw = Tensor(shape: [1, 2, 1, 2], values: [1, 2, 3, 4])
        XCTAssertEqual(try run(.transpose(input: "x", output: "out", permutation: [0, 2, 3, 1]), nchw).scalars, [1, 3, 2, 4])
        XCTAssertEqual(try run(.reshape(input: "x", output: "out", shape: [0, -1]), nchw).shape, [1, 4])
        let perChannel = Tensor(shape: [1, 2, 1, 1], values: [10, 20])
        XCTAssertEqual(try run(.sub(a: "x", b: "y", output: "out"), nchw, perChannel).scalars, [-9, -8, -17, -16])
        XCTAssertEqual(try run(.sub(a: "y", b: "x", output: "out"), nchw, perChannel).scalars, [9, 8, 17, 16])
        XCTAssertEqual(try run(.globalAveragePool(input: "x", output: "out"), nchw).scalars, [1.5, 3.5])
        XCTAssertThrowsError(try run(.add(a: "x", b: "y", output: "out"), nchw, Tensor(shape: [3], values: [1, 2, 3])))
    }
}
