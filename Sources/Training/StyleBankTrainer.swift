import Foundation
import Models
import Tensor

/// Loss weights and schedule for StyleBank training.
public struct StyleBankTrainingConfig: Sendable {
    public var cropSize = 256
    public var batchSize = 4
    public var learningRate: Float = 1e-3
    public var contentWeight: Float = 1
    /// Johnson et al.'s fast-neural-style default. At 50 (the first run) style outweighed content
    /// 600:1, the content loss rose above a random network's, and outputs were blobs.
    public var styleWeight: Float = 5
    public var tvWeight: Float = 1e-4
    /// Weight of a second content term at relu2_2 (Johnson et al.'s content layer in
    /// pytorch/examples), beside relu4_2's; 0 leaves it out. relu4_2 alone let the banks paint the
    /// style's marks over flat sky and water and across object edges.
    public var shallowContentWeight: Float = 0
    /// Shorter side the style images are scaled to (up or down) before their Gram targets are
    /// taken: the scale of the painting's marks in the output. At 384 (the banks until iteration
    /// 171,535) the marks came out small and busy over flat areas; candy and mosaic learned at 512
    /// and 768 through `POST /styles` painted larger, calmer marks with clearer faces at 768. The
    /// trainer itself takes images already scaled; the CLI and the service scale them to this.
    public var styleSize = 768
    /// T in the (T+1)-step alternation: T stylizing steps, then one auto-encoder step (Chen et al. §3.2).
    public var stylizingStepsPerCycle = 2
    /// Decay of the exponential average of the parameters kept beside them (`averagedParameters`,
    /// what `train` exports); nil keeps none. See `ExponentialAverage`.
    public var averageDecay: Float? = nil
    public var seed: UInt64 = 1
    public init() {}

    /// The content loss's layers with their weights: relu4_2, and relu2_2 when its weight is set.
    public var contentTerms: [(layer: String, weight: Float)] {
        [(PerceptualLoss.contentLayer, contentWeight)]
            + (shallowContentWeight > 0 ? [(PerceptualLoss.shallowContentLayer, shallowContentWeight)] : [])
    }
}

/// Losses of one training step (the stylizing branch's parts, or the auto-encoder's identity loss).
public struct StepLosses: Sendable, CustomStringConvertible {
    public var content: Float = 0, style: Float = 0, tv: Float = 0, identity: Float = 0
    public var total: Float { content + style + tv + identity }
    public var description: String {
        identity > 0 ? String(format: "identity %.5f", identity)
            : String(format: "total %.4g (content %.4g, style %.4g, tv %.4g)", total, content, style, tv)
    }
}

/// Trains StyleBank (Chen et al., CVPR 2017) in our own core: a shared encoder/decoder and one bank
/// per style, with Johnson et al.'s perceptual losses on VGG16.
///
/// Parameter groups, each with its own Adam: "autoencoder" (encoder.* and decoder.*) and one per
/// bank ("bank.<id>"). A stylizing step with style i updates the auto-encoder and bank i; an
/// auto-encoder step updates the auto-encoder only, through a second Adam ("autoencoder-identity"):
/// the two branches' gradients differ by orders of magnitude, and one shared second-moment
/// estimate let the stylizing branch drown the identity loss (it rose from 0.10 to 0.27 in 500
/// iterations of the first run). With `trainsAutoencoder` off only the banks are updated.
public final class StyleBankTrainer {
    public private(set) var parameters: [String: Tensor]
    public let architecture: StyleBankArchitecture
    public let config: StyleBankTrainingConfig
    public let styles: [Int]
    let loss: PerceptualLoss
    let styleTargets: [Int: [String: Tensor]]
    var optimizers = OptimizerGroups(members: StyleBankTrainer.groupNames)
    public private(set) var iteration = 0
    public var random: TrainingRandom
    /// Groups that `step` may update (the auto-encoder is frozen when learning a new style alone).
    public var trainsAutoencoder = true
    /// The exponential average of the parameters, when `config.averageDecay` is set.
    var average: ExponentialAverage?
    /// The averaged parameters (when averaging), else the parameters themselves.
    public var averagedParameters: [String: Tensor] { average?.values ?? parameters }
    /// When set, every step adds the wall time of its phases to it (`atelier profile`).
    public var clock: PhaseClock?

    /// `styleImages`: style id → [1, 3, H, W] image in 0…1 (its Gram targets are computed once).
    public init(parameters: [String: Tensor], styles: [Int], styleImages: [Int: Tensor],
                loss: PerceptualLoss, config: StyleBankTrainingConfig) {
        self.parameters = parameters
        architecture = StyleBankArchitecture(weights: parameters)
        self.styles = styles
        self.loss = loss
        self.config = config
        random = TrainingRandom(seed: config.seed)
        styleTargets = styleImages.mapValues { loss.styleTargets($0) }
        average = config.averageDecay.map { ExponentialAverage(decay: $0, of: parameters) }
    }

