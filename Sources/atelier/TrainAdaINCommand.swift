import Foundation
import ImageIO
import Models
import Tensor
import Training

/// `atelier train adain --content DIR --styles DIR --out DIR …`: trains AdaIN's decoder on any two
/// folders of images (COCO and WikiArt work unchanged), checkpointing to OUT/checkpoint.safetensors
/// and resuming from it; OUT/adain-decoder.safetensors (F16) is what the service loads.
enum TrainAdaINCommand {
    static let usage = "usage: atelier train adain --content DIR --styles DIR [--out data/training/adain] [--size 256] [--batch 8] …"

    static func run(_ args: ArraySlice<String>) throws {
        let a = try Arguments(args, flagNames: ["fresh"])
        try a.checkKnown(["content", "styles", "out", "size", "batch", "iterations", "checkpoint-every", "lr", "lr-decay",
                          "style-weight", "content-weight", "seed", "photo-side", "style-side", "max-images", "models", "data",
                          "fresh", "log-every", "init", "average", "style-loss", "style-augment"])
        guard let contentDir = a.options["content"], let stylesDir = a.options["styles"] else { throw CLIError(usage) }
        let config = ServiceSetup.config(a)
        let out = URL(fileURLWithPath: a.options["out"] ?? "data/training/adain")
        var tc = AdaINTrainingConfig()
        tc.cropSize = try a.int("size") ?? tc.cropSize
        tc.batchSize = try a.int("batch") ?? tc.batchSize
        tc.learningRate = try a.float("lr") ?? tc.learningRate
        tc.learningRateDecay = try a.float("lr-decay") ?? tc.learningRateDecay
        tc.styleWeight = try a.float("style-weight") ?? tc.styleWeight
        tc.contentWeight = try a.float("content-weight") ?? tc.contentWeight
        tc.seed = UInt64(try a.int("seed") ?? 1)
        tc.averageDecay = try a.float("average") ?? 0
        if let form = a.options["style-loss"] {
            guard let f = AdaINStyleLoss(rawValue: form) else { throw CLIError("--style-loss is squared (the authors' code) or norm (eq. 13 as written)") }
            tc.styleLoss = f
        }
        tc.styleAugmentation = try a.float("style-augment") ?? 0
        guard (0...1).contains(tc.styleAugmentation) else { throw CLIError("--style-augment is the share of style crops given a new palette, 0 to 1") }
        guard tc.averageDecay == 0 || (0.5..<1).contains(tc.averageDecay) else { throw CLIError("--average is a decay from 0.5 to 1 (exclusive), e.g. 0.999") }
        guard (16...1024).contains(tc.cropSize), tc.cropSize % AdaINArchitecture.downsampling == 0, (1...64).contains(tc.batchSize) else {
            throw CLIError("--size must be a multiple of 8 from 16 to 1024 and --batch from 1 to 64")
        }
        let iterations = try a.int("iterations") ?? 160_000
        let checkpointEvery = try a.int("checkpoint-every") ?? 100
        let logEvery = max(1, try a.int("log-every") ?? 10)
        // The paper rescales both photos and paintings to 512 px and takes 256² crops.
        let photoSide = max(try a.int("photo-side") ?? 2 * tc.cropSize, tc.cropSize)
        let styleSide = max(try a.int("style-side") ?? 2 * tc.cropSize, tc.cropSize)
        let limit = try a.int("max-images") ?? .max
        let content = try ImageFolder(directory: URL(fileURLWithPath: contentDir), keepSide: photoSide, limit: limit)
        let styles = try ImageFolder(directory: URL(fileURLWithPath: stylesDir), keepSide: styleSide, limit: limit)
        print("content: \(content.images.count) images from \(contentDir) at \(photoSide) px; styles: \(styles.images.count) from \(stylesDir) at \(styleSide) px"
              + (content.skipped.count + styles.skipped.count > 0 ? "; skipped \((content.skipped + styles.skipped).joined(separator: ", "))" : ""))

        let vgg = try ServiceSetup.perceptualLoss(config)
        let checkpointURL = out.appendingPathComponent("checkpoint.safetensors")
        let resuming = !a.flags.contains("fresh") && FileManager.default.fileExists(atPath: checkpointURL.path)
        let saved = resuming ? try SafeTensors.load(checkpointURL) : nil
        let initial = saved == nil ? try a.options["init"].map { try AdaINExport.read(URL(fileURLWithPath: $0)) } : nil
        // The loss layers' scales are measured once, on the photos, and kept with the run (and with
        // its weight files, so a run continued from them with `--init` weighs its losses as before).
        // A resumed run keeps its style loss's form unless told otherwise.
        if a.options["style-loss"] == nil, saved?.metadata["loss_weights"]?.contains("style_loss=norm") == true { tc.styleLoss = .norm }
        if a.options["style-augment"] == nil, let p = saved?.metadata["style_augmentation"].flatMap(Float.init) { tc.styleAugmentation = p }
        if let text = saved?.metadata["layer_scales"] {
            tc.layerScales = try AdaINTrainingConfig.layerScales(parsing: text)
        } else if let initial, !initial.layerScales.isEmpty {
            tc.layerScales = initial.layerScales
        } else {
            tc.layerScales = AdaINTrainer.measureLayerScales(content, loss: vgg, cropSize: tc.cropSize)
        }
        print("loss layer scales (mean activation): \(tc.layerScalesText)")
        let trainer = try AdaINTrainer(parameters: AdaINArchitecture.initialWeights(seed: tc.seed), loss: vgg, config: tc)
        if let saved {
            try trainer.restore(tensors: saved.tensors, metadata: saved.metadata)
            print("resumed from \(checkpointURL.path) at iteration \(trainer.iteration)")
        } else if let initial, let initPath = a.options["init"] {
            try trainer.start(from: initial.weights, iteration: initial.iteration)
            print("starting from \(initPath) at iteration \(trainer.iteration) (fresh Adam moments)")
        } else {
            print("starting afresh (\(AdaINArchitecture.version), seed \(tc.seed))")
        }

        let command = (["atelier train adain"] + args).joined(separator: " ")
        let log = StepLog(every: logEvery, file: out.appendingPathComponent("loss.tsv"), names: ["content", "style"])
        func save() throws {
            let c = trainer.checkpoint()
            try SafeTensors.write(c.tensors, to: checkpointURL, metadata: c.metadata)
            try AdaINExport.write(parameters: trainer.exportedParameters, iteration: trainer.iteration, config: tc,
                                  averageDecay: trainer.average?.decay, to: out, provenance: """
                # AdaIN decoder: provenance

                - command: `\(command)`
                - content: \(content.images.count) images from `\(contentDir)`, shorter side \(photoSide) px; styles: \(styles.images.count) from `\(stylesDir)`, shorter side \(styleSide) px
                - architecture: \(AdaINArchitecture.version) (encoder VGG16 to relu4_1, frozen)
                - crop \(tc.cropSize), batch \(tc.batchSize), Adam lr \(tc.learningRate) / (1 + \(tc.learningRateDecay)·iteration)
                - loss weights: content \(tc.contentWeight) (relu4_1), style \(tc.styleWeight) (mean/std at relu1_1, relu2_1, relu3_1, relu4_1, \(tc.styleLoss == .norm ? "as norms (eq. 13 as written), each divided by" : "squared (the authors' code), each divided by the square of") its mean activation on the photos (\(tc.layerScalesText))
                - style crops given a new palette (hue turned, saturation and contrast scaled, a quarter of them inverted; `PaletteAugmentation`): \(tc.styleAugmentation == 0 ? "none" : String(format: "%g%%", 100 * tc.styleAugmentation))
                - iterations: \(trainer.iteration)
                - weights: \(trainer.average.map { "the average of the training weights, avg ← \($0.decay)·avg + \(String(format: "%g", 1 - $0.decay))·w after every step" } ?? "the training weights as they stand")
                - recent losses:
                \(log.recent.map { "  - \($0)" }.joined(separator: "\n"))
                - written: \(ISO8601DateFormatter().string(from: Date()))
                """)
        }

        try BackgroundTraining.run(until: iterations, from: trainer.iteration, checkpointEvery: checkpointEvery, log: log, step: {
            let losses = trainer.step(content: content, styles: styles)
            return (trainer.iteration, [losses.content, losses.style], "")
        }, save: save)
    }
}
