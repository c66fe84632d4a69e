import XCTest
import Models
import Tensor

/// Our multistyle26 against onnxruntime's output on the same input (Golden/multistyle26.safetensors,
/// made by scripts/make_golden.py, which records the onnxruntime version in the file's metadata).
final class MultiStyleGoldenTests: XCTestCase {
    func testMatchesOnnxRuntime() throws {
        let network = try MultiStyleNetwork(weights: SafeTensors.load(WeightsLocation.file("multistyle26.safetensors")).tensors)
        let golden = try SafeTensors.load(XCTUnwrap(Bundle.module.url(forResource: "Golden/multistyle26", withExtension: "safetensors")))
        XCTAssertNotNil(golden.metadata["onnxruntime"])
        let input = try XCTUnwrap(golden.tensors["input"])
        for mix in ["style3", "blend3_12", "style25"] {
            let weights = try XCTUnwrap(golden.tensors["weights.\(mix)"]).scalars
            let expected = try XCTUnwrap(golden.tensors["output.\(mix)"])
            let output = network(input, styleWeights: weights)
            XCTAssertEqual(output.shape, expected.shape)
            let a = output.scalars, b = expected.scalars
            let meanAbs = zip(a, b).map { abs($0 - $1) }.reduce(0, +) / Float(a.count)
            let maxAbs = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            print("multistyle26 golden \(mix): mean |diff| \(meanAbs), max |diff| \(maxAbs)")
            XCTAssertLessThanOrEqual(meanAbs, 1e-3, mix)
            XCTAssertLessThanOrEqual(maxAbs, 1e-2, mix)
        }
    }

    func testDifferentStylesGiveDifferentImages() throws {
        let network = try MultiStyleNetwork(weights: SafeTensors.load(WeightsLocation.file("multistyle26.safetensors")).tensors)
        let golden = try SafeTensors.load(XCTUnwrap(Bundle.module.url(forResource: "Golden/multistyle26", withExtension: "safetensors")))
        let input = try XCTUnwrap(golden.tensors["input"])
        var w0 = [Float](repeating: 0, count: 26), w1 = w0
        w0[0] = 1; w1[1] = 1
        let a = network(input, styleWeights: w0).scalars, b = network(input, styleWeights: w1).scalars
        let meanAbs = zip(a, b).map { abs($0 - $1) }.reduce(0, +) / Float(a.count)
        XCTAssertGreaterThan(meanAbs, 0.02)
    }
}

extension MultiStyleGoldenTests {
    /// The striped evaluation of the first two layers (for very large images) gives the same image
    /// as the whole-image one, for stripe heights that do and do not divide the image.
    func testStripedFrontMatchesWholeImage() throws {
        var network = try MultiStyleNetwork(weights: SafeTensors.load(WeightsLocation.file("multistyle26.safetensors")).tensors)
        let golden = try SafeTensors.load(XCTUnwrap(Bundle.module.url(forResource: "Golden/multistyle26", withExtension: "safetensors")))
        let input = try XCTUnwrap(golden.tensors["input"])
        let weights = try XCTUnwrap(golden.tensors["weights.blend3_12"]).scalars
        let whole = network(input, styleWeights: weights)
        network.stripedAbovePixels = 0
        for rows in [8, 7, 64] {
            network.stripeRows = rows
            let striped = network(input, styleWeights: weights)
            let maxDiff = zip(striped.scalars, whole.scalars).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(maxDiff, 1e-4, "stripe rows \(rows)")
        }
        // A batch of two runs image by image.
        let pair = Tensor(shape: [2] + input.shape.dropFirst(), values: input.scalars + input.scalars.map { 1 - $0 })
        let batched = network(pair, styleWeights: weights)
        XCTAssertEqual(batched.shape, [2, 3, 44, 60])
        XCTAssertLessThan(zip(Array(batched.scalars.prefix(whole.count)), whole.scalars).map { abs($0 - $1) }.max()!, 1e-4)
    }
}
