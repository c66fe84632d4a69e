import Foundation
import Models
import Tensor

/// Settings of MUNIT training (the paper's and its code's unless noted).
public struct MUNITTrainingConfig: Sendable {
    public var architecture = MUNITArchitecture()
    /// Square crops (the paper's 256; 128 here so two CPU cores can train it).
    public var cropSize = 128
    public var batchSize = 1
    /// Adam with β = (0.5, 0.999) and weight decay 1e-4; the rate halves every `learningRateStep` iterations.
    public var learningRate: Float = 1e-4
    public var learningRateStep = 100_000
    public var weightDecay: Float = 1e-4
    /// Loss weights: GAN 1, image reconstruction 10, style and content code reconstruction 1.
    public var ganWeight: Float = 1
    public var imageWeight: Float = 10
    public var styleWeight: Float = 1
    public var contentWeight: Float = 1
    /// The domain-invariant perceptual loss (`DomainInvariantPerceptualLoss`; the paper's code's
    /// `vgg_w`, 1 where it uses it, 0 = off as in its edges→shoes settings) and its VGG16 layer.
    public var perceptualWeight: Float = 0
    public var perceptualLayer = DomainInvariantPerceptualLoss.defaultLayer
    /// The explicit cycle reconstruction ‖G_a(E_c^b(x_ab), E_s^a(x_a)) − x_a‖₁ + … (the paper's
    /// code's `recon_x_cyc_w`: 10 for some of its datasets, 0 = off as in the others).
    public var cycleWeight: Float = 0
    public var seed: UInt64 = 1
    /// Crops flatter than this (standard deviation, 0…1 pixels) are redrawn (`ImageFolder.batch`).
    public var minimumCropDeviation: Float = 0.02
    public init() {}

    public func learningRate(at iteration: Int) -> Float {
        learningRate * pow(0.5, Float(iteration / max(learningRateStep, 1)))
    }

    /// As checkpoints and weight files record them: "gan=1,x=10,s=1,c=1" (",vgg=1@block5_conv3" when on).
    public var lossWeightsText: String {
        "gan=\(ganWeight),x=\(imageWeight),s=\(styleWeight),c=\(contentWeight)"
            + (perceptualWeight > 0 ? ",vgg=\(perceptualWeight)@\(perceptualLayer)" : "")
            + (cycleWeight > 0 ? ",cyc=\(cycleWeight)" : "")
    }
}

/// One step's losses, unweighted (the log prints them as MUNIT's code does).
public struct MUNITLosses: Sendable, CustomStringConvertible {
    /// The discriminators' LSGAN loss, both domains.
    public var discriminator: Float = 0
    /// The generators' LSGAN loss, both domains.
    public var adversarial: Float = 0
    /// L1 reconstruction of the images, of the drawn style codes and of the content codes, both domains.
    public var image: Float = 0, style: Float = 0, content: Float = 0
    /// The domain-invariant perceptual loss of both translations (0 when its weight is 0).
    public var perceptual: Float = 0
    /// L1 of both cycle reconstructions (0 when its weight is 0).
    public var cycle: Float = 0
    /// The discriminators' mean scores in the step's discriminator update (before it).
    public var critic = MUNITCriticScores()
    public init() {}

    public var description: String {
        String(format: "D %.4g  G %.4g  x %.4g  s %.4g  c %.4g  vgg %.4g  cyc %.4g", discriminator, adversarial, image, style, content, perceptual, cycle)
    }
}

/// The discriminators' mean score (over scales and patches) on real images and on translations,
/// per domain: LSGAN pushes them towards 1 and 0, and a critic that cannot tell the two apart
/// scores both near ½ (its loss then near 3, the chance level of the six terms).
public struct MUNITCriticScores: Sendable, CustomStringConvertible {
    public var realA: Float = 0, translatedA: Float = 0, realB: Float = 0, translatedB: Float = 0
    public init() {}

