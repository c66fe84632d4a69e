import Foundation
import Models
import Tensor

/// How a style term measures the distance of a layer's channel means and deviations to the
/// painting's: squared as the authors' code (`momentLoss`), or as eq. 13's norms (`momentNormLoss`).
public enum AdaINStyleLoss: String, Sendable {
    case squared, norm
}

/// Settings of AdaIN decoder training (Huang & Belongie 2017 and their PyTorch port).
public struct AdaINTrainingConfig: Sendable {
    public var cropSize = 256
    public var batchSize = 8
    /// Adam's rate, decayed as lr / (1 + decay · iteration) (the PyTorch port's schedule).
    public var learningRate: Float = 1e-4
    public var learningRateDecay: Float = 5e-5
    public var contentWeight: Float = 1
    /// λ of eq. 11, the PyTorch port's 10. It was chosen for Gatys et al.'s "normalised" VGG19, whose
    /// filters were rescaled to a mean activation of 1; `layerScales` does the same for our raw VGG16.
    public var styleWeight: Float = 10
    /// The mean activation of each loss layer (relu1_1 … relu4_1) over training photos: every
    /// term on layer l is divided by scale², as if the features were divided by it. Without it
    /// relu4_1's terms would outweigh relu1_1's by the square of their activations' ratio.
    /// Empty: no rescaling. `measureLayerScales` computes it; checkpoints and weight files record it.
    public var layerScales: [String: Float] = [:]
    public var seed: UInt64 = 1
    /// How a layer's style term measures the distance of μ and σ: `.squared` as the authors' code
    /// (`momentLoss`), `.norm` as eq. 13 writes it (`momentNormLoss`).
    public var styleLoss: AdaINStyleLoss = .squared
    /// d of the exported weight average (`WeightAverage`); 0: export the raw weights, as the paper.
    public var averageDecay: Float = 0
    /// The share of style crops given a new palette (`PaletteAugmentation`); 0: the paintings as they are.
    public var styleAugmentation: Float = 0
    public init() {}

    public func learningRate(at iteration: Int) -> Float { learningRate / (1 + learningRateDecay * Float(iteration)) }

    /// As a weight file records it: "content=1,style=10" (and ",style_loss=norm" for the norm form).
    public var lossWeightsText: String { "content=\(contentWeight),style=\(styleWeight)" + (styleLoss == .norm ? ",style_loss=norm" : "") }

    /// 1 / scale² for a layer's squared terms.
    func layerFactor(_ layer: String) -> Float { layerScales[layer].map { 1 / ($0 * $0) } ?? 1 }

    /// The factor of a layer's style term: 1 / scale for norms (they grow linearly with the
    /// features), 1 / scale² for squares.
    func styleLayerFactor(_ layer: String) -> Float { styleLoss == .norm ? layerScales[layer].map { 1 / $0 } ?? 1 : layerFactor(layer) }

    /// "block1_conv1=12.3,…", as checkpoints and weight files record `layerScales`.
    public var layerScalesText: String { layerScales.keys.sorted().map { "\($0)=\(layerScales[$0]!)" }.joined(separator: ",") }

    public static func layerScales(parsing text: String) throws -> [String: Float] {
        var out: [String: Float] = [:]
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=")
            guard kv.count == 2, AdaINArchitecture.styleLayers.contains(String(kv[0])), let v = Float(kv[1]), v.isFinite, v > 0 else {
                throw TrainingError("unreadable layer scales '\(text)'")
            }
            out[String(kv[0])] = v
        }
        return out
    }
}

