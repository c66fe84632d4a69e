import Foundation
import ImageIO
import Models
import Tensor
import Training

/// `atelier train stylebank --content DIR --styles DIR --out DIR …`: trains a StyleBank from
/// folders of images, checkpointing to OUT/checkpoint.safetensors and resuming from it when present.
enum TrainCommand {
    static func run(_ args: ArraySlice<String>) throws {
        if args.first == "adain" { return try TrainAdaINCommand.run(args.dropFirst()) }
        if args.first == "munit" { return try TrainMUNITCommand.run(args.dropFirst()) }
        guard args.first == "stylebank" else {
            throw CLIError("usage: atelier train stylebank --content DIR --styles DIR [--out DIR] …\n       \(TrainAdaINCommand.usage)\n       \(TrainMUNITCommand.usage)")
        }
        let a = try Arguments(args.dropFirst(), flagNames: ["fresh"])
        try a.checkKnown(["content", "styles", "out", "size", "batch", "iterations", "checkpoint-every", "lr", "style-weight",
                          "content-weight", "shallow-content-weight", "tv-weight", "seed", "style-size", "max-images", "models", "data", "fresh", "log-every", "init",
                          "stylizing-steps", "photo-side", "residual-blocks", "average"])
        guard let contentDir = a.options["content"], let stylesDir = a.options["styles"] else {
            throw CLIError("--content DIR and --styles DIR are required")
        }
        let config = ServiceSetup.config(a)
        let out = URL(fileURLWithPath: a.options["out"] ?? "data/training/stylebank")
        var tc = StyleBankTrainingConfig()
        tc.cropSize = try a.int("size") ?? tc.cropSize
        tc.batchSize = try a.int("batch") ?? tc.batchSize
        tc.learningRate = try a.float("lr") ?? tc.learningRate
        tc.styleWeight = try a.float("style-weight") ?? tc.styleWeight
        tc.contentWeight = try a.float("content-weight") ?? tc.contentWeight
        tc.tvWeight = try a.float("tv-weight") ?? tc.tvWeight
        tc.shallowContentWeight = try a.float("shallow-content-weight") ?? tc.shallowContentWeight
        tc.seed = UInt64(try a.int("seed") ?? 1)
        // The exported weights are an exponential average of the iterates (0 exports the last iterate).
        let average = try a.float("average") ?? 0.999
        guard (0..<1).contains(average) else { throw CLIError("--average takes a decay in [0, 1), got \(average)") }
        tc.averageDecay = average > 0 ? average : nil
        // T of the (T+1)-step alternation; 0 trains the auto-encoder alone (a cheap pre-training phase: no VGG).
        tc.stylizingStepsPerCycle = try a.int("stylizing-steps") ?? tc.stylizingStepsPerCycle
        let iterations = try a.int("iterations") ?? 20_000
        let checkpointEvery = try a.int("checkpoint-every") ?? 50
        let logEvery = try a.int("log-every") ?? 10
        tc.styleSize = try a.int("style-size") ?? tc.styleSize

        // Styles: every image in the folder, in name order, ids 0, 1, 2, …
        let styleFiles = ImageFolder.imageFiles(in: URL(fileURLWithPath: stylesDir))
        guard !styleFiles.isEmpty else { throw CLIError("no style images in \(stylesDir)") }
        var styleImages: [Int: Tensor] = [:]
        var styles: [StyleBankExport.Style] = []
        for (id, file) in styleFiles.enumerated() {
            let image = try ServiceSetup.readImage(file.path, maxPixels: config.maxInputPixels)
            styleImages[id] = ImageTensor.tensor(from: ImageFolder.shorterSide(image, tc.styleSize))
            styles.append(.init(id: id, name: file.deletingPathExtension().lastPathComponent, source: file.lastPathComponent))
        }
        print("styles: \(styles.map(\.name).joined(separator: ", ")) (shorter side scaled to \(tc.styleSize))")
        // Photos are kept with their shorter side at --photo-side and cropped from there: the larger
        // it is beside the crop, the closer objects are to the scale of the photos users send.
        let photoSide = max(try a.int("photo-side") ?? Int(Double(tc.cropSize) * 1.15), tc.cropSize)
        let data = try ImageFolder(directory: URL(fileURLWithPath: contentDir), keepSide: photoSide,
                                   limit: try a.int("max-images") ?? .max)
        print("content: \(data.images.count) images from \(contentDir)" + (data.skipped.isEmpty ? "" : "; skipped \(data.skipped.joined(separator: ", "))"))

        let vgg = try ServiceSetup.perceptualLoss(config)
        let ids = styles.map(\.id)
        let requested = try a.options["residual-blocks"].map(residualBlocks)
        let checkpointURL = out.appendingPathComponent("checkpoint.safetensors")
        let trainer: StyleBankTrainer
        if !a.flags.contains("fresh"), FileManager.default.fileExists(atPath: checkpointURL.path) {
            let saved = try SafeTensors.load(checkpointURL)
            guard saved.metadata["styles"] == ids.map(String.init).joined(separator: ",") else {
                throw CLIError("\(checkpointURL.path) was trained on other styles; use --fresh or another --out")
            }
            trainer = StyleBankTrainer(parameters: StyleBankTrainer.parameters(inCheckpoint: saved.tensors), styles: ids,
                                       styleImages: styleImages, loss: vgg, config: tc)
            if let requested, requested != trainer.architecture {
                throw CLIError("\(checkpointURL.path) has \(trainer.architecture), not --residual-blocks' \(requested); use --init to grow it")
            }
            if let missing = trainer.architecture.layers(styles: ids).flatMap(\.parameterNames).first(where: { trainer.parameters[$0] == nil }) {
                throw CLIError("\(checkpointURL.path) lacks \(missing); use --fresh or another --out")
            }
            try trainer.restore(tensors: saved.tensors, metadata: saved.metadata)
            print("resumed from \(checkpointURL.path) at iteration \(trainer.iteration) (\(trainer.architecture))")
        } else if let initPath = a.options["init"] {
            // Exported weights (F16, no optimizer state): continue training from them with fresh
            // Adam moments, e.g. from a committed snapshot. With more
            // --residual-blocks than the file has, the new blocks start as the identity.
            let saved = try StyleBankExport.read(URL(fileURLWithPath: initPath))
            let names = saved.styles.map(\.name)
            guard names == styles.map(\.name) else {
                throw CLIError("\(initPath) holds styles \(names), not the --styles folder's \(styles.map(\.name))")
            }
            let architecture = requested ?? StyleBankArchitecture(weights: saved.weights)
            let weights = try architecture.grown(from: saved.weights, seed: tc.seed)
            trainer = StyleBankTrainer(parameters: weights, styles: ids, styleImages: styleImages, loss: vgg, config: tc)
            try trainer.start(from: weights, iteration: saved.iteration)
            print("starting from \(initPath) at iteration \(trainer.iteration) (\(architecture); trained with \(saved.lossWeights), "
                  + "styles at \(saved.styleSize); this run uses \(tc.lossWeights), styles at \(tc.styleSize))")
        } else {
            let architecture = requested ?? .standard
            trainer = StyleBankTrainer(parameters: architecture.initialWeights(styles: ids, seed: tc.seed), styles: ids,
                                       styleImages: styleImages, loss: vgg, config: tc)
            print("starting afresh (\(architecture))")
        }

        let command = (["atelier train stylebank"] + args.dropFirst()).joined(separator: " ")
        func save() throws {
            let c = trainer.checkpoint()
            try SafeTensors.write(c.tensors, to: checkpointURL, metadata: c.metadata)
            let model = trainer.averagedParameters
            try StyleBankExport.write(parameters: model, styles: styles, iteration: trainer.iteration, lossWeights: tc.lossWeights,
                                      styleSize: tc.styleSize, to: out, provenance: provenance(
                command: command, content: contentDir, count: data.images.count, photoSide: photoSide, styles: styles,
                architecture: trainer.architecture, config: tc,
                iteration: trainer.iteration, recent: recentLosses))
        }

        let stop = StopRequest()

        var recentLosses: [String] = []
        let log = TrainingLog(total: iterations, every: logEvery, file: out.appendingPathComponent("loss.tsv"))
        while trainer.iteration < iterations && !stop.requested {
            let start = Date()
            let (style, losses) = trainer.step(data)
            log.record(iteration: trainer.iteration, style: style, losses: losses, seconds: Date().timeIntervalSince(start))
            recentLosses = log.recentSummary
            if trainer.iteration % checkpointEvery == 0 { try save() }
        }
        try save()
        print(stop.requested ? "stopped at iteration \(trainer.iteration); checkpoint saved" : "done: \(trainer.iteration) iterations")
    }