    /// The mean of several steps' scores (the log's window).
    public static func mean(_ all: [MUNITCriticScores]) -> MUNITCriticScores {
        var m = MUNITCriticScores()
        let n = Float(max(all.count, 1))
        for s in all {
            m.realA += s.realA / n; m.translatedA += s.translatedA / n
            m.realB += s.realB / n; m.translatedB += s.translatedB / n
        }
        return m
    }

    public var description: String {
        String(format: "a: real %.3f, translated %.3f; b: real %.3f, translated %.3f", realA, translatedA, realB, translatedB)
    }
}

/// Trains MUNIT's two generators (photos = domain a, paintings = b) and their multi-scale
/// discriminators in our core, alternating as the paper's code does: a discriminator step on
/// freshly translated images, then a generator step on
///   L = λ_gan (L_G^a + L_G^b) + λ_x (‖G_a(E_a(x_a)) − x_a‖₁ + …) + λ_s (‖E_s^a(x_ba) − s_a‖₁ + …)
///       + λ_c (‖E_c^a(x_ba) − c_b‖₁ + …) + λ_vgg (‖IN(φ(x_ba)) − IN(φ(x_b))‖² + …)
///       + λ_cyc (‖G_b(E_c^a(x_ba), E_s^b(x_b)) − x_b‖₁ + …)
/// with x_ba = G_a(c_b, s_a), x_ab = G_b(c_a, s_b), s_a, s_b ~ N(0, I) (eq. 5–9 of the paper).
public final class MUNITTrainer {
    public private(set) var parameters: [String: Tensor]
    public let config: MUNITTrainingConfig
    let a: MUNITPasses, b: MUNITPasses
    /// Present when `config.perceptualWeight` > 0.
    let perceptual: DomainInvariantPerceptualLoss?
    var optimizers: OptimizerGroups
    public private(set) var iteration = 0
    public var random: TrainingRandom
    /// When set, every step adds the wall time of its phases to it (`atelier profile`).
    public var clock: PhaseClock?

    /// `vgg` (our VGG16) is needed only for the perceptual loss.
    public init(config: MUNITTrainingConfig, parameters: [String: Tensor]? = nil, vgg: PerceptualLoss? = nil) throws {
        let arch = config.architecture
        if config.perceptualWeight > 0 {
            guard let vgg else { throw TrainingError("the perceptual loss needs the VGG16 weights") }
            let loss = try DomainInvariantPerceptualLoss(vgg: vgg, layer: config.perceptualLayer)
            guard config.cropSize / loss.downsampling >= 2 else {
                throw TrainingError("\(config.cropSize)² crops are \(config.cropSize / loss.downsampling) px wide at \(loss.layer); the perceptual loss needs at least 2")
            }
            perceptual = loss
        } else {
            perceptual = nil
        }
        let initial = arch.initialParameters(seed: config.seed)
        if let given = parameters {
            for (name, value) in initial where given[name]?.shape != value.shape {
                throw TrainingError("MUNIT weights lack \(name) \(value.shape)")
            }
        }
        self.parameters = parameters.map { given in Dictionary(uniqueKeysWithValues: initial.keys.map { ($0, given[$0]!) }) } ?? initial
        self.config = config
        (a, b) = (MUNITPasses(arch, domain: "a"), MUNITPasses(arch, domain: "b"))
        let generators = Set(arch.generatorParameterNames("a") + arch.generatorParameterNames("b"))
        optimizers = OptimizerGroups(members: { group in { name in (group == "generators") == generators.contains(name) } },
                                     settings: { _ in .init(beta1: 0.5, beta2: 0.999, weightDecay: config.weightDecay) })
        random = TrainingRandom(seed: config.seed)
    }

    /// s ~ N(0, I): [N, styleDimension, 1, 1], from the trainer's random state.
    func drawStyles(_ n: Int) -> Tensor {
        let d = config.architecture.styleDimension
        return MUNITImages.randomStyle(seed: random.next(), dimension: d, count: n).reshaped([n, d, 1, 1])
    }

    // MARK: - The discriminators' step

