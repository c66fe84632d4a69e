import XCTest
import Models
import Tensor
@testable import Training

/// MUNIT's training step on a tiny architecture: both losses' gradients against finite
/// differences, the alternating updates overfitting one pair, exact resume, export.
final class MUNITTrainerTests: XCTestCase {
    static var tiny: MUNITArchitecture {
        var t = MUNITArchitecture()
        (t.width, t.residualBlocks, t.styleDimension, t.mlpWidth, t.downsampling, t.styleDownsampling) = (4, 1, 3, 8, 1, 2)
        (t.discriminatorWidth, t.discriminatorLayers, t.discriminatorScales) = (4, 2, 2)
        return t
    }

    func makeTrainer(seed: UInt64 = 1, crop: Int = 8, learningRate: Float = 1e-4) throws -> MUNITTrainer {
        var c = MUNITTrainingConfig()
        c.learningRate = learningRate
        c.architecture = Self.tiny
        c.cropSize = crop
        c.seed = seed
        return try MUNITTrainer(config: c)
    }

    func weighted(_ l: MUNITLosses, _ c: MUNITTrainingConfig) -> Double {
        Double(c.ganWeight * l.adversarial + c.imageWeight * l.image + c.styleWeight * l.style + c.contentWeight * l.content
               + c.perceptualWeight * l.perceptual + c.cycleWeight * l.cycle)
    }

    /// Central differences of a loss at a few coordinates of every parameter tensor that has a
    /// gradient; all but `allowedKinks` must agree (ReLU and |·| kinks near a coordinate spoil a few).
    func checkGradients(_ trainer: MUNITTrainer, gradients: [String: Tensor], allowedKinks: Int, step h: Float = 1e-3,
                        loss: ([String: Tensor]) -> Double, file: StaticString = #filePath, line: UInt = #line) {
        let base = trainer.parameters
        // The loss is a Float of about 15: steps much below 1e-3 drown in its rounding.
        var rng = TrainingRandom(seed: 17)
        var agreeing = 0, total = 0, report: [String] = []
        for name in gradients.keys.sorted() {
            for _ in 0..<2 {
                let i = rng.int(gradients[name]!.count)
                var pp = base, pm = base
                pp[name]![i] += h; pm[name]![i] -= h
                let numeric = (loss(pp) - loss(pm)) / (2 * Double(h))
                let analytic = Double(gradients[name]![i])
                total += 1
                if abs(analytic - numeric) <= 5e-2 * abs(numeric) + 5e-3 { agreeing += 1 } else { report.append("\(name)[\(i)]: \(analytic) vs \(numeric)") }
            }
        }
        trainer.setParameters(base)
        XCTAssertGreaterThanOrEqual(agreeing, total - allowedKinks, report.joined(separator: "; "), file: file, line: line)
        XCTAssertGreaterThan(total, 40, file: file, line: line)
    }

    /// The generator step's gradients of its weighted loss against central differences, on one
    /// photo and painting of 8²; returns the step's losses.
    @discardableResult
    func checkGeneratorGradients(_ trainer: MUNITTrainer, step h: Float = 1e-3, file: StaticString = #filePath, line: UInt = #line) -> MUNITLosses {
        let xa = MUNITImages.toSigned(TrainingFixtures.image([1, 3, 8, 8], seed: 1))
        let xb = MUNITImages.toSigned(TrainingFixtures.image([1, 3, 8, 8], seed: 2))
        let (sa, sb) = (trainer.drawStyles(1), trainer.drawStyles(1))
        let r = trainer.generatorLossAndGradients(xa, xb, styles: sa, sb)
        let generators = Set(trainer.config.architecture.generatorParameterNames("a") + trainer.config.architecture.generatorParameterNames("b"))
        XCTAssertEqual(Set(r.gradients.keys), generators, "every generator parameter, no discriminator's", file: file, line: line)
        checkGradients(trainer, gradients: r.gradients, allowedKinks: 3, step: h, loss: { p in
            trainer.setParameters(p)
            return weighted(trainer.generatorLossAndGradients(xa, xb, styles: sa, sb).losses, trainer.config)
        }, file: file, line: line)
        return r.losses
    }

