import Foundation
import XCTest
import ImageIO
import Models
import Tensor
@testable import Training

final class AdaINTrainerTests: XCTestCase {
    static let layerScales: [String: Float] = ["block1_conv1": 20, "block2_conv1": 150, "block3_conv1": 190, "block4_conv1": 110]

    func makeTrainer(seed: UInt64 = 1, styleLoss: AdaINStyleLoss = .squared, styleAugmentation: Float = 0) throws -> (AdaINTrainer, ImageFolder, ImageFolder) {
        var config = AdaINTrainingConfig()
        config.styleLoss = styleLoss
        config.styleAugmentation = styleAugmentation
        config.cropSize = 16
        config.batchSize = 2
        config.learningRate = 1e-4
        config.layerScales = Self.layerScales
        config.seed = seed
        let photos = ImageFolder(images: (0..<3).map { StyleBankTrainerTests.photo($0) })
        let paintings = ImageFolder(images: (5..<8).map { StyleBankTrainerTests.photo($0) })
        let trainer = try AdaINTrainer(parameters: AdaINArchitecture.initialWeights(seed: 2), loss: TrainingFixtures.perceptualLoss, config: config)
        return (trainer, photos, paintings)
    }

    /// The decoder as training runs it (ChainTraining over the layer specs) is the inference
    /// network's, and the AdaIN target is built from the same relu4_1 features.
    func testTrainingForwardMatchesInference() throws {
        let (trainer, _, _) = try makeTrainer()
        let photo = TrainingFixtures.image([1, 3, 24, 32], seed: 5), painting = TrainingFixtures.image([1, 3, 16, 16], seed: 6)
        let network = try AdaINNetwork(vggWeights: SafeTensors.load(TrainingFixtures.modelsDirectory.appendingPathComponent("vgg16.safetensors")).tensors,
                                       decoderWeights: trainer.parameters)
        let expected = network.stylize(photo, style: network.styleMoments(painting))
        let features = TrainingFixtures.perceptualLoss.forward(photo, layers: [AdaINArchitecture.encoderLayer]).features[AdaINArchitecture.encoderLayer]!
        let styleFeatures = TrainingFixtures.perceptualLoss.forward(painting, layers: [AdaINArchitecture.encoderLayer]).features[AdaINArchitecture.encoderLayer]!
        let t = adaptiveInstanceNorm(features, style: channelMoments(styleFeatures))
        let y = ChainTraining.forward(AdaINArchitecture.decoder, trainer.parameters, AdaINArchitecture.decoderInput(t)).output
        XCTAssertEqual(expected.shape, [1, 3, 24, 32])
        for (a, b) in zip(clampUnit(y).scalars, expected.scalars) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }

    /// ∂L/∂θ of the whole step (decoder → VGG16 → content and moment losses → back) against central
    /// finite differences of the loss, at coordinates of the first, a middle and the last layer.
    func testDecoderGradientsByFiniteDifferences() throws {
        try checkDecoderGradients(styleLoss: .squared)
    }

    /// The same with the style terms as norms (eq. 13 as written).
    func testDecoderGradientsByFiniteDifferencesWithNormStyleLoss() throws {
        try checkDecoderGradients(styleLoss: .norm)
    }

    /// The norm form's style loss is Σ over the layers of λs/s_l · momentNormLoss, from the same features.
    func testNormStyleLossIsTheWeightedSumOfLayerNorms() throws {
        let (trainer, photos, paintings) = try makeTrainer(styleLoss: .norm)
        var rng = TrainingRandom(seed: 5)
        let x = photos.batch(2, size: 16, rng: &rng), s = paintings.batch(2, size: 16, rng: &rng)
        let r = trainer.lossAndGradients(content: x, style: s)
        let layers = Set(AdaINArchitecture.styleLayers)
        let target = TrainingFixtures.perceptualLoss.forward(s, layers: layers).features.mapValues { channelMoments($0) }
        let out = TrainingFixtures.perceptualLoss.forward(r.output, layers: layers).features
        let expected = AdaINArchitecture.styleLayers.reduce(Float(0)) {
            $0 + trainer.config.styleWeight / Self.layerScales[$1]! * momentNormLoss(features: out[$1]!, target: target[$1]!).value
        }
        XCTAssertEqual(r.losses.style, expected, accuracy: 1e-4 * expected)
        XCTAssertEqual(trainer.config.lossWeightsText, "content=1.0,style=10.0,style_loss=norm")
    }