    /// LSGAN loss of both discriminators on real images and on translations of them (the
    /// generators run forward only), and the discriminators' gradients.
    func discriminatorLossAndGradients(_ xa: Tensor, _ xb: Tensor, styles sa: Tensor, _ sb: Tensor)
        -> (loss: Float, gradients: [String: Tensor], scores: MUNITCriticScores) {
        let p = parameters
        let (xba, xab) = clock.time("D: translate") { () -> (Tensor, Tensor) in
            let ca = a.content(xa, p), cb = b.content(xb, p)
            return (a.translate(content: cb, style: sa, p), b.translate(content: ca, style: sb, p))
        }
        var grads: [String: Tensor] = [:]
        var loss: Float = 0
        var means = MUNITCriticScores()
        clock.time("D: forward and backward") {
            for (passes, fake, real) in [(a, xba, xa), (b, xab, xb)] {
                for (input, target) in [(fake, Float(0)), (real, Float(1))] {
                    let scores = passes.discriminate(input, p)
                    let mean = scores.map { $0.output.scalars.reduce(0, +) / Float($0.output.count) }.reduce(0, +) / Float(scores.count)
                    switch (passes.domain, target) {
                    case ("a", 0): means.translatedA = mean
                    case ("a", _): means.realA = mean
                    case (_, 0): means.translatedB = mean
                    default: means.realB = mean
                    }
                    let l = LeastSquaresGAN.loss(scores, target: target)
                    loss += config.ganWeight * l.value
                    passes.discriminateBackward(scores, p, gradOutputs: l.gradients.map { scale($0, by: config.ganWeight) },
                                                inputGradient: false, weightGradients: true, into: &grads)
                }
            }
        }
        return (loss, grads, means)
    }

    // MARK: - The generators' step

