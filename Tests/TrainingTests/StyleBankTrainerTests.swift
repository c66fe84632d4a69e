import Foundation
import XCTest
import ImageIO
import Models
import Tensor
@testable import Training

final class StyleBankTrainerTests: XCTestCase {
    func makeTrainer(seed: UInt64 = 1, averageDecay: Float? = nil, shallowContent: Float = 0) -> (StyleBankTrainer, ImageFolder) {
        var config = StyleBankTrainingConfig()
        config.averageDecay = averageDecay
        config.shallowContentWeight = shallowContent
        config.cropSize = 24
        config.batchSize = 1
        config.learningRate = 1e-3
        config.seed = seed
        let photos = ImageFolder(images: (0..<3).map(Self.photo))
        let styleImage = TrainingFixtures.image([1, 3, 32, 32], seed: 77)
        let trainer = StyleBankTrainer(parameters: Self.residualWeights(styles: [0], seed: 3), styles: [0],
                                       styleImages: [0: styleImage], loss: TrainingFixtures.perceptualLoss, config: config)
        return (trainer, photos)
    }

    /// One residual block on each side of the bank, already active (last γ 0.5, not the identity's
    /// 0), so gradients reach every block.
    static func residualWeights(styles: [Int], seed: UInt64) -> [String: Tensor] {
        var w = StyleBankArchitecture(encoderResiduals: 1, decoderResiduals: 1).initialWeights(styles: styles, seed: seed)
        for name in ["encoder.res0.1.gamma", "decoder.res0.1.gamma"] { w[name] = Tensor(shape: [128], repeating: 0.5) }
        return w
    }