    /// `--residual-blocks E,D`: residual blocks after the encoder and before the decoder.
    static func residualBlocks(_ value: String) throws -> StyleBankArchitecture {
        let parts = value.split(separator: ",").map { Int($0) }
        guard parts.count == 2, let e = parts[0], let d = parts[1], (0...8).contains(e), (0...8).contains(d) else {
            throw CLIError("--residual-blocks takes E,D (each 0…8), got '\(value)'")
        }
        return StyleBankArchitecture(encoderResiduals: e, decoderResiduals: d)
    }

    static func provenance(command: String, content: String, count: Int, photoSide: Int, styles: [StyleBankExport.Style],
                           architecture: StyleBankArchitecture, config: StyleBankTrainingConfig, iteration: Int, recent: [String]) -> String {
        """
        # StyleBank weights: provenance

        - command: `\(command)`
        - content images: \(count) from `\(content)`, shorter side scaled to \(photoSide) before cropping
        - styles: \(styles.map { "\($0.id) \($0.name) (\($0.source))" }.joined(separator: "; ")), shorter side scaled to \(config.styleSize)
        - architecture: \(StyleBankArchitecture.version), \(architecture)
        - crop \(config.cropSize), batch \(config.batchSize), Adam lr \(config.learningRate), T = \(config.stylizingStepsPerCycle)
        - exported weights: \(config.averageDecay.map { "exponential average of the iterates, decay \($0)" } ?? "the last iterate")
        - loss weights: content \(config.contentWeight) (relu4_2)\(config.shallowContentWeight > 0 ? " + \(config.shallowContentWeight) (relu2_2)" : ""), style \(config.styleWeight) (relu1_2, relu2_2, relu3_3, relu4_3), tv \(config.tvWeight)
        - iterations: \(iteration)
        - recent losses:
        \(recent.map { "  - \($0)" }.joined(separator: "\n"))
        - written: \(ISO8601DateFormatter().string(from: Date()))
        """
    }
}