    /// The generators' losses and gradients (the discriminators are passed through, not updated).
    func generatorLossAndGradients(_ xa: Tensor, _ xb: Tensor, styles sa: Tensor, _ sb: Tensor) -> (losses: MUNITLosses, gradients: [String: Tensor]) {
        let p = parameters, w = config
        var losses = MUNITLosses()
        var grads: [String: Tensor] = [:]
        // Forward: encode, reconstruct within each domain, translate across, encode the translations.
        let (ea, eb) = clock.time("G: encode") { (a.encode(xa, p), b.encode(xb, p)) }
        let (ra, rb, ba, ab) = clock.time("G: decode") {
            (a.decode(content: ea.contentCode, style: ea.styleCode, p), b.decode(content: eb.contentCode, style: eb.styleCode, p),
             a.decode(content: eb.contentCode, style: sa, p), b.decode(content: ea.contentCode, style: sb, p))
        }
        let (eba, eab) = clock.time("G: encode translations") { (a.encode(ba.image, p), b.encode(ab.image, p)) }
        let (da, db) = clock.time("G: discriminate") { (a.discriminate(ba.image, p), b.discriminate(ab.image, p)) }
        // x_bab = G_b(E_c^a(x_ba), E_s^b(x_b)) and x_aba: each image back from its translation.
        let cycles = w.cycleWeight > 0 ? clock.time("G: cycle decode") {
            (a: a.decode(content: eab.contentCode, style: ea.styleCode, p), b: b.decode(content: eba.contentCode, style: eb.styleCode, p))
        } : nil
        let perceptualTerm = perceptual == nil ? nil : clock.time("G: perceptual") { perceptualGradients(translations: ba.image, ab.image, sources: xa, xb) }
        losses.perceptual = perceptualTerm?.loss ?? 0

        clock.time("G: backward") {
            // Image reconstruction: back through each domain's decoder to its codes.
            let lxa = l1Loss(ra.image, xa), lxb = l1Loss(rb.image, xb)
            losses.image = lxa.value + lxb.value
            let gra = a.decodeBackward(ra, p, gradImage: scale(lxa.gradient, by: w.imageWeight), styleGradient: true, into: &grads)
            let grb = b.decodeBackward(rb, p, gradImage: scale(lxb.gradient, by: w.imageWeight), styleGradient: true, into: &grads)
            var gradStyleA = gra.style!, gradStyleB = grb.style!   // ∂L/∂(E_s^a(x_a)), ∂L/∂(E_s^b(x_b))
            var cycleContent: [String: Tensor] = [:]   // ∂L/∂(re-encoded translation's content), by its domain
            if let cycles {
                let c = cycleBackward(cycles, sources: xa, xb, p, into: &grads)
                losses.cycle = c.loss
                cycleContent = c.reencodedContent
                (gradStyleA, gradStyleB) = (add(gradStyleA, c.styleA), add(gradStyleB, c.styleB))
            }

            // The translations: the GAN loss through the (fixed) discriminators, and the code
            // reconstructions through the re-encoding, meet at each translated image.
            var gradContentA = gra.content, gradContentB = grb.content   // ∂L/∂c_a, ∂L/∂c_b
            for (passes, translated, scores, reencoded, drawn, source) in [(a, ba, da, eba, sa, eb), (b, ab, db, eab, sb, ea)] {
                let gan = LeastSquaresGAN.loss(scores, target: 1)
                losses.adversarial += gan.value
                var gImage = passes.discriminateBackward(scores, p, gradOutputs: gan.gradients.map { scale($0, by: w.ganWeight) },
                                                         inputGradient: true, weightGradients: false, into: &grads)!
                let ls = l1Loss(reencoded.styleCode, drawn)
                let lc = l1Loss(reencoded.contentCode, source.contentCode)
                losses.style += ls.value
                losses.content += lc.value
                var gradReencodedContent = scale(lc.gradient, by: w.contentWeight)
                if let g = cycleContent[passes.domain] { gradReencodedContent = add(gradReencodedContent, g) }
                let gReencoded = passes.encodeBackward(reencoded, p, gradContent: gradReencodedContent,
                                                       gradStyle: scale(ls.gradient, by: w.styleWeight), inputGradient: true, into: &grads)!
                gImage = add(gImage, gReencoded)
                if let g = perceptualTerm?.gradients[passes.domain] { gImage = add(gImage, g) }
                let g = passes.decodeBackward(translated, p, gradImage: gImage, styleGradient: false, into: &grads)
                // The translation's content came from the other domain's encoder; the content
                // reconstruction's target is that same code, so it gets −∂L/∂target too.
                let toSource = add(g.content, scale(lc.gradient, by: -w.contentWeight))
                if passes.domain == "a" { gradContentB = add(gradContentB, toSource) } else { gradContentA = add(gradContentA, toSource) }
            }
            a.encodeBackward(ea, p, gradContent: gradContentA, gradStyle: gradStyleA, inputGradient: false, into: &grads)
            b.encodeBackward(eb, p, gradContent: gradContentB, gradStyle: gradStyleB, inputGradient: false, into: &grads)
        }
        return (losses, grads)
    }

    /// λ_vgg ∂L_vgg/∂x_ba and ∂/∂x_ab, keyed by the translation's domain: each translation
    /// against the image its content came from; nil when the term is off.
    func perceptualGradients(translations ba: Tensor, _ ab: Tensor, sources xa: Tensor, _ xb: Tensor)
        -> (loss: Float, gradients: [String: Tensor])? {
        guard let vgg = perceptual else { return nil }
        let lba = vgg.lossAndGradient(ba, target: vgg.target(xb))
        let lab = vgg.lossAndGradient(ab, target: vgg.target(xa))
        return (lba.value + lab.value, ["a": scale(lba.gradient, by: config.perceptualWeight), "b": scale(lab.gradient, by: config.perceptualWeight)])
    }

    /// The cycles' L1 back through the decoders: the decoders' gradients into `grads`, ∂L/∂ of
    /// the re-encoded translations' content codes (x_aba's reaches E_c^b(x_ab): keyed "b", the
    /// translation's domain) and of the sources' style codes E_s^a(x_a), E_s^b(x_b).
    func cycleBackward(_ cycles: (a: MUNITPasses.Decoded, b: MUNITPasses.Decoded), sources xa: Tensor, _ xb: Tensor,
                       _ p: [String: Tensor], into grads: inout [String: Tensor])
        -> (loss: Float, reencodedContent: [String: Tensor], styleA: Tensor, styleB: Tensor) {
        let la = l1Loss(cycles.a.image, xa), lb = l1Loss(cycles.b.image, xb)
        let ga = a.decodeBackward(cycles.a, p, gradImage: scale(la.gradient, by: config.cycleWeight), styleGradient: true, into: &grads)
        let gb = b.decodeBackward(cycles.b, p, gradImage: scale(lb.gradient, by: config.cycleWeight), styleGradient: true, into: &grads)
        return (la.value + lb.value, ["b": ga.content, "a": gb.content], ga.style!, gb.style!)
    }

