import XCTest
import Models
import Tensor

/// Our VGG16 conv stack against onnxruntime on the imported Keras graph, cut at the
/// perceptual-loss ReLUs (Golden/vgg16.safetensors, made by scripts/make_vgg_golden.py).
final class VGG16GoldenTests: XCTestCase {
    func testFeaturesMatchOnnxRuntime() throws {
        let vgg = try VGG16(weights: SafeTensors.load(WeightsLocation.file("vgg16.safetensors")).tensors)
        let golden = try SafeTensors.load(XCTUnwrap(Bundle.module.url(forResource: "Golden/vgg16", withExtension: "safetensors")))
        let layers: Set = ["block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3"]
        let features = vgg.features(try XCTUnwrap(golden.tensors["input"]), at: layers)
        for name in layers.sorted() {
            let expected = try XCTUnwrap(golden.tensors[name]), got = try XCTUnwrap(features[name])
            XCTAssertEqual(got.shape, expected.shape, name)
            let a = got.scalars, b = expected.scalars
            let scale = b.map(abs).max() ?? 1
            let maxRel = zip(a, b).map { abs($0 - $1) }.max()! / scale
            let meanAbs = zip(a, b).map { abs($0 - $1) }.reduce(0, +) / Float(a.count)
            print("vgg16 golden \(name): max |diff| / max |value| = \(maxRel), mean |diff| = \(meanAbs) (values up to \(scale))")
            XCTAssertLessThan(maxRel, 1e-4, name)
        }
    }

    func testPreprocessIsBGRMinusMean() {
        let rgb = Tensor(shape: [1, 3, 1, 1], values: [1, 0.5, 0])   // R, G, B
        let bgr = VGG16.preprocess(rgb).scalars
        XCTAssertEqual(bgr[0], 0 - 103.939, accuracy: 1e-3)      // B
        XCTAssertEqual(bgr[1], 127.5 - 116.779, accuracy: 1e-3)  // G
        XCTAssertEqual(bgr[2], 255 - 123.68, accuracy: 1e-3)     // R
    }
}