    /// A trainer that learns one new bank against a fixed, trained auto-encoder (Chen et al. §3.4,
    /// incremental learning): the encoder, decoder and every other bank stay exactly as they are.
    /// `initialBank` (`weight`, `gamma`, `beta`; e.g. the mean of the trained banks) starts the new
    /// bank somewhere the decoder already renders as a painting; without it, He-random weights.
    public static func newStyle(autoencoder: [String: Tensor], styleID: Int, styleImage: Tensor,
                                loss: PerceptualLoss, config: StyleBankTrainingConfig,
                                initialBank: [String: Tensor]? = nil) -> StyleBankTrainer {
        var parameters = autoencoder.filter { $0.key.hasPrefix("encoder.") || $0.key.hasPrefix("decoder.") }
        let spec = StyleBankArchitecture.bank(styleID)
        let bank = initialBank.map { start in spec.parameterNames.reduce(into: [String: Tensor]()) { $0[$1] = start[String($1.split(separator: ".").last!)] } }
        parameters.merge(bank ?? spec.initialWeights(seed: config.seed)) { a, _ in a }
        let trainer = StyleBankTrainer(parameters: parameters, styles: [styleID], styleImages: [styleID: styleImage],
                                       loss: loss, config: config)
        trainer.trainsAutoencoder = false
        return trainer
    }

    static func groupNames(_ group: String) -> (String) -> Bool {
        group.hasPrefix("autoencoder") ? { $0.hasPrefix("encoder.") || $0.hasPrefix("decoder.") } : { $0.hasPrefix("\(group).") }
    }

    /// Applies gradients to one parameter group with that group's Adam.
    func update(group: String, gradients: [String: Tensor]) {
        optimizers.update(group, parameters: &parameters, gradients: gradients, learningRate: config.learningRate)
    }

    /// Loss and parameter gradients of the stylizing branch D(K_s(E(x))) for a content batch.
    public func stylizingLossAndGradients(content x: Tensor, style s: Int, trainAutoencoder: Bool)
        -> (losses: StepLosses, gradients: [String: Tensor], output: Tensor) {
        let bank = [LayerSpec.conv(StyleBankArchitecture.bank(s))]
        let enc = clock.time("encoder") { ChainTraining.forward(architecture.encoder, parameters, x) }
        let bnk = clock.time("bank") { ChainTraining.forward(bank, parameters, enc.output) }
        let dec = clock.time("decoder") { ChainTraining.forward(architecture.decoder, parameters, bnk.output) }
        let y = dec.output

        let contentLayers = config.contentTerms.map(\.layer)
        let vggY = clock.time("vgg output") { loss.forward(y, layers: Set(PerceptualLoss.styleLayers + contentLayers)) }
        let contentTargets = clock.time("vgg target") { loss.forward(x, layers: Set(contentLayers)).features }
        var losses = StepLosses()
        var featureGrads: [String: Tensor] = [:]
        clock.time("losses") {
            for (layer, w) in config.contentTerms {
                let c = mseLoss(vggY.features[layer]!, contentTargets[layer]!)
                losses.content += w * c.value
                featureGrads[layer] = scale(c.gradient, by: w)
            }
            for layer in PerceptualLoss.styleLayers {
                let sl = styleLoss(features: vggY.features[layer]!, targetGram: styleTargets[s]![layer]!)
                losses.style += config.styleWeight * sl.value
                let g = scale(sl.gradient, by: config.styleWeight)
                featureGrads[layer] = featureGrads[layer].map { add($0, g) } ?? g
            }
        }
        var gy = clock.time("vgg ∂x") { loss.backward(vggY, featureGradients: featureGrads) }
        if config.tvWeight > 0 {
            clock.time("tv") {
                let tv = totalVariationLoss(y)
                losses.tv = config.tvWeight * tv.value
                gy = add(gy, scale(tv.gradient, by: config.tvWeight))
            }
        }
        var grads: [String: Tensor] = [:]
        let gBank = clock.time(trainAutoencoder ? "decoder ∂x ∂w" : "decoder ∂x") {
            ChainTraining.backward(architecture.decoder, parameters, dec, gradOutput: gy, inputGradient: true,
                                   weightGradients: trainAutoencoder, into: &grads)!
        }
        let gEnc = clock.time(trainAutoencoder ? "bank ∂x ∂w" : "bank ∂w") {
            ChainTraining.backward(bank, parameters, bnk, gradOutput: gBank, inputGradient: trainAutoencoder, into: &grads)
        }
        if trainAutoencoder, let gEnc {
            clock.time("encoder ∂w") {
                _ = ChainTraining.backward(architecture.encoder, parameters, enc, gradOutput: gEnc, inputGradient: false, into: &grads)
            }
        }
        return (losses, grads, y)
    }