    /// Training's forward pass (ChainTraining over the layer specs) computes what the inference
    /// network does, residual blocks included.
    func testTrainingForwardMatchesInference() throws {
        let (trainer, photos) = makeTrainer()
        XCTAssertEqual(trainer.architecture, StyleBankArchitecture(encoderResiduals: 1, decoderResiduals: 1))
        var rng = TrainingRandom(seed: 4)
        let x = photos.batch(1, size: 24, rng: &rng)
        let network = try StyleBankNetwork(weights: trainer.parameters, styles: [0])
        let y = trainer.stylizingLossAndGradients(content: x, style: 0, trainAutoencoder: false).output
        let expected = network(x, blend: [0: 1])
        for (a, b) in zip(clampUnit(y).scalars, expected.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    /// A 40×36 test pattern, different for each k.
    static func photo(_ k: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: 40 * 36 * 3)
        for i in 0..<pixels.count { pixels[i] = UInt8((i * (k + 3) / 7) % 256) }
        return RGBImage(width: 40, height: 36, pixels: pixels)
    }

    func testStylizingLossFallsOnAFixedBatch() {
        let (trainer, photos) = makeTrainer()
        var rng = TrainingRandom(seed: 9)
        let x = photos.batch(1, size: 24, rng: &rng)
        // Adam's first step moves every weight by lr at once, so the loss spikes before it falls.
        var first: Float = 0, last: Float = 0
        for i in 0..<10 {
            let r = trainer.stylizingLossAndGradients(content: x, style: 0, trainAutoencoder: true)
            if i == 0 { first = r.losses.total }
            last = r.losses.total
            trainer.update(group: "autoencoder", gradients: r.gradients)
            trainer.update(group: "bank.0", gradients: r.gradients)
        }
        XCTAssertLessThan(last, 0.6 * first, "loss \(first) → \(last)")
    }

    /// The auto-encoder branch alone overfits one crop: every encoder/decoder parameter gets a
    /// gradient, and the reconstruction error falls well below its start.
    func testIdentityLossFallsOnAFixedBatch() {
        let (trainer, photos) = makeTrainer()
        var rng = TrainingRandom(seed: 9)
        let x = photos.batch(1, size: 24, rng: &rng)
        var losses: [Float] = []
        for _ in 0..<150 {
            let r = trainer.identityLossAndGradients(content: x)
            let names = trainer.parameters.keys.filter { $0.hasPrefix("encoder.") || $0.hasPrefix("decoder.") }
            XCTAssertEqual(Set(r.gradients.keys).intersection(names).count, names.count, "a parameter without gradient")
            losses.append(r.losses.identity)
            trainer.update(group: "autoencoder-identity", gradients: r.gradients)
        }
        print("identity loss on one crop: \(losses[0]) → \(losses[49]) → \(losses[99]) → \(losses[149])")
        XCTAssertLessThan(losses.last!, 0.25 * losses.first!, "identity \(losses.first!) → \(losses.last!)")
    }

    /// The whole chain (encoder → bank → decoder → VGG losses + TV) against central differences of
    /// the total loss, at two coordinates of seven parameter tensors spread over the network,
    /// residual blocks included; 11 of the 14 must agree within 8% (ReLU kinks can spoil a
    /// quotient, see PerceptualLossTests). With and without the relu2_2 content term.
    func testEndToEndGradientsMatchFiniteDifferences() {
        checkEndToEndGradients(shallowContent: 0)
        checkEndToEndGradients(shallowContent: 0.5)
    }

    func checkEndToEndGradients(shallowContent: Float, file: StaticString = #filePath, line: UInt = #line) {
        let (trainer, photos) = makeTrainer(shallowContent: shallowContent)
        var rng = TrainingRandom(seed: 9)
        let x = photos.batch(1, size: 24, rng: &rng)
        let r = trainer.stylizingLossAndGradients(content: x, style: 0, trainAutoencoder: true)
        let base = trainer.parameters
        var agreeing = 0, report: [String] = []
        for name in ["decoder.2.bias", "decoder.2.weight", "bank.0.gamma", "encoder.1.weight", "decoder.0.beta",
                     "encoder.res0.0.weight", "decoder.res0.1.gamma"] {
            let g = r.gradients[name]!
            for i in [0, min(5, g.count - 1)] {
                let h: Float = 1e-3 * max(1, abs(base[name]![i]))
                func loss(_ delta: Float) -> Double {
                    var p = base
                    p[name]![i] += delta
                    trainer.setParameters(p)
                    return Double(trainer.stylizingLossAndGradients(content: x, style: 0, trainAutoencoder: true).losses.total)
                }
                let numeric = (loss(h) - loss(-h)) / (2 * Double(h))
                if abs(Double(g[i]) - numeric) <= 0.08 * abs(numeric) { agreeing += 1 }
                report.append("\(name)[\(i)]: \(g[i]) vs \(numeric)")
            }
        }
        trainer.setParameters(base)
        XCTAssertGreaterThanOrEqual(agreeing, 11, "relu2_2 weight \(shallowContent): " + report.joined(separator: "; "), file: file, line: line)
    }

    /// The content loss is relu4_2's MSE, plus the relu2_2 MSE times its weight when that term is on.
    func testShallowContentTermAddsTheRelu22MSE() {
        let (plain, photos) = makeTrainer()
        let (shallow, _) = makeTrainer(shallowContent: 0.5)
        var rng = TrainingRandom(seed: 4)
        let x = photos.batch(1, size: 24, rng: &rng)
        let a = plain.stylizingLossAndGradients(content: x, style: 0, trainAutoencoder: true)
        let b = shallow.stylizingLossAndGradients(content: x, style: 0, trainAutoencoder: true)
        let layer = PerceptualLoss.shallowContentLayer, vgg = TrainingFixtures.perceptualLoss
        let mse = mseLoss(vgg.forward(a.output, layers: [layer]).features[layer]!, vgg.forward(x, layers: [layer]).features[layer]!).value
        XCTAssertGreaterThan(mse, 0)
        XCTAssertEqual(b.losses.content, a.losses.content + 0.5 * mse, accuracy: 1e-4 * b.losses.content)
        XCTAssertEqual(b.losses.style, a.losses.style)
    }

    /// Stop after 3 steps, save, go on 2 steps; a fresh trainer restored from the save and run 2
    /// steps must end with bit-identical parameters.
    func testCheckpointResumesExactly() throws {
        let (a, photos) = makeTrainer(averageDecay: 0.9)
        for _ in 0..<3 { a.step(photos) }
        let saved = a.checkpoint()
        let encoded = SafeTensors.encode(saved.tensors, metadata: saved.metadata)
        for _ in 0..<2 { a.step(photos) }

        let (b, _) = makeTrainer(seed: 999, averageDecay: 0.9)
        let decoded = try SafeTensors.decode(encoded)
        try b.restore(tensors: decoded.tensors, metadata: decoded.metadata)
        XCTAssertEqual(b.iteration, 3)
        for _ in 0..<2 { b.step(photos) }
        XCTAssertEqual(a.parameters.keys.sorted(), b.parameters.keys.sorted())
        for (k, v) in a.parameters { XCTAssertEqual(v.scalars, b.parameters[k]!.scalars, k) }
        for (k, v) in a.averagedParameters { XCTAssertEqual(v.scalars, b.averagedParameters[k]!.scalars, "average of \(k)") }
    }

    /// With averaging on, `averagedParameters` is the exponential average of the iterates after
    /// each step (starting from the initial parameters); off, it is the parameters themselves.
    func testAveragedParametersAverageTheIterates() {
        let (trainer, photos) = makeTrainer(averageDecay: 0.5)
        var expected = trainer.parameters.mapValues { $0.scalars.map(Double.init) }
        for _ in 0..<4 {
            trainer.step(photos)
            for (k, p) in trainer.parameters { expected[k] = zip(expected[k]!, p.scalars).map { 0.5 * $0 + 0.5 * Double($1) } }
        }
        for name in ["encoder.0.weight", "bank.0.gamma", "decoder.res0.1.gamma"] {
            for (a, e) in zip(trainer.averagedParameters[name]!.scalars, expected[name]!) { XCTAssertEqual(Double(a), e, accuracy: 1e-5 * max(1, abs(e)), name) }
            XCTAssertNotEqual(trainer.averagedParameters[name]!.scalars, trainer.parameters[name]!.scalars, name)
        }
        let (plain, _) = makeTrainer()
        plain.step(photos)
        XCTAssertEqual(plain.averagedParameters["bank.0.weight"]!.scalars, plain.parameters["bank.0.weight"]!.scalars)
    }
}

extension StyleBankTrainerTests {
    /// Exported F16 weights start a new trainer at the saved iteration with the same parameters
    /// (to F16 precision); wrong shapes are refused.
    func testStartsFromExportedWeights() throws {
        let (a, photos) = makeTrainer()
        for _ in 0..<2 { a.step(photos) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-export-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try StyleBankExport.write(parameters: a.parameters, styles: [.init(id: 0, name: "s", source: "s.jpg")],
                                  iteration: a.iteration, lossWeights: a.config.lossWeights, styleSize: 512, to: dir, provenance: "test")
        let saved = try SafeTensors.load(dir.appendingPathComponent("stylebank.safetensors"))
        XCTAssertEqual(try StyleBankExport.styles(metadata: saved.metadata).map(\.name), ["s"])
        let (b, _) = makeTrainer(seed: 5)
        try b.start(from: saved.tensors, iteration: Int(saved.metadata["iteration"]!)!)
        XCTAssertEqual(b.iteration, 2)
        for (k, v) in a.parameters {
            for (x, y) in zip(v.scalars, b.parameters[k]!.scalars) { XCTAssertEqual(x, y, accuracy: abs(x) * 1e-3 + 1e-4, k) }
        }
        var broken = saved.tensors
        broken["bank.0.weight"] = Tensor(zeros: [1])
        XCTAssertThrowsError(try b.start(from: broken, iteration: 0))
    }
}

extension StyleBankTrainerTests {
    /// A new style's bank starts exactly from the bank it is given (the service passes the mean).
    func testNewStyleStartsFromTheGivenBank() {
        let (base, _) = makeTrainer()
        let start = ["weight": base.parameters["bank.0.weight"]!, "gamma": base.parameters["bank.0.gamma"]!, "beta": base.parameters["bank.0.beta"]!]
        let trainer = StyleBankTrainer.newStyle(autoencoder: base.parameters, styleID: 9, styleImage: TrainingFixtures.image([1, 3, 32, 32], seed: 5),
                                                loss: TrainingFixtures.perceptualLoss, config: base.config, initialBank: start)
        for part in ["weight", "gamma", "beta"] { XCTAssertEqual(trainer.parameters["bank.9.\(part)"]?.scalars, start[part]!.scalars) }
    }