extension AdaINTrainer {
    /// The mean ReLU activation at each of AdaIN's loss layers over `batches` random crops of `images`.
    public static func measureLayerScales(_ images: ImageFolder, loss: PerceptualLoss, cropSize: Int, batches: Int = 8,
                                          seed: UInt64 = 7) -> [String: Float] {
        var rng = TrainingRandom(seed: seed)
        var sums: [String: Double] = [:]
        for _ in 0..<batches {
            let x = images.batch(1, size: cropSize, rng: &rng)
            for (layer, f) in loss.forward(x, layers: Set(AdaINArchitecture.styleLayers)).features {
                sums[layer, default: 0] += f.scalars.reduce(0.0) { $0 + Double($1) } / Double(f.count)
            }
        }
        return sums.mapValues { Float($0 / Double(batches)) }
    }
}

/// Losses of one AdaIN training step, already weighted.
public struct AdaINLosses: Sendable, CustomStringConvertible {
    public var content: Float = 0, style: Float = 0
    public var total: Float { content + style }
    public var description: String { String(format: "total %.4g (content %.4g, style %.4g)", total, content, style) }
}

/// Trains AdaIN's decoder g in our core with the encoder f (VGG16 to relu4_1) frozen:
///   t = AdaIN(f(c), f(s)),   L = λc·‖f(g(t)) − t‖² + λs·Σᵢ (‖μ(φᵢ(g(t))) − μ(φᵢ(s))‖² + ‖σ(…) − σ(…)‖²)
/// (eq. 11–13; squared norms as means, as in the authors' code), φᵢ = relu1_1, relu2_1, relu3_1, relu4_1.
/// Each content crop of a batch is paired with its own style crop.
public final class AdaINTrainer {
    public private(set) var parameters: [String: Tensor]
    public let config: AdaINTrainingConfig
    let loss: PerceptualLoss
    /// One group, the decoder.
    var optimizers = OptimizerGroups(members: { _ in { AdaINArchitecture.parameterNames.contains($0) } })
    public private(set) var iteration = 0
    public var random: TrainingRandom
    /// The running average of the decoder's weights (config.averageDecay > 0, or a checkpoint that has one).
    public private(set) var average: WeightAverage?
    /// When set, every step adds the wall time of its phases to it (`atelier profile`).
    public var clock: PhaseClock?

    static let names = AdaINArchitecture.parameterNames

    public init(parameters: [String: Tensor], loss: PerceptualLoss, config: AdaINTrainingConfig) throws {
        for name in Self.names {
            guard parameters[name] != nil else { throw TrainingError("AdaIN decoder weights lack \(name)") }
        }
        self.parameters = parameters.filter { Self.names.contains($0.key) }
        self.loss = loss
        self.config = config
        random = TrainingRandom(seed: config.seed)
        restartAverage()
    }

    /// What an export holds: the weight average when there is one, else the weights.
    public var exportedParameters: [String: Tensor] { average?.parameters ?? parameters }

    func restartAverage() {
        average = config.averageDecay > 0 ? WeightAverage(decay: config.averageDecay, starting: parameters) : nil
    }

    /// Losses and decoder gradients for content images `x` and style images `s` (both [N, 3, H, W], 0…1).
    public func lossAndGradients(content x: Tensor, style s: Tensor) -> (losses: AdaINLosses, gradients: [String: Tensor], output: Tensor) {
        let layers = AdaINArchitecture.styleLayers, top = AdaINArchitecture.encoderLayer
        let styleFeatures = clock.time("vgg style") { loss.forward(s, layers: Set(layers)).features }
        let targets = styleFeatures.mapValues { channelMoments($0) }
        let contentFeatures = clock.time("vgg content") { loss.forward(x, layers: [top]).features[top]! }
        let t = adaptiveInstanceNorm(contentFeatures, style: targets[top]!)
        let dec = clock.time("decoder") { ChainTraining.forward(AdaINArchitecture.decoder, parameters, AdaINArchitecture.decoderInput(t)) }
        let vggG = clock.time("vgg output") { loss.forward(dec.output, layers: Set(layers)) }

        var losses = AdaINLosses()
        var featureGrads: [String: Tensor] = [:]
        clock.time("losses") {
            let c = mseLoss(vggG.features[top]!, t)
            let wc = config.contentWeight * config.layerFactor(top)
            losses.content = wc * c.value
            featureGrads[top] = scale(c.gradient, by: wc)
            for layer in layers {
                let m = config.styleLoss == .norm ? momentNormLoss(features: vggG.features[layer]!, target: targets[layer]!)
                                                  : momentLoss(features: vggG.features[layer]!, target: targets[layer]!)
                let ws = config.styleWeight * config.styleLayerFactor(layer)
                losses.style += ws * m.value
                let g = scale(m.gradient, by: ws)
                featureGrads[layer] = featureGrads[layer].map { add($0, g) } ?? g
            }
        }
        let gy = clock.time("vgg ∂x") { loss.backward(vggG, featureGradients: featureGrads) }
        var grads: [String: Tensor] = [:]
        clock.time("decoder ∂x ∂w") {
            _ = ChainTraining.backward(AdaINArchitecture.decoder, parameters, dec, gradOutput: gy, inputGradient: false, into: &grads)
        }
        return (losses, grads, dec.output)
    }