    // MARK: - Steps

    /// Updates skipped because a gradient was not finite (a safeguard; the log reports the count).
    public private(set) var skippedUpdates = 0

    /// One discriminator update then one generator update on the batch (images 0…1).
    @discardableResult
    public func step(photos xa: Tensor, paintings xb: Tensor) -> MUNITLosses {
        let (sa, sb) = (drawStyles(xa.shape[0]), drawStyles(xb.shape[0]))
        let signedA = MUNITImages.toSigned(xa), signedB = MUNITImages.toSigned(xb)
        let d = discriminatorLossAndGradients(signedA, signedB, styles: sa, sb)
        clock.time("adam") { update("discriminators", d.gradients) }
        let (ga, gb) = (drawStyles(xa.shape[0]), drawStyles(xb.shape[0]))
        var g = generatorLossAndGradients(signedA, signedB, styles: ga, gb)
        clock.time("adam") { update("generators", g.gradients) }
        g.losses.discriminator = d.loss
        g.losses.critic = d.scores
        iteration += 1
        return g.losses
    }

    /// A discriminator update alone (no generator update, no iteration counted): after `start`,
    /// fresh discriminators first learn to tell the trained generators' translations from paintings,
    /// so the generators' first updates do not follow the gradients of a random critic.
    @discardableResult
    public func discriminatorStep(photos: ImageFolder, paintings: ImageFolder) -> (loss: Float, scores: MUNITCriticScores) {
        let (xa, xb) = crops(photos: photos, paintings: paintings)
        let d = discriminatorLossAndGradients(MUNITImages.toSigned(xa), MUNITImages.toSigned(xb),
                                              styles: drawStyles(xa.shape[0]), drawStyles(xb.shape[0]))
        update("discriminators", d.gradients)
        return (d.loss, d.scores)
    }

    /// One step on random crops of the two folders.
    @discardableResult
    public func step(photos: ImageFolder, paintings: ImageFolder) -> MUNITLosses {
        let (xa, xb) = clock.time("crop") { crops(photos: photos, paintings: paintings) }
        return step(photos: xa, paintings: xb)
    }

    /// A batch of random crops from each folder, drawn from the trainer's random state.
    func crops(photos: ImageFolder, paintings: ImageFolder) -> (Tensor, Tensor) {
        (photos.batch(config.batchSize, size: config.cropSize, minimumDeviation: config.minimumCropDeviation, rng: &random),
         paintings.batch(config.batchSize, size: config.cropSize, minimumDeviation: config.minimumCropDeviation, rng: &random))
    }

    /// Adam on one group with L2 weight decay (added to the gradient inside Adam, as PyTorch's does).
    func update(_ group: String, _ gradients: [String: Tensor]) {
        guard gradients.values.allSatisfy({ $0.withUnsafeBufferPointer { $0.allSatisfy(\.isFinite) } }) else {
            skippedUpdates += 1
            return
        }
        optimizers.update(group, parameters: &parameters, gradients: gradients, learningRate: config.learningRate(at: iteration))
    }

    /// For gradient checks.
    func setParameters(_ p: [String: Tensor]) { parameters = p }

    // MARK: - Checkpoints

    /// Parameters (generators and discriminators), both Adams, iteration and random state.
    public func checkpoint() -> (tensors: [String: Tensor], metadata: [String: String]) {
        let adam = optimizers.checkpoint
        return (parameters.mapKeys { "param.\($0)" }.merging(adam.tensors) { a, _ in a },
                adam.metadata.merging(["iteration": String(iteration), "random": String(random.state),
                                       "architecture": MUNITArchitecture.version, "munit": config.architecture.text,
                                       "loss_weights": config.lossWeightsText]) { a, _ in a })
    }