    func checkDecoderGradients(styleLoss: AdaINStyleLoss) throws {
        let (trainer, photos, paintings) = try makeTrainer(styleLoss: styleLoss)
        var rng = TrainingRandom(seed: 3)
        let x = photos.batch(2, size: 16, rng: &rng), s = paintings.batch(2, size: 16, rng: &rng)
        let r = trainer.lossAndGradients(content: x, style: s)
        XCTAssertEqual(Set(r.gradients.keys), Set(AdaINArchitecture.parameterNames))
        let params = trainer.parameters
        let ulp = Double(r.losses.total.ulp)
        func loss(_ p: [String: Tensor]) -> Double {
            trainer.setParameters(p)
            defer { trainer.setParameters(params) }
            return Double(trainer.lossAndGradients(content: x, style: s).losses.total)
        }
        for name in ["decoder.0.weight", "decoder.3.bias", "decoder.7.weight", "decoder.7.bias"] {
            let g = r.gradients[name]!
            let scale = g.scalars.map(abs).max()!
            // The largest few coordinates: where the loss's change is well above float rounding.
            let order = g.scalars.indices.sorted { abs(g[$0]) > abs(g[$1]) }.prefix(3)
            for i in order {
                // A step that moves the loss by ~1000 of its float ulps, so rounding stays below 0.1%.
                let h = Float(min(max(500 * ulp / Double(abs(g[i])), 1e-4), 1e-2))
                var plus = params, minus = params
                plus[name]![i] += h
                minus[name]![i] -= h
                let numeric = (loss(plus) - loss(minus)) / Double(plus[name]![i] - minus[name]![i])
                XCTAssertEqual(Double(g[i]), numeric, accuracy: 3e-2 * Double(scale), "\(name)[\(i)]")
            }
        }
    }

    func testLossFallsOnAFixedBatch() throws {
        let (trainer, photos, paintings) = try makeTrainer()
        var rng = TrainingRandom(seed: 9)
        let x = photos.batch(2, size: 16, rng: &rng), s = paintings.batch(2, size: 16, rng: &rng)
        var losses: [Float] = []
        for _ in 0..<30 {
            let r = trainer.lossAndGradients(content: x, style: s)
            losses.append(r.losses.total)
            trainer.update(r.gradients)
        }
        XCTAssertLessThan(losses.last!, 0.6 * losses.first!, "loss \(losses.first!) → \(losses.last!)")
    }

    /// Stopping after step 2 and resuming from the checkpoint gives bit-for-bit the parameters of
    /// an uninterrupted run: weights, Adam's moments and step, the iteration and the random state
    /// (which crops come next) all come back. The layer scales travel in the metadata.
    func testResumeFromCheckpointIsExact() throws {
        let (straight, photos, paintings) = try makeTrainer(seed: 4)
        for _ in 0..<4 { straight.step(content: photos, styles: paintings) }

        let (first, _, _) = try makeTrainer(seed: 4)
        for _ in 0..<2 { first.step(content: photos, styles: paintings) }
        let saved = SafeTensors.encode(first.checkpoint().tensors, metadata: first.checkpoint().metadata)
        let (tensors, metadata) = try SafeTensors.decode(saved)
        XCTAssertEqual(try AdaINTrainingConfig.layerScales(parsing: metadata["layer_scales"]!), Self.layerScales)

        let (resumed, _, _) = try makeTrainer(seed: 99)
        try resumed.restore(tensors: tensors, metadata: metadata)
        XCTAssertEqual(resumed.iteration, 2)
        for _ in 0..<2 { resumed.step(content: photos, styles: paintings) }
        XCTAssertEqual(resumed.iteration, 4)
        for name in AdaINArchitecture.parameterNames {
            XCTAssertEqual(resumed.parameters[name]!.scalars, straight.parameters[name]!.scalars, name)
        }
    }