    /// One Adam step on a batch of random content and style crops.
    @discardableResult
    public func step(content: ImageFolder, styles: ImageFolder) -> AdaINLosses {
        let (x, s) = clock.time("crop") {
            let x = content.batch(config.batchSize, size: config.cropSize, rng: &random)
            var s = styles.batch(config.batchSize, size: config.cropSize, rng: &random)
            PaletteAugmentation(probability: config.styleAugmentation).apply(to: &s, rng: &random)
            return (x, s)
        }
        let r = lossAndGradients(content: x, style: s)
        clock.time("adam") {
            update(r.gradients)
            average?.update(with: parameters)
        }
        iteration += 1
        return r.losses
    }

    func update(_ gradients: [String: Tensor]) {
        optimizers.update("decoder", parameters: &parameters, gradients: gradients, learningRate: config.learningRate(at: iteration))
    }

    /// For gradient checks: evaluate the losses at other parameter values.
    func setParameters(_ p: [String: Tensor]) { parameters = p }

    // MARK: - Checkpoints

    /// Parameters, Adam's moments, the weight average, iteration and random state: everything to resume exactly.
    public func checkpoint() -> (tensors: [String: Tensor], metadata: [String: String]) {
        let adam = optimizers.checkpoint
        let avg = average?.checkpoint ?? (tensors: [:], metadata: [:])
        return (parameters.mapKeys { "param.\($0)" }.merging(adam.tensors) { a, _ in a }.merging(avg.tensors) { a, _ in a },
                adam.metadata.merging(["iteration": String(iteration), "random": String(random.state),
                                       "architecture": AdaINArchitecture.version, "loss_weights": config.lossWeightsText,
                                       "layer_scales": config.layerScalesText, "style_augmentation": String(config.styleAugmentation)])
                    { a, _ in a }.merging(avg.metadata) { a, _ in a })
    }

    public static func parameters(inCheckpoint tensors: [String: Tensor]) -> [String: Tensor] {
        StyleBankTrainer.parameters(inCheckpoint: tensors)
    }

    public func restore(tensors: [String: Tensor], metadata: [String: String]) throws {
        guard metadata["architecture"] == AdaINArchitecture.version else {
            throw TrainingError("checkpoint is \(metadata["architecture"] ?? "of no recorded architecture"), not \(AdaINArchitecture.version)")
        }
        guard let it = metadata["iteration"].flatMap(Int.init), let r = metadata["random"].flatMap(UInt64.init) else {
            throw TrainingError("checkpoint lacks iteration/random state")
        }
        let saved = Self.parameters(inCheckpoint: tensors)
        for name in Self.names {
            guard let v = saved[name], v.shape == parameters[name]!.shape else { throw TrainingError("checkpoint lacks \(name) \(parameters[name]!.shape)") }
            parameters[name] = v
        }
        let legacy = metadata["groups"] == nil && tensors["adam.step"] != nil
        try optimizers.restore(tensors: legacy ? Self.groupedAdamState(legacy: tensors) : tensors,
                               metadata: legacy ? metadata.merging(["groups": "decoder"]) { _, b in b } : metadata, parameters: parameters)
        iteration = it
        random = TrainingRandom(seed: 0)
        random.state = r
        // The checkpoint's average (and its decay) continues; without one, averaging starts here if configured.
        if let saved = try WeightAverage.restore(tensors: tensors, metadata: metadata, like: parameters) {
            average = saved
        } else {
            restartAverage()
        }
    }