    /// Continues from exported generators (`MUNITExport`, which leaves the discriminators out)
    /// at `iteration`: the discriminators keep their fresh initialization, both Adams start afresh.
    /// The way on where the run folder with its checkpoint is gone (`atelier train munit --init`).
    public func start(generators weights: [String: Tensor], iteration: Int) throws {
        let arch = config.architecture
        for name in arch.generatorParameterNames("a") + arch.generatorParameterNames("b") {
            guard let w = weights[name], w.shape == parameters[name]!.shape else { throw TrainingError("weights lack \(name) \(parameters[name]!.shape)") }
            parameters[name] = w
        }
        optimizers = OptimizerGroups(members: optimizers.members, settings: optimizers.settings)
        self.iteration = iteration
        random = TrainingRandom(seed: config.seed &+ UInt64(iteration))
    }

    public func restore(tensors: [String: Tensor], metadata: [String: String]) throws {
        guard metadata["architecture"] == MUNITArchitecture.version, metadata["munit"] == config.architecture.text else {
            throw TrainingError("checkpoint is \(metadata["architecture"] ?? "?") \(metadata["munit"] ?? ""), not \(MUNITArchitecture.version) \(config.architecture.text)")
        }
        guard let it = metadata["iteration"].flatMap(Int.init), let r = metadata["random"].flatMap(UInt64.init) else {
            throw TrainingError("checkpoint lacks iteration/random state")
        }
        let saved = StyleBankTrainer.parameters(inCheckpoint: tensors)
        for (name, value) in parameters {
            guard let v = saved[name], v.shape == value.shape else { throw TrainingError("checkpoint lacks \(name) \(value.shape)") }
            parameters[name] = v
        }
        try optimizers.restore(tensors: tensors, metadata: metadata, parameters: parameters)
        iteration = it
        random = TrainingRandom(seed: 0)
        random.state = r
    }
}

/// The trained generators for serving: F16 safetensors (`munit.safetensors`, the discriminators
/// left in the checkpoint) with the architecture and iteration in the metadata, and a provenance
/// file beside it.
public enum MUNITExport {
    public static let fileName = "munit.safetensors"

    public static func write(parameters: [String: Tensor], iteration: Int, config: MUNITTrainingConfig, to directory: URL, provenance: String) throws {
        let arch = config.architecture
        let names = Set(arch.generatorParameterNames("a") + arch.generatorParameterNames("b"))
        try SafeTensors.write(parameters.filter { names.contains($0.key) }, to: directory.appendingPathComponent(fileName), dtype: .f16,
                              metadata: ["architecture": MUNITArchitecture.version, "munit": arch.text, "iteration": String(iteration),
                                         "loss_weights": config.lossWeightsText])
        try AtomicFile.write(Data(provenance.utf8), to: directory.appendingPathComponent("munit.provenance.md"))
    }

    /// Both generators of a file `write` made (another architecture version is refused by name).
    public static func read(_ url: URL) throws -> (a: MUNITGenerator, b: MUNITGenerator, iteration: Int) {
        let (tensors, arch, iteration) = try readParameters(url)
        return (try MUNITGenerator(architecture: arch, domain: "a", parameters: tensors),
                try MUNITGenerator(architecture: arch, domain: "b", parameters: tensors), iteration)
    }

    /// The file's generator parameters (as Float), their architecture and the iteration.
    public static func readParameters(_ url: URL) throws -> (parameters: [String: Tensor], architecture: MUNITArchitecture, iteration: Int) {
        let (tensors, metadata) = try SafeTensors.load(url)
        guard metadata["architecture"] == MUNITArchitecture.version, let text = metadata["munit"] else {
            throw TrainingError("\(url.lastPathComponent) is \(metadata["architecture"] ?? "of no recorded architecture"), this build runs \(MUNITArchitecture.version)")
        }
        return (tensors, try MUNITArchitecture(parsing: text), metadata["iteration"].flatMap(Int.init) ?? 0)
    }
}