    /// With palette augmentation the style crops change (the run differs from one without it),
    /// and a checkpoint still resumes exactly: the draws come from the trainer's saved random state.
    func testPaletteAugmentationChangesTheRunAndResumesExactly() throws {
        let (plain, photos, paintings) = try makeTrainer(seed: 4)
        let (straight, _, _) = try makeTrainer(seed: 4, styleAugmentation: 1)
        for _ in 0..<3 { plain.step(content: photos, styles: paintings); straight.step(content: photos, styles: paintings) }
        XCTAssertNotEqual(plain.parameters["decoder.0.weight"]!.scalars, straight.parameters["decoder.0.weight"]!.scalars)

        let (first, _, _) = try makeTrainer(seed: 4, styleAugmentation: 1)
        first.step(content: photos, styles: paintings)
        let c = first.checkpoint()
        XCTAssertEqual(c.metadata["style_augmentation"], "1.0")
        let (resumed, _, _) = try makeTrainer(seed: 99, styleAugmentation: 1)
        try resumed.restore(tensors: c.tensors, metadata: c.metadata)
        for _ in 0..<2 { resumed.step(content: photos, styles: paintings) }
        for name in AdaINArchitecture.parameterNames {
            XCTAssertEqual(resumed.parameters[name]!.scalars, straight.parameters[name]!.scalars, name)
        }
    }

    /// Checkpoints written before the optimizer groups (the decoder's Adam as "adam.<key>", no
    /// `groups` metadata) resume exactly as well.
    func testResumeFromALegacyCheckpoint() throws {
        let (straight, photos, paintings) = try makeTrainer(seed: 6)
        for _ in 0..<3 { straight.step(content: photos, styles: paintings) }
        let (first, _, _) = try makeTrainer(seed: 6)
        first.step(content: photos, styles: paintings)
        var (tensors, metadata) = first.checkpoint()
        XCTAssertEqual(metadata["groups"], "decoder")
        // As the trainer wrote them then: Adam's own keys, moments indexed in parameterNames' order.
        let sorted = AdaINArchitecture.parameterNames.sorted()
        tensors = tensors.mapKeys { key in
            guard key.hasPrefix("adam.decoder.") else { return key }
            let parts = key.dropFirst("adam.decoder.".count).split(separator: ".")
            guard parts.count == 3, let j = Int(parts[2]) else { return String(key.dropFirst("adam.decoder.".count)) }
            return "adam.\(parts[1]).\(AdaINArchitecture.parameterNames.firstIndex(of: sorted[j])!)"
        }
        XCTAssertNotNil(tensors["adam.step"])
        metadata["groups"] = nil
        let (resumed, _, _) = try makeTrainer(seed: 99)
        try resumed.restore(tensors: tensors, metadata: metadata)
        XCTAssertEqual(resumed.optimizers.optimizers["decoder"]?.step, 1)
        XCTAssertEqual(resumed.iteration, 1)
        for _ in 0..<2 { resumed.step(content: photos, styles: paintings) }
        for name in AdaINArchitecture.parameterNames { XCTAssertEqual(resumed.parameters[name]!.scalars, straight.parameters[name]!.scalars, name) }
    }

    func testWeightAverageFollowsItsRecurrence() {
        var avg = WeightAverage(decay: 0.9, starting: ["w": Tensor(shape: [2], values: [1, 2])])
        avg.update(with: ["w": Tensor(shape: [2], values: [3, 4]), "other": Tensor(shape: [1], values: [5])])
        XCTAssertEqual(avg.parameters["w"]!.scalars[0], 1.2, accuracy: 1e-6)
        XCTAssertEqual(avg.parameters["w"]!.scalars[1], 2.2, accuracy: 1e-6)
        avg.update(with: ["w": Tensor(shape: [2], values: [3, 4])])
        XCTAssertEqual(avg.parameters["w"]!.scalars[0], 0.9 * 1.2 + 0.1 * 3, accuracy: 1e-6)
        XCTAssertNil(avg.parameters["other"])
    }