    /// A checkpoint written before the optimizer groups kept the decoder's Adam state as it is
    /// (`adam.step`, `adam.m.<k>`, `adam.v.<k>`) with k in `AdaINArchitecture.parameterNames`'
    /// order; `OptimizerGroups` keeps it under `adam.decoder.` with k in name order.
    static func groupedAdamState(legacy tensors: [String: Tensor]) -> [String: Tensor] {
        let sorted = names.sorted()
        return tensors.mapKeys { key in
            guard key.hasPrefix("adam.") else { return key }
            let parts = key.split(separator: ".")
            if parts.count == 3, let k = Int(parts[2]), k < names.count, let j = sorted.firstIndex(of: names[k]) {
                return "adam.decoder.adam.\(parts[1]).\(j)"
            }
            return "adam.decoder." + key
        }
    }

    /// Continues from exported weights (no optimizer state) at their iteration.
    public func start(from weights: [String: Tensor], iteration: Int) throws {
        for name in Self.names {
            guard let w = weights[name], w.shape == parameters[name]!.shape else { throw TrainingError("weights lack \(name)") }
            parameters[name] = w
        }
        optimizers = OptimizerGroups(members: optimizers.members)
        self.iteration = iteration
        random = TrainingRandom(seed: config.seed &+ UInt64(iteration))
        restartAverage()
    }
}

/// The trained decoder for serving: F16 safetensors (`adain-decoder.safetensors`) with its
/// architecture, iteration and loss weights in the metadata, and a provenance file beside it.
public enum AdaINExport {
    public static let fileName = "adain-decoder.safetensors"

    /// `averageDecay`: the parameters are a `WeightAverage` with that decay (recorded in the metadata).
    public static func write(parameters: [String: Tensor], iteration: Int, config: AdaINTrainingConfig, averageDecay: Float? = nil,
                             to directory: URL, provenance: String) throws {
        try SafeTensors.write(parameters.filter { AdaINArchitecture.parameterNames.contains($0.key) },
                              to: directory.appendingPathComponent(fileName), dtype: .f16,
                              metadata: ["architecture": AdaINArchitecture.version, "iteration": String(iteration),
                                         "loss_weights": config.lossWeightsText, "layer_scales": config.layerScalesText]
                                  .merging(averageDecay.map { ["average_decay": String($0)] } ?? [:]) { a, _ in a })
        try AtomicFile.write(Data(provenance.utf8), to: directory.appendingPathComponent("adain-decoder.provenance.md"))
    }

    /// The decoder weights, iteration and loss-layer scales of a file `write` made; another
    /// architecture is refused by name.
    public static func read(_ url: URL) throws -> (weights: [String: Tensor], iteration: Int, layerScales: [String: Float]) {
        let (tensors, metadata) = try SafeTensors.load(url)
        guard metadata["architecture"] == AdaINArchitecture.version else {
            throw TrainingError("\(url.lastPathComponent) is \(metadata["architecture"] ?? "of no recorded architecture"), this build runs \(AdaINArchitecture.version)")
        }
        let scales = try metadata["layer_scales"].map(AdaINTrainingConfig.layerScales(parsing:)) ?? [:]
        return (tensors, metadata["iteration"].flatMap(Int.init) ?? 0, scales)
    }
}