    func testGeneratorGradientsByFiniteDifferences() throws {
        checkGeneratorGradients(try makeTrainer())
    }

    /// The same check with the domain-invariant perceptual loss on (at relu2_2: 8² crops are 4² there).
    func testGeneratorGradientsWithThePerceptualLoss() throws {
        var c = try makeTrainer().config
        (c.perceptualWeight, c.perceptualLayer) = (2, "block2_conv2")
        XCTAssertEqual(c.lossWeightsText, "gan=1.0,x=10.0,s=1.0,c=1.0,vgg=2.0@block2_conv2")
        let losses = checkGeneratorGradients(try MUNITTrainer(config: c, vgg: TrainingFixtures.perceptualLoss))
        XCTAssertGreaterThan(losses.perceptual, 0.1)
    }

    /// The cycle reconstruction's gradients (they reach both encoders through the re-encoded
    /// translation and the source's style code), the term alone. Through two generators in series
    /// it curves more than the others: at the usual step 1e-3 about 8 of 144 quotients miss by
    /// 5–20%, at 3e-4 none; alone, the loss is small enough for that step's rounding.
    func testGeneratorGradientsOfTheCycleLoss() throws {
        var c = try makeTrainer().config
        (c.cycleWeight, c.ganWeight, c.imageWeight, c.styleWeight, c.contentWeight) = (3, 0, 0, 0, 0)
        XCTAssertEqual(c.lossWeightsText, "gan=0.0,x=0.0,s=0.0,c=0.0,cyc=3.0")
        let losses = checkGeneratorGradients(try MUNITTrainer(config: c), step: 3e-4)
        XCTAssertGreaterThan(losses.cycle, 0.1)
    }

    func testThePerceptualLossNeedsVGGAndCropsLargeEnoughForItsLayer() throws {
        var c = try makeTrainer().config
        c.perceptualWeight = 1
        XCTAssertThrowsError(try MUNITTrainer(config: c), "no VGG16")
        XCTAssertThrowsError(try MUNITTrainer(config: c, vgg: TrainingFixtures.perceptualLoss), "8² crops are 0² at relu5_3")
        c.cropSize = 32
        XCTAssertNoThrow(try MUNITTrainer(config: c, vgg: TrainingFixtures.perceptualLoss))
        XCTAssertEqual(try makeTrainer().config.lossWeightsText, "gan=1.0,x=10.0,s=1.0,c=1.0", "off: the text of runs before it")
    }

    func testDiscriminatorGradientsByFiniteDifferences() throws {
        let trainer = try makeTrainer(seed: 2)
        let xa = MUNITImages.toSigned(TrainingFixtures.image([2, 3, 8, 8], seed: 3))
        let xb = MUNITImages.toSigned(TrainingFixtures.image([2, 3, 8, 8], seed: 4))
        let (sa, sb) = (trainer.drawStyles(2), trainer.drawStyles(2))
        let r = trainer.discriminatorLossAndGradients(xa, xb, styles: sa, sb)
        XCTAssertEqual(Set(r.gradients.keys), Set(Self.tiny.discriminatorParameterNames("a") + Self.tiny.discriminatorParameterNames("b")))
        checkGradients(trainer, gradients: r.gradients, allowedKinks: 2) { p in
            trainer.setParameters(p)
            return Double(trainer.discriminatorLossAndGradients(xa, xb, styles: sa, sb).loss)
        }
    }