    /// Learning a new style touches only its bank: encoder and decoder stay bit-identical while the
    /// style loss falls.
    func testNewStyleTrainsOnlyItsBank() {
        let (base, photos) = makeTrainer()
        var config = base.config
        config.learningRate = 1e-2
        let trainer = StyleBankTrainer.newStyle(autoencoder: base.parameters, styleID: 7,
                                                styleImage: TrainingFixtures.image([1, 3, 32, 32], seed: 123),
                                                loss: TrainingFixtures.perceptualLoss, config: config)
        let before = trainer.parameters
        XCTAssertNil(before["bank.0.weight"])
        var losses: [Float] = []
        for _ in 0..<8 { losses.append(trainer.step(photos).losses.style) }
        for (k, v) in before where !k.hasPrefix("bank.7.") {
            XCTAssertEqual(trainer.parameters[k]!.scalars, v.scalars, "\(k) changed")
        }
        XCTAssertNotEqual(trainer.parameters["bank.7.weight"]!.scalars, before["bank.7.weight"]!.scalars)
        XCTAssertLessThan(losses.suffix(3).reduce(0, +), losses.prefix(3).reduce(0, +), "\(losses)")
    }
}

extension StyleBankTrainerTests {
    /// A weight file records the loss weights and style size it was trained with; a file from
    /// before they were recorded reads as the defaults and 384 (what every such bank was trained
    /// with); a malformed record is refused.
    func testExportRecordsLossWeightsAndStyleSize() throws {
        let (a, _) = makeTrainer()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-weights-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let styles: [StyleBankExport.Style] = [.init(id: 0, name: "s", source: "s.jpg")]
        let custom = LossWeights(content: 1, style: 2.5, tv: 2e-5)
        try StyleBankExport.write(parameters: a.parameters, styles: styles, iteration: 7, lossWeights: custom, styleSize: 640,
                                  to: dir, provenance: "test")
        let file = dir.appendingPathComponent("stylebank.safetensors")
        XCTAssertEqual(try StyleBankExport.read(file).lossWeights, custom)
        XCTAssertEqual(try StyleBankExport.read(file).styleSize, 640)

        let tensors = try SafeTensors.load(file).tensors
        var metadata = try SafeTensors.load(file).metadata
        metadata["loss_weights"] = nil
        metadata["style_size"] = nil
        try SafeTensors.write(tensors, to: file, metadata: metadata)
        XCTAssertEqual(try StyleBankExport.read(file).lossWeights, LossWeights(StyleBankTrainingConfig()))
        XCTAssertEqual(try StyleBankExport.read(file).styleSize, 384)
        for bad in ["0", "big", "100000"] {
            metadata["style_size"] = bad
            try SafeTensors.write(tensors, to: file, metadata: metadata)
            XCTAssertThrowsError(try StyleBankExport.read(file), bad)
        }
        metadata["style_size"] = nil

        for bad in ["content=1,style=2.5", "content=1,style=x,tv=0", "content=1,style=-1,tv=0"] {
            metadata["loss_weights"] = bad
            try SafeTensors.write(tensors, to: file, metadata: metadata)
            XCTAssertThrowsError(try StyleBankExport.read(file), bad)
        }
    }

    func testLossWeightsText() {
        let w = LossWeights(content: 1, style: 2.5, tv: 1e-4)
        XCTAssertEqual(LossWeights(w.description), w)
        XCTAssertEqual(LossWeights("tv=0.5,content=2,style=3"), LossWeights(content: 2, style: 3, tv: 0.5))
        XCTAssertNil(LossWeights("content=1,style=2,tv=3,extra=4"))
        let shallow = LossWeights(content: 1, style: 2.5, tv: 1e-4, shallowContent: 0.5)
        XCTAssertEqual(shallow.description, "content=1.0,style=2.5,tv=0.0001,content_relu2_2=0.5")
        XCTAssertEqual(LossWeights(shallow.description), shallow)
        XCTAssertEqual(w.description, "content=1.0,style=2.5,tv=0.0001", "a file without the relu2_2 term records no key for it")
        XCTAssertNil(LossWeights(""))
        var config = StyleBankTrainingConfig()
        config.lossWeights = w
        XCTAssertEqual([config.contentWeight, config.styleWeight, config.tvWeight, config.shallowContentWeight], [1, 2.5, 1e-4, 0])
        config.lossWeights = shallow
        XCTAssertEqual(config.shallowContentWeight, 0.5)
    }
}
