import Foundation
import Models
import Tensor
import Training

/// `atelier train munit --a DIR --b DIR --out DIR …`: trains MUNIT between two folders of images
/// (here photos and paintings; the paper's datasets work unchanged), checkpointing generators,
/// discriminators and both Adams to OUT/checkpoint.safetensors and resuming from it exactly;
/// OUT/munit.safetensors (F16 generators) is what the service loads. Without the run folder,
/// `--init` continues from such a file: the generators and iteration from it, fresh discriminators
/// (trained alone for `--discriminator-warmup` updates first) and fresh Adam moments.
enum TrainMUNITCommand {
    static let usage = "usage: atelier train munit --a DIR --b DIR [--out data/training/munit] [--size 128] [--width 32] [--residual-blocks 3] [--init munit.safetensors [--discriminator-warmup 300]] [--perceptual-weight 1 [--perceptual-layer block5_conv3]] [--cycle-weight 10] …"

    static func run(_ args: ArraySlice<String>) throws {
        let a = try Arguments(args, flagNames: ["fresh"])
        try a.checkKnown(["a", "b", "out", "size", "batch", "iterations", "checkpoint-every", "lr", "lr-step", "seed", "side", "max-images",
                          "width", "residual-blocks", "gan-weight", "image-weight", "style-weight", "content-weight", "fresh", "log-every",
                          "init", "discriminator-warmup", "perceptual-weight", "perceptual-layer", "cycle-weight", "models", "data"])
        guard let dirA = a.options["a"], let dirB = a.options["b"] else { throw CLIError(usage) }
        let out = URL(fileURLWithPath: a.options["out"] ?? "data/training/munit")
        var tc = MUNITTrainingConfig()
        tc.cropSize = try a.int("size") ?? tc.cropSize
        tc.batchSize = try a.int("batch") ?? tc.batchSize
        tc.learningRate = try a.float("lr") ?? tc.learningRate
        tc.learningRateStep = try a.int("lr-step") ?? tc.learningRateStep
        tc.ganWeight = try a.float("gan-weight") ?? tc.ganWeight
        tc.imageWeight = try a.float("image-weight") ?? tc.imageWeight
        tc.styleWeight = try a.float("style-weight") ?? tc.styleWeight
        tc.contentWeight = try a.float("content-weight") ?? tc.contentWeight
        tc.perceptualWeight = try a.float("perceptual-weight") ?? tc.perceptualWeight
        tc.perceptualLayer = a.options["perceptual-layer"] ?? tc.perceptualLayer
        tc.cycleWeight = try a.float("cycle-weight") ?? tc.cycleWeight
        guard tc.perceptualWeight >= 0, tc.perceptualWeight.isFinite, tc.cycleWeight >= 0, tc.cycleWeight.isFinite else {
            throw CLIError("--perceptual-weight and --cycle-weight must be 0 or more")
        }
        tc.seed = UInt64(try a.int("seed") ?? 1)
        tc.architecture.width = try a.int("width") ?? tc.architecture.width
        tc.architecture.residualBlocks = try a.int("residual-blocks") ?? tc.architecture.residualBlocks
        // `--init FILE`: exported generators (weights/munit/munit.safetensors) set the architecture.
        let initial = try a.options["init"].map { try MUNITExport.readParameters(URL(fileURLWithPath: $0)) }
        if let initial {
            guard (a.options["width"] == nil && a.options["residual-blocks"] == nil) || tc.architecture == initial.architecture else {
                throw CLIError("--init's generators are \(initial.architecture.text); drop --width and --residual-blocks")
            }
            tc.architecture = initial.architecture
        }
        let multiple = tc.architecture.sizeMultiple << (tc.architecture.discriminatorScales - 1)
        guard (32...1024).contains(tc.cropSize), tc.cropSize % multiple == 0, (1...64).contains(tc.batchSize),
              (4...256).contains(tc.architecture.width), (1...16).contains(tc.architecture.residualBlocks) else {
            throw CLIError("--size must be a multiple of \(multiple) from 32 to 1024, --batch 1…64, --width 4…256, --residual-blocks 1…16")
        }
        let iterations = try a.int("iterations") ?? 1_000_000
        let checkpointEvery = try a.int("checkpoint-every") ?? 200
        let logEvery = max(1, try a.int("log-every") ?? 20)
        // MUNIT resizes images to a shorter side of 256 before its 256² crops; the same ratio here.
        let side = max(try a.int("side") ?? 2 * tc.cropSize, tc.cropSize)
        let limit = try a.int("max-images") ?? .max
        let photos = try ImageFolder(directory: URL(fileURLWithPath: dirA), keepSide: side, limit: limit)
        let paintings = try ImageFolder(directory: URL(fileURLWithPath: dirB), keepSide: side, limit: limit)
        print("a: \(photos.images.count) images from \(dirA); b: \(paintings.images.count) from \(dirB); shorter side \(side) px"
              + (photos.skipped.count + paintings.skipped.count > 0 ? "; skipped \((photos.skipped + paintings.skipped).joined(separator: ", "))" : ""))

        let warmup = try a.int("discriminator-warmup") ?? 300
        let vgg = tc.perceptualWeight > 0
            ? try ServiceSetup.perceptualLoss(ServiceSetup.config(a))
            : nil
        let trainer = try MUNITTrainer(config: tc, vgg: vgg)
        let checkpointURL = out.appendingPathComponent("checkpoint.safetensors")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        if !a.flags.contains("fresh"), FileManager.default.fileExists(atPath: checkpointURL.path) {
            let saved = try SafeTensors.load(checkpointURL)
            try trainer.restore(tensors: saved.tensors, metadata: saved.metadata)
            print("resumed from \(checkpointURL.path) at iteration \(trainer.iteration)")
        } else if let initial, let initPath = a.options["init"] {
            try trainer.start(generators: initial.parameters, iteration: initial.iteration)
            print("starting from \(initPath) at iteration \(trainer.iteration) (fresh discriminators and Adam moments); "
                  + "\(warmup) discriminator updates first")
            var window: [(loss: Float, scores: MUNITCriticScores)] = []
            for i in 0..<warmup {
                window.append(trainer.discriminatorStep(photos: photos, paintings: paintings))
                if (i + 1) % logEvery == 0 || i + 1 == warmup {
                    let loss = window.map(\.loss).reduce(0, +) / Float(window.count)
                    print("discriminator warm-up \(i + 1)/\(warmup)  loss \(String(format: "%.3f", loss))  mean scores \(MUNITCriticScores.mean(window.map(\.scores)).description)")
                    window = []
                }
            }
        } else {
            print("starting afresh (\(MUNITArchitecture.version) \(tc.architecture.text), seed \(tc.seed))")
        }

        let command = (["atelier train munit"] + args).joined(separator: " ")
        // The optional terms' columns only when they are on (a run's loss.tsv keeps one header).
        let optional: [(name: String, on: Bool, value: (MUNITLosses) -> Float)] = [("perceptual", vgg != nil, \.perceptual),
                                                                                  ("cycle", tc.cycleWeight > 0, \.cycle)].filter(\.on)
        let log = StepLog(every: logEvery, file: out.appendingPathComponent("loss.tsv"),
                          names: ["discriminator", "adversarial", "image", "style", "content"] + optional.map(\.name))
        func save() throws {
            let c = trainer.checkpoint()
            try SafeTensors.write(c.tensors, to: checkpointURL, metadata: c.metadata)
            try MUNITExport.write(parameters: trainer.parameters, iteration: trainer.iteration, config: tc, to: out, provenance: """
                # MUNIT generators: provenance

                - command: `\(command)`
                - domain a: \(photos.images.count) images from `\(dirA)`; domain b: \(paintings.images.count) from `\(dirB)`; shorter side \(side) px
                - architecture: \(MUNITArchitecture.version) (\(tc.architecture.text))
                - crop \(tc.cropSize), batch \(tc.batchSize), Adam lr \(tc.learningRate) (halved every \(tc.learningRateStep)), β = (0.5, 0.999), weight decay \(tc.weightDecay)
                - loss weights: \(tc.lossWeightsText)
                - iterations: \(trainer.iteration)
                - recent losses:
                \(log.recent.map { "  - \($0)" }.joined(separator: "\n"))
                - written: \(ISO8601DateFormatter().string(from: Date()))
                """)
        }

        var critics: [MUNITCriticScores] = []   // the log window's, for the printed line
        try BackgroundTraining.run(until: iterations, from: trainer.iteration, checkpointEvery: checkpointEvery, log: log, step: {
            let l = trainer.step(photos: photos, paintings: paintings)
            critics.append(l.critic)
            var note = ""
            if trainer.iteration % logEvery == 0 {
                note = "  critics \(MUNITCriticScores.mean(critics).description)"
                critics = []
            }
            if trainer.skippedUpdates > 0 { note += "  (\(trainer.skippedUpdates) updates skipped: gradient not finite)" }
            return (trainer.iteration, [l.discriminator, l.adversarial, l.image, l.style, l.content] + optional.map { $0.value(l) }, note)
        }, save: save)
    }
}