    /// With averageDecay d the export is d²·w₀ + d(1−d)·w₁ + (1−d)·w₂ after two steps (w₀ the
    /// starting weights), training continues from the raw weights, and a checkpoint carries the
    /// average on exactly, even into a trainer configured without one.
    func testExportedWeightsAreTheAverageAndResumeKeepsIt() throws {
        func averagingTrainer(_ decay: Float) throws -> (AdaINTrainer, ImageFolder, ImageFolder) {
            let (t, photos, paintings) = try makeTrainer(seed: 8)
            var config = t.config
            config.averageDecay = decay
            return (try AdaINTrainer(parameters: AdaINArchitecture.initialWeights(seed: 2), loss: TrainingFixtures.perceptualLoss, config: config), photos, paintings)
        }
        let (trainer, photos, paintings) = try averagingTrainer(0.5)
        let name = AdaINArchitecture.parameterNames[0]
        var w = [trainer.parameters[name]!.scalars]
        for _ in 0..<2 { trainer.step(content: photos, styles: paintings); w.append(trainer.parameters[name]!.scalars) }
        XCTAssertNotEqual(w[1], w[2])
        let expected = (0..<w[0].count).map { 0.25 * w[0][$0] + 0.25 * w[1][$0] + 0.5 * w[2][$0] }
        let exported = trainer.exportedParameters[name]!.scalars
        for i in expected.indices { XCTAssertEqual(exported[i], expected[i], accuracy: 1e-6) }
        XCTAssertNotEqual(exported, trainer.parameters[name]!.scalars)

        let c = trainer.checkpoint()
        XCTAssertEqual(c.metadata["average_decay"], "0.5")
        let (resumed, _, _) = try makeTrainer(seed: 99)
        try resumed.restore(tensors: c.tensors, metadata: c.metadata)
        XCTAssertEqual(resumed.average?.decay, 0.5)
        for _ in 0..<2 { trainer.step(content: photos, styles: paintings); resumed.step(content: photos, styles: paintings) }
        for n in AdaINArchitecture.parameterNames {
            XCTAssertEqual(resumed.exportedParameters[n]!.scalars, trainer.exportedParameters[n]!.scalars, n)
        }
        // Without averaging, the export is the weights themselves.
        let (plain, _, _) = try makeTrainer(seed: 8)
        plain.step(content: photos, styles: paintings)
        XCTAssertNil(plain.average)
        XCTAssertEqual(plain.exportedParameters[name]!.scalars, plain.parameters[name]!.scalars)
    }

    func testRestoreRefusesAnotherArchitecture() throws {
        let (trainer, _, _) = try makeTrainer()
        var c = trainer.checkpoint()
        c.metadata["architecture"] = "adain-vgg19-v0"
        XCTAssertThrowsError(try trainer.restore(tensors: c.tensors, metadata: c.metadata))
        XCTAssertThrowsError(try AdaINTrainingConfig.layerScales(parsing: "block9_conv1=3"))
        XCTAssertThrowsError(try AdaINTrainingConfig.layerScales(parsing: "block1_conv1=-1"))
    }

    func testLearningRateDecays() {
        var c = AdaINTrainingConfig()
        c.learningRate = 1e-4
        c.learningRateDecay = 5e-5
        XCTAssertEqual(c.learningRate(at: 0), 1e-4)
        XCTAssertEqual(c.learningRate(at: 20_000), 5e-5, accuracy: 1e-9)
    }
}

/// Striped AdaIN (for very large photos) is the whole-image computation, stripe cuts and all.
final class AdaINStripedTests: XCTestCase {
    func testStripedEncodingAndDecodingEqualTheWholeImage() throws {
        let network = try AdaINNetwork(vggWeights: SafeTensors.load(TrainingFixtures.modelsDirectory.appendingPathComponent("vgg16.safetensors")).tensors,
                                       decoderWeights: AdaINArchitecture.initialWeights(seed: 5))
        let photo = TrainingFixtures.image([1, 3, 144, 40], seed: 8)
        let whole = network.encode(photo)
        let striped = network.encodeStriped(photo, stripePixels: 40 * 24)   // 24-row stripes: six cuts
        XCTAssertEqual(striped.shape, whole.shape)
        let maxFeature = whole.scalars.map(abs).max()!
        for (a, b) in zip(striped.scalars, whole.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5 * maxFeature) }
        let y = network.decode(whole), ys = network.decodeStriped(whole, stripePixels: 5 * 64 * 3)   // 3 feature rows a stripe: six cuts
        XCTAssertEqual(ys.shape, y.shape)
        for (a, b) in zip(ys.scalars, y.scalars) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        XCTAssertEqual(concatenateRows([sliceRows(photo, 0..<50), sliceRows(photo, 50..<144)]).scalars, photo.scalars)
    }
}