    /// The critic scores are each discriminator's mean output over its scales, on the same inputs.
    func testCriticScoresAreTheDiscriminatorsMeanOutputs() throws {
        let trainer = try makeTrainer(seed: 2)
        let xa = MUNITImages.toSigned(TrainingFixtures.image([1, 3, 8, 8], seed: 3))
        let xb = MUNITImages.toSigned(TrainingFixtures.image([1, 3, 8, 8], seed: 4))
        let (sa, sb) = (trainer.drawStyles(1), trainer.drawStyles(1))
        let scores = trainer.discriminatorLossAndGradients(xa, xb, styles: sa, sb).scores
        let p = trainer.parameters
        func mean(_ passes: MUNITPasses, _ x: Tensor) -> Float {
            let outputs = passes.discriminate(x, p).map { $0.output.scalars.reduce(0, +) / Float($0.output.count) }
            return outputs.reduce(0, +) / Float(outputs.count)
        }
        XCTAssertEqual(scores.realA, mean(trainer.a, xa), accuracy: 1e-6)
        XCTAssertEqual(scores.realB, mean(trainer.b, xb), accuracy: 1e-6)
        let xab = trainer.b.translate(content: trainer.a.content(xa, p), style: sb, p)
        XCTAssertEqual(scores.translatedB, mean(trainer.b, xab), accuracy: 1e-6)
        XCTAssertNotEqual(scores.realB, scores.translatedB)
    }

    /// The alternating updates on one photo and one painting: the generators learn to
    /// reconstruct both, and the discriminators to tell them from the translations.
    func testAlternatingUpdatesOverfitOnePair() throws {
        let trainer = try makeTrainer(seed: 3, crop: 16, learningRate: 1e-3)
        let xa = TrainingFixtures.image([1, 3, 16, 16], seed: 5), xb = TrainingFixtures.image([1, 3, 16, 16], seed: 6)
        let first = trainer.step(photos: xa, paintings: xb)
        var last = first
        for _ in 0..<150 { last = trainer.step(photos: xa, paintings: xb) }
        XCTAssertLessThan(last.image, 0.5 * first.image, "image reconstruction \(first.image) → \(last.image)")
        XCTAssertLessThan(last.discriminator, first.discriminator, "discriminators \(first.discriminator) → \(last.discriminator)")
        XCTAssertTrue([last.adversarial, last.style, last.content].allSatisfy(\.isFinite))
        let scores = trainer.discriminatorLossAndGradients(MUNITImages.toSigned(xa), MUNITImages.toSigned(xb),
                                                           styles: trainer.drawStyles(1), trainer.drawStyles(1)).scores
        XCTAssertGreaterThan(scores.realB, scores.translatedB, "the painting's critic tells it from translations: \(scores.description)")
    }

    /// Checkpoint after 3 steps, restore into a fresh trainer: 2 more steps give the same bits.
    func testResumeFromCheckpointIsExact() throws {
        let photos = ImageFolder(images: (0..<2).map { StyleBankTrainerTests.photo($0) })
        let paintings = ImageFolder(images: [StyleBankTrainerTests.photo(5)])
        let original = try makeTrainer(seed: 4)
        for _ in 0..<3 { original.step(photos: photos, paintings: paintings) }
        let c = original.checkpoint()
        let resumed = try makeTrainer(seed: 99)
        try resumed.restore(tensors: c.tensors, metadata: c.metadata)
        XCTAssertEqual(resumed.iteration, 3)
        for _ in 0..<2 { original.step(photos: photos, paintings: paintings); resumed.step(photos: photos, paintings: paintings) }
        for (name, value) in original.parameters { XCTAssertEqual(resumed.parameters[name]!.scalars, value.scalars, name) }
    }

    func testRestoreRefusesAnotherArchitecture() throws {
        let c = try makeTrainer().checkpoint()
        var other = MUNITTrainingConfig()
        other.architecture = Self.tiny
        other.architecture.styleDimension = 4
        XCTAssertThrowsError(try MUNITTrainer(config: other).restore(tensors: c.tensors, metadata: c.metadata))
    }