/// Set by SIGINT or SIGTERM (which no longer end the process while it lives), so a training
/// loop stops after its current step and saves its checkpoint.
final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private var sources: [DispatchSourceSignal] = []

    init() {
        sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [weak self] in self?.lock.withLock { self?.flag = true } }
            s.resume()
            return s
        }
    }

    deinit { sources.forEach { $0.cancel() } }

    var requested: Bool { lock.withLock { flag } }
}

/// Progress output: a redrawn bar on a terminal, plain lines otherwise; every step also goes to a TSV.
final class TrainingLog {
    let total: Int, every: Int
    let isTerminal = isatty(STDOUT_FILENO) != 0
    let handle: FileHandle?
    var window: [(Int?, StepLosses, Double)] = []
    var recentSummary: [String] = []

    init(total: Int, every: Int, file: URL) {
        self.total = total
        self.every = max(1, every)
        handle = Self.appending(to: file, header: "iteration\tstyle\tcontent\tstyle_loss\ttv\tidentity\tseconds")
    }

    /// A handle that appends to the TSV `file`, made (folder and header line) if it does not exist,
    /// so a resumed run continues its log; nil if it cannot be opened (the run goes on unlogged).
    static func appending(to file: URL, header: String) -> FileHandle? {
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: file.path) {
            _ = FileManager.default.createFile(atPath: file.path, contents: Data((header + "\n").utf8))
        }
        let handle = try? FileHandle(forWritingTo: file)
        _ = try? handle?.seekToEnd()
        return handle
    }

    func record(iteration: Int, style: Int?, losses: StepLosses, seconds: Double) {
        handle?.write(Data(String(format: "%d\t%@\t%g\t%g\t%g\t%g\t%.2f\n", iteration, style.map(String.init) ?? "-",
                                  losses.content, losses.style, losses.tv, losses.identity, seconds).utf8))
        window.append((style, losses, seconds))
        guard iteration % every == 0 || iteration == total else { return }
        let stylizing = window.filter { $0.0 != nil }, identity = window.filter { $0.0 == nil }
        let mean = { (xs: [Float]) in xs.isEmpty ? 0 : xs.reduce(0, +) / Float(xs.count) }
        let secondsPerStep = window.map(\.2).reduce(0, +) / Double(window.count)
        let eta = Double(total - iteration) * secondsPerStep
        let line = String(format: "it %d/%d  stylize %.4g (content %.4g, style %.4g)  identity %.4g  %.2f s/it  eta %@",
                          iteration, total, mean(stylizing.map(\.1.total)), mean(stylizing.map(\.1.content)),
                          mean(stylizing.map(\.1.style)), mean(identity.map(\.1.identity)), secondsPerStep, Self.duration(eta))
        recentSummary = Array((recentSummary + [line]).suffix(5))
        if isTerminal {
            let width = 30, filled = width * iteration / max(total, 1)
            print("\r[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] " + line, terminator: "")
            fflush(stdout)
        } else {
            print(line)
            fflush(stdout)
        }
        window.removeAll()
    }

    static func duration(_ s: Double) -> String {
        s >= 3600 ? String(format: "%.1fh", s / 3600) : s >= 60 ? String(format: "%.0fm", s / 60) : String(format: "%.0fs", s)
    }
}