    /// Loss and gradients of the auto-encoder branch: ‖D(E(x)) − x‖² (mean), the identity loss.
    public func identityLossAndGradients(content x: Tensor) -> (losses: StepLosses, gradients: [String: Tensor]) {
        let enc = clock.time("identity: encoder") { ChainTraining.forward(architecture.encoder, parameters, x) }
        let dec = clock.time("identity: decoder") { ChainTraining.forward(architecture.decoder, parameters, enc.output) }
        let l = mseLoss(dec.output, x)
        var grads: [String: Tensor] = [:]
        let gf = clock.time("identity: decoder ∂x ∂w") {
            ChainTraining.backward(architecture.decoder, parameters, dec, gradOutput: l.gradient, inputGradient: true, into: &grads)!
        }
        clock.time("identity: encoder ∂w") {
            _ = ChainTraining.backward(architecture.encoder, parameters, enc, gradOutput: gf, inputGradient: false, into: &grads)
        }
        var losses = StepLosses()
        losses.identity = l.value
        return (losses, grads)
    }

    /// One iteration of the (T+1)-step alternation: stylizing with a random style for T of every
    /// T+1 iterations, else the auto-encoder. With `trainsAutoencoder` off, always stylizing and
    /// only the bank is updated.
    @discardableResult
    public func step(_ data: ImageFolder) -> (style: Int?, losses: StepLosses) {
        let x = clock.time("crop") { data.batch(config.batchSize, size: config.cropSize, rng: &random) }
        defer {
            iteration += 1
            if average != nil { clock.time("average") { average!.update(parameters) } }
        }
        let cycle = config.stylizingStepsPerCycle + 1
        if trainsAutoencoder && iteration % cycle == config.stylizingStepsPerCycle {
            let r = identityLossAndGradients(content: x)
            clock.time("identity: adam") { update(group: "autoencoder-identity", gradients: r.gradients) }
            return (nil, r.losses)
        }
        let s = styles[random.int(styles.count)]
        let r = stylizingLossAndGradients(content: x, style: s, trainAutoencoder: trainsAutoencoder)
        clock.time("adam") {
            if trainsAutoencoder { update(group: "autoencoder", gradients: r.gradients) }
            update(group: "bank.\(s)", gradients: r.gradients)
        }
        return (s, r.losses)
    }

    /// For gradient checks: evaluate the losses at other parameter values.
    func setParameters(_ p: [String: Tensor]) { parameters = p }

    // MARK: - Checkpoints

    /// Parameters, optimizer moments, iteration and random state: everything to resume exactly.
    public func checkpoint() -> (tensors: [String: Tensor], metadata: [String: String]) {
        let adam = optimizers.checkpoint
        var t = parameters.mapKeys { "param.\($0)" }.merging(adam.tensors) { a, _ in a }
        for (name, v) in average?.values ?? [:] { t["average.\(name)"] = v }
        let meta = adam.metadata.merging(["iteration": String(iteration), "random": String(random.state),
                                          "styles": styles.map(String.init).joined(separator: ",")]) { a, _ in a }
        return (t, meta)
    }

    /// Continues from exported weights (no optimizer state): same parameter names and shapes required.
    public func start(from weights: [String: Tensor], iteration: Int) throws {
        for (name, value) in parameters {
            guard let w = weights[name], w.shape == value.shape else { throw TrainingError("weights lack \(name) \(value.shape)") }
        }
        parameters = Dictionary(uniqueKeysWithValues: parameters.keys.map { ($0, weights[$0]!) })
        optimizers = OptimizerGroups(members: Self.groupNames)
        average = config.averageDecay.map { ExponentialAverage(decay: $0, of: parameters) }
        self.iteration = iteration
        random = TrainingRandom(seed: config.seed &+ UInt64(iteration))
    }

    /// The parameters a `checkpoint()` holds, by parameter name.
    public static func parameters(inCheckpoint tensors: [String: Tensor]) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: tensors.compactMap { k, v in k.hasPrefix("param.") ? (String(k.dropFirst(6)), v) : nil })
    }

    public func restore(tensors: [String: Tensor], metadata: [String: String]) throws {
        guard let it = metadata["iteration"].flatMap(Int.init), let r = metadata["random"].flatMap(UInt64.init) else {
            throw TrainingError("checkpoint lacks iteration/random state")
        }
        // A checkpoint may hold a subset (a new style's bank alone): the rest stays as it is.
        for (key, value) in Self.parameters(inCheckpoint: tensors) {
            guard let current = parameters[key], current.shape == value.shape else {
                throw TrainingError("checkpoint parameter \(key) \(value.shape) does not fit this trainer")
            }
            parameters[key] = value
        }
        try optimizers.restore(tensors: tensors, metadata: metadata, parameters: parameters)
        // The average resumes where it was; a checkpoint without one (or for other parameters) starts it here.
        average = config.averageDecay.map { decay in
            var a = ExponentialAverage(decay: decay, of: parameters)
            for (name, value) in tensors where name.hasPrefix("average.") {
                let key = String(name.dropFirst(8))
                if parameters[key]?.shape == value.shape { a.set([key: value]) }
            }
            return a
        }
        iteration = it
        random = TrainingRandom(seed: 0)
        random.state = r
    }
}


extension Dictionary {
    func mapKeys<K: Hashable>(_ f: (Key) -> K) -> [K: Value] {
        Dictionary<K, Value>(uniqueKeysWithValues: map { (f($0.key), $0.value) })
    }
}