    /// The exported generators (F16) translate as the trainer's networks do, to F16 rounding.
    func testExportedGeneratorsTranslateAsTrained() throws {
        let trainer = try makeTrainer(seed: 5)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("munit-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try MUNITExport.write(parameters: trainer.parameters, iteration: 7, config: trainer.config, to: dir, provenance: "test")
        let (_, gb, iteration) = try MUNITExport.read(dir.appendingPathComponent(MUNITExport.fileName))
        XCTAssertEqual(iteration, 7)
        XCTAssertEqual(gb.architecture, Self.tiny)
        let photo = TrainingFixtures.image([1, 3, 16, 16], seed: 10)
        let code = MUNITImages.randomStyle(seed: 3, dimension: 3)
        let served = gb.decode(content: try MUNITExport.read(dir.appendingPathComponent(MUNITExport.fileName)).a.encodeContent(photo), style: code)
        let p = trainer.parameters
        let trained = MUNITImages.toUnit(trainer.b.translate(content: trainer.a.content(MUNITImages.toSigned(photo), p),
                                                             style: code.reshaped([1, 3, 1, 1]), p))
        XCTAssertEqual(served.shape, [1, 3, 16, 16])
        let worst = zip(served.scalars, trained.scalars).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 2e-2)
    }
}

/// Continuing from exported generators (`atelier train munit --init`) where the checkpoint is gone.
extension MUNITTrainerTests {
    func testStartTakesTheGeneratorsAndIterationAndLeavesFreshDiscriminators() throws {
        let photos = ImageFolder(images: (0..<2).map { StyleBankTrainerTests.photo($0) })
        let paintings = ImageFolder(images: [StyleBankTrainerTests.photo(5)])
        let trained = try makeTrainer(seed: 4)
        for _ in 0..<3 { trained.step(photos: photos, paintings: paintings) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("munit-init-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try MUNITExport.write(parameters: trained.parameters, iteration: 3, config: trained.config, to: dir, provenance: "test")
        let file = try MUNITExport.readParameters(dir.appendingPathComponent(MUNITExport.fileName))
        XCTAssertEqual(file.architecture, MUNITTrainerTests.tiny)

        let fresh = try makeTrainer(seed: 4)
        let continued = try makeTrainer(seed: 4)
        try continued.start(generators: file.parameters, iteration: file.iteration)
        XCTAssertEqual(continued.iteration, 3)
        let arch = MUNITTrainerTests.tiny
        let generators = arch.generatorParameterNames("a") + arch.generatorParameterNames("b")
        for name in generators {
            XCTAssertEqual(continued.parameters[name]!.scalars, file.parameters[name]!.scalars, name)   // F16 values, as exported
        }
        // Three steps of 1e-4 move most tensors off their initialization (a norm's gamma of 1 may round back in F16).
        let trainedAway = generators.filter { continued.parameters[$0]!.scalars != fresh.parameters[$0]!.scalars }
        XCTAssertGreaterThan(trainedAway.count, generators.count / 2)
        let discriminators = arch.discriminatorParameterNames("a") + arch.discriminatorParameterNames("b")
        for name in discriminators { XCTAssertEqual(continued.parameters[name]!.scalars, fresh.parameters[name]!.scalars, name) }

        // The warm-up moves the discriminators only, and counts no iteration.
        let before = continued.parameters
        continued.discriminatorStep(photos: photos, paintings: paintings)
        XCTAssertEqual(continued.iteration, 3)
        for (name, value) in before where !discriminators.contains(name) {
            XCTAssertEqual(continued.parameters[name]!.scalars, value.scalars, "\(name) is no discriminator's and must not move")
        }
        XCTAssertTrue(discriminators.contains { continued.parameters[$0]!.scalars != before[$0]!.scalars }, "the discriminators learn")
        continued.step(photos: photos, paintings: paintings)
        XCTAssertEqual(continued.iteration, 4)
    }

    func testStartRefusesWeightsOfAnotherShape() throws {
        let trainer = try makeTrainer()
        var weights = trainer.parameters
        let name = MUNITTrainerTests.tiny.generatorParameterNames("a")[0]
        weights[name] = Tensor(zeros: [1])
        XCTAssertThrowsError(try trainer.start(generators: weights, iteration: 1))
    }
}
