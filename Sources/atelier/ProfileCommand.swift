import Foundation
import Models
import Service
import Tensor
import Training

/// `atelier profile [--network multistyle26|stylebank|vgg16|stylebank-backward|stylebank-learn|stylebank-train] [--size 1024]`:
/// where a network's time goes, op by op, with the convolutions' GFLOP/s, so kernel work can aim at
/// the biggest share. `stylebank-backward` times the two gradients of every StyleBank convolution
/// that a training step computes (at `--size` crops, e.g. 128); the VGG loss runs `vgg16`'s shapes.
/// `stylebank-learn` and `stylebank-train` time the phases of the trainer's own steps, learning a
/// new style (`POST /styles`, e.g. at 128) or training the whole bank (e.g. at 256); `losses` the
/// perceptual loss terms of one step; `munit-train` the phases of a MUNIT training step (e.g. at 128),
/// `munit-train-perceptual` with the domain-invariant perceptual loss;
/// `magenta` the imported arbitrary network's graphs by kind of op.
/// With `--step-file FILE`, the two StyleBank step profiles first write the step's inputs and our
/// losses and gradients there (`ProfileStepFile`), for scripts/bench_train_peer.py.
enum ProfileCommand {
    static func run(_ args: ArraySlice<String>) throws {
        let a = try Arguments(args, flagNames: [])
        try a.checkKnown(["size", "models", "data", "repeats", "network", "step-file"])
        let config = ServiceSetup.config(a)
        let size = try a.int("size") ?? 1024
        let repeats = try a.int("repeats") ?? 3
        let stepFile = a.options["step-file"].map { URL(fileURLWithPath: $0) }
        switch a.options["network"] ?? "multistyle26" {
        case "multistyle26": try multistyle26(config: config, size: size, repeats: repeats)
        case "vgg16": try vgg16(config: config, size: size, repeats: repeats)
        case "stylebank": try stylebank(config: config, size: size, repeats: repeats)
        case "stylebank-backward": stylebankBackward(size: size, repeats: repeats)
        case "stylebank-learn": try stylebankSteps(config: config, size: size, repeats: repeats, learn: true, stepFile: stepFile)
        case "stylebank-train": try stylebankSteps(config: config, size: size, repeats: repeats, learn: false, stepFile: stepFile)
        case "losses": try perceptualLosses(config: config, size: size, repeats: repeats)
        case "munit-train": try munitSteps(size: size, repeats: repeats)
        case "munit-train-perceptual": try munitSteps(size: size, repeats: repeats, perceptualWith: config)
        case "adain-train": try adainSteps(config: config, size: size, repeats: repeats)
        case "magenta": try magenta(config: config, size: size, repeats: repeats)
        case let other: throw CLIError("unknown network \(other): multistyle26, stylebank, vgg16, stylebank-backward, stylebank-learn, stylebank-train, losses, munit-train, munit-train-perceptual, adain-train or magenta")
        }
    }

    typealias Row = (name: String, op: String, seconds: Double, gflop: Double)

    /// Uniform noise in 0…1 of `shape` (the kernels' cost does not depend on the values).
    static func noise(_ shape: [Int], _ rng: inout SplitMix64) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(rng.next() >> 40) / 0x1p24 })
    }

    /// The best of `repeats` timings of `body` (after one warm-up run).
    static func time<T>(_ repeats: Int, _ body: () -> T) -> (T, Double) {
        var result = body()
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            result = body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return (result, best)
    }

    /// VGG16 to relu4_3 (the perceptual loss's hot path): zero pad, conv + ReLU, pool.
    static func vgg16(config: ServiceConfig, size: Int, repeats: Int) throws {
        let weights = try SafeTensors.load(config.modelsDirectory.appendingPathComponent("vgg16.safetensors")).tensors
        var rows: [Row] = []
        var x = Tensor(shape: [1, 3, size, size], repeating: 10)
        for name in VGG16.layers.prefix(13) {
            if name == "pool" {
                let (p, t) = time(repeats) { maxPool2x2(x) }
                rows.append((name, "max pool", t, 0))
                x = p
                continue
            }
            let conv = Conv2D(weight: weights["\(name).weight"]!, bias: weights["\(name).bias"]!)
            let (padded, tp) = time(repeats) { pad2d(x, top: 1, bottom: 1, left: 1, right: 1, mode: .zero) }
            rows.append((name, "pad", tp, 0))
            let (y, tc) = time(repeats) { conv(padded, relu: true) }
            let flop = 2.0 * Double(y.count) * Double(conv.inChannels * 9)
            rows.append((name, "conv 3×3 \(conv.inChannels)→\(conv.outChannels) +relu", tc, flop / 1e9))
            x = y
        }
        report(rows, title: "vgg16 to relu4_3 at \(size)²", timing: "best of \(repeats) per op")
    }

    /// A block's convolution as inference runs it, timed into `rows`: the folded upsampling
    /// convolution (its GFLOP/s counted as the unfolded one's, so rows compare across layers), or
    /// [upsample], reflection pad and convolution as separate rows.
    static func convolution(_ name: String, _ conv: Conv2D, folded: UpsampledConv?, upsample: Bool, _ x: Tensor,
                            repeats: Int, rows: inout [Row]) -> Tensor {
        let shape = "\(conv.kernelH)×\(conv.kernelW)/\(conv.stride) \(conv.inChannels)→\(conv.outChannels)"
        func flop(_ y: Tensor) -> Double { 2.0 * Double(y.count) * Double(conv.inChannels * conv.kernelH * conv.kernelW) / 1e9 }
        if let folded {
            let (y, t) = time(repeats) { folded(x) }
            rows.append((name, "upsample + conv \(shape), folded", t, flop(y)))
            return y
        }
        var h = x
        if upsample { let (u, t) = time(repeats) { upsampleNearest(h, factor: 2) }; h = u; rows.append((name, "upsample", t, 0)) }
        let p = conv.kernelH / 2
        let (padded, tp) = time(repeats) { pad2d(h, top: p, bottom: p, left: p, right: p, mode: .reflect) }
        rows.append((name, "pad", tp, 0))
        if conv.stride > 1 {
            let (_, ts) = time(repeats) { Conv2D.splitPhases(padded, stride: conv.stride) }
            rows.append((name, "phase split (inside the conv)", ts, 0))
        }
        let (y, tc) = time(repeats) { conv(padded) }
        rows.append((name, "conv \(shape)", tc, flop(y)))
        return y
    }

    static func multistyle26(config: ServiceConfig, size: Int, repeats: Int) throws {
        let net = try MultiStyleNetwork(weights: SafeTensors.load(config.modelsDirectory.appendingPathComponent("multistyle26.safetensors")).tensors)
        var weights = [Float](repeating: 0, count: 26)
        weights[3] = 1
        var rows: [Row] = []
        func time<T>(_ body: () -> T) -> (T, Double) { Self.time(repeats, body) }
        func layer(_ name: String, _ l: ConditionalConvLayer, _ x: Tensor) -> Tensor {
            let y = convolution(name, l.conv, folded: l.upsampledConv, upsample: l.upsample, x, repeats: repeats, rows: &rows)
            let g = [Float](repeating: 1, count: l.conv.outChannels), b = [Float](repeating: 0, count: l.conv.outChannels)
            let (n, tn) = time { instanceNorm(y, gamma: g, beta: b, activation: l.activation) }
            rows.append((name, "instance norm", tn, 0))
            return n
        }
        var x = Tensor(shape: [1, 3, size, size], repeating: 0.5)
        for (i, l) in net.contract.enumerated() { x = layer("contract.\(i)", l, x) }
        for (i, (l0, l1)) in net.residual.enumerated() {
            let y = layer("res.\(i).1", l1, layer("res.\(i).0", l0, x))
            let (s, t) = time { add(x, y) }
            rows.append(("res.\(i)", "add", t, 0))
            x = s
        }
        for (i, l) in net.expand.enumerated() { x = layer("expand.\(i)", l, x) }
        report(rows, title: "multistyle26 at \(size)²", timing: "best of \(repeats) per op")
        // What the rows leave out: the whole network as the service runs it, and what each of its
        // kernel calls pays to start its workers and wait for them (an empty parallel region).
        let input = Tensor(shape: [1, 3, size, size], repeating: 0.5)
        let whole = (0..<repeats).map { _ in Self.time(1) { net(input, styleWeights: weights) }.1 }.sorted()
        // One 20 µs task per worker: past 20 µs, the region waited for a worker to start.
        func spin(_ seconds: Double) { let end = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9); while DispatchTime.now().uptimeNanoseconds < end {} }
        let regions = (0..<1000).map { _ in Self.time(1) { Parallel.run(claiming: Parallel.maxThreads) { _, next in while next() != nil { spin(20e-6) } } }.1 - 20e-6 }.sorted()
        print(String(format: "whole network: best %.1f ms, median %.1f ms; starting a parallel region's workers: median %.1f µs, 90th percentile %.1f µs",
                     whole[0] * 1000, whole[whole.count / 2] * 1000, regions[regions.count / 2] * 1e6, regions[regions.count * 9 / 10] * 1e6))
    }

    /// The default model's inference (style 3), block by block as `ConvBlock` runs it below the
    /// stripes' threshold: upsample, pad, conv, instance norm with its activation; residual adds.
    static func stylebank(config: ServiceConfig, size: Int, repeats: Int) throws {
        let net = try StyleBankNetwork(weights: SafeTensors.load(config.modelsDirectory.appendingPathComponent("stylebank.safetensors")).tensors,
                                       styles: [3])
        var rows: [Row] = []
        func time<T>(_ body: () -> T) -> (T, Double) { Self.time(repeats, body) }
        func block(_ b: ConvBlock, _ x: Tensor) -> Tensor {
            let name = b.spec.name
            let y = convolution(name, b.conv, folded: b.upsampledConv, upsample: b.spec.upsample, x, repeats: repeats, rows: &rows)
            let (n, tn) = b.spec.normalized ? time { instanceNorm(y, gamma: b.gamma, beta: b.beta, activation: b.spec.activation) }
                                            : time { activate(y, b.spec.activation) }
            rows.append((name, b.spec.normalized ? "instance norm" : "activation", tn, 0))
            return n
        }
        func layer(_ l: ConvLayer, _ x: Tensor) -> Tensor {
            switch l {
            case .conv(let b): return block(b, x)
            case .residual(let a, let b):
                let y = block(b, block(a, x))
                let (s, t) = time { add(x, y) }
                rows.append((l.name, "add", t, 0))
                return s
            }
        }
        var x = Tensor(shape: [1, 3, size, size], repeating: 0.5)
        for l in net.encoder { x = layer(l, x) }
        x = block(net.banks[3]!, x)
        for l in net.decoder { x = layer(l, x) }
        report(rows, title: "stylebank (style 3) at \(size)²", timing: "best of \(repeats) per op")
    }

    /// ∂L/∂w and ∂L/∂x of each StyleBank convolution (standard layout, one bank) on its training
    /// input at a `size`² crop, random values (the kernels' cost does not depend on them).
    static func stylebankBackward(size: Int, repeats: Int) {
        let architecture = StyleBankArchitecture.standard
        let blocks = architecture.layers(styles: [0]).flatMap(\.blocks)
        var rows: [Row] = []
        var side = size   // the block's input side; blocks are listed in the order they run (the bank last)
        var rng = SplitMix64(seed: 1)
        func random(_ shape: [Int]) -> Tensor { Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(rng.next() >> 40) / 0x1p24 - 0.5 }) }
        for b in blocks {
            if b.name.hasPrefix("bank") { side = size / 4 }
            let inSide = b.upsample ? side * 2 : side, outSide = inSide / b.stride
            let x = random([1, b.inChannels, inSide + 2 * b.padding, inSide + 2 * b.padding])
            let gy = random([1, b.outChannels, outSide, outSide])
            let w = random([b.outChannels, b.inChannels, b.kernel, b.kernel])
            let flop = 2.0 * Double(gy.count) * Double(b.inChannels * b.kernel * b.kernel)
            let shape = "\(b.kernel)×\(b.kernel)/\(b.stride) \(b.inChannels)→\(b.outChannels) at \(outSide)²"
            let (_, tw) = time(repeats) { conv2dBackward(input: x, weight: w, stride: b.stride, gradOutput: gy, computeInputGradient: false) }
            rows.append((b.name, "conv ∂w " + shape, tw, flop / 1e9))
            let gradInput = ConvInputGradient(weight: w, stride: b.stride)
            let (_, tx) = time(repeats) { gradInput(gy, inputHeight: x.shape[2], inputWidth: x.shape[3]) }
            rows.append((b.name, "conv ∂x " + shape, tx, flop / 1e9))
            side = outSide
        }
        report(rows, title: "stylebank backward at \(size)²", timing: "best of \(repeats) per op")
    }

    /// The perceptual loss terms a stylizing step computes on the VGG16 features of a `size`²
    /// noise image (real features: about a third are ReLU zeros): each style layer's Gram matrix,
    /// Gram backward (with GFLOP/s) and the rest of its style loss, and the content MSEs.
    static func perceptualLosses(config: ServiceConfig, size: Int, repeats: Int) throws {
        let loss = try ServiceSetup.perceptualLoss(config)
        var rng = SplitMix64(seed: 1)
        func image() -> Tensor { noise([1, 3, size, size], &rng) }
        let layers = Set(PerceptualLoss.styleLayers + [PerceptualLoss.shallowContentLayer, PerceptualLoss.contentLayer])
        let features = loss.forward(image(), layers: layers).features, other = loss.forward(image(), layers: layers).features
        var rows: [Row] = []
        for layer in PerceptualLoss.styleLayers {
            let f = features[layer]!, target = gramMatrix(other[layer]!)
            let (c, pixels) = (f.shape[1], f.shape[2] * f.shape[3])
            let gramFlop = Double(c * (c + GEMM.nr) * pixels)   // the computed half (panels up to the diagonal)
            let (_, tg) = time(repeats) { gramMatrix(f) }
            rows.append((layer, "gram \(c)² over \(f.shape[2])²", tg, gramFlop / 1e9))
            let (_, tb) = time(repeats) { gramBackward(features: f, gradGram: target) }
            rows.append((layer, "gram ∂F", tb, 2.0 * Double(c * c * pixels) / 1e9))
            let (_, ts) = time(repeats) { styleLoss(features: f, targetGram: target) }
            rows.append((layer, "rest of the style loss", max(0, ts - tg - tb), 0))
        }
        for layer in [PerceptualLoss.shallowContentLayer, PerceptualLoss.contentLayer] {
            let (_, t) = time(repeats) { mseLoss(features[layer]!, other[layer]!) }
            rows.append((layer, "content mse \(features[layer]!.shape.dropFirst())", t, 0))
        }
        report(rows, title: "perceptual losses at \(size)²", timing: "best of \(repeats) per op")
    }

    /// The phases of training steps as `StyleBankTrainer` runs them (its `PhaseClock`), on random
    /// `size`² crops with the installed bank and its recorded loss weights. `learn`: a new style's
    /// steps (`POST /styles`: auto-encoder frozen, the bank alone); else the whole network's
    /// (`atelier train stylebank`: T = 2 stylizing steps, then an auto-encoder step).
    static func stylebankSteps(config: ServiceConfig, size: Int, repeats: Int, learn: Bool, stepFile: URL? = nil) throws {
        let models = config.modelsDirectory
        let file = try StyleBankExport.read(models.appendingPathComponent("stylebank.safetensors"))
        var tc = StyleBankTrainingConfig()
        (tc.cropSize, tc.batchSize, tc.lossWeights) = (size, 1, file.lossWeights)
        let loss = try ServiceSetup.perceptualLoss(config)
        var rng = SplitMix64(seed: 1)
        let x = noise([1, 3, size, size], &rng)
        let trainer = learn
            ? StyleBankTrainer.newStyle(autoencoder: file.weights, styleID: 0, styleImage: x, loss: loss, config: tc, initialBank: nil)
            : StyleBankTrainer(parameters: file.weights, styles: [0], styleImages: [0: x], loss: loss, config: tc)
        if let stepFile {
            try ProfileStepFile.write(trainer: trainer, styleID: 0, content: x, styleImage: x, loss: loss, learn: learn, to: stepFile)
        }
        let photos = ImageFolder(images: [ImageTensor.image(from: x)])
        // Whole cycles, so the auto-encoder steps count as often as they run; the first cycle
        // warms up (Adam state, buffers) and is not timed.
        let cycle = learn ? 1 : tc.stylizingStepsPerCycle + 1
        let steps = cycle * max(1, (max(repeats, 3) + cycle - 1) / cycle)
        for _ in 0..<cycle { trainer.step(photos) }
        let clock = PhaseClock()
        trainer.clock = clock
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { trainer.step(photos) }
        let whole = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(steps)
        let rows: [Row] = clock.phases.map { ($0.name, "×\($0.count)", $0.seconds / Double(steps), 0) }
        report(rows, title: "\(learn ? "new-style" : "training") steps at \(size)², per step", timing: "mean of \(steps) consecutive steps (×n: runs in them)")
        print(String(format: "whole step: %.1f ms (phases %.1f ms)", whole * 1000, rows.reduce(0) { $0 + $1.seconds } * 1000))
        if !learn { print(stepKinds(clock.phases, steps: steps)) }
    }

    /// A training cycle's two kinds of step apart, from its phases: a stylizing step is every phase
    /// but the auto-encoder's ("identity: …") over the stylizing steps' count (its "adam" runs), an
    /// auto-encoder step the "identity: …" phases over theirs; both take their share of "crop".
    static func stepKinds(_ phases: [(name: String, seconds: Double, count: Int)], steps: Int) -> String {
        let crop = phases.first { $0.name == "crop" }.map { $0.seconds / Double(steps) } ?? 0
        let identity = phases.filter { $0.name.hasPrefix("identity: ") }
        let stylizing = phases.filter { !$0.name.hasPrefix("identity: ") && $0.name != "crop" }
        let stylizingCount = phases.first { $0.name == "adam" }?.count ?? 0
        let identityCount = phases.first { $0.name == "identity: adam" }?.count ?? 0
        func perStep(_ rows: [(name: String, seconds: Double, count: Int)], _ count: Int) -> Double {
            count > 0 ? (rows.reduce(0) { $0 + $1.seconds } / Double(count) + crop) * 1000 : .nan
        }
        return String(format: "stylizing step: %.1f ms; auto-encoder step: %.1f ms (from the phases)",
                      perStep(stylizing, stylizingCount), perStep(identity, identityCount))
    }

    /// AdaIN's decoder training step as `atelier train adain` runs it (batch 4 of size² crops,
    /// the run's default loss weights), phase by phase; noise images (the cost does not depend on them).
    static func adainSteps(config: ServiceConfig, size: Int, repeats: Int) throws {
        var tc = AdaINTrainingConfig()
        (tc.cropSize, tc.batchSize) = (size, 4)
        let loss = try ServiceSetup.perceptualLoss(config)
        let trainer = try AdaINTrainer(parameters: AdaINArchitecture.initialWeights(seed: 1), loss: loss, config: tc)
        var rng = SplitMix64(seed: 1)
        let (x, s) = (noise([4, 3, size, size], &rng), noise([4, 3, size, size], &rng))
        _ = trainer.lossAndGradients(content: x, style: s)   // warm-up: buffers
        let clock = PhaseClock()
        trainer.clock = clock
        let steps = max(repeats, 2)
        for _ in 0..<steps { _ = trainer.lossAndGradients(content: x, style: s) }
        let rows: [Row] = clock.phases.map { ($0.name, "×\($0.count / steps)", $0.seconds / Double(steps), 0) }
        report(rows, title: "AdaIN decoder training step at \(size)², batch 4, per step (without Adam)", timing: "mean of \(steps) steps")
    }

    /// The phases of MUNIT training steps (the default architecture, batch 1, `size`² crops), then
    /// the backward passes layer by layer; with the domain-invariant perceptual loss (weight 1)
    /// when given the configuration to find the VGG16 weights with.
    static func munitSteps(size: Int, repeats: Int, perceptualWith config: ServiceConfig? = nil) throws {
        var tc = MUNITTrainingConfig()
        tc.cropSize = size
        let vgg = try config.map(ServiceSetup.perceptualLoss)
        if vgg != nil { tc.perceptualWeight = 1 }
        let trainer = try MUNITTrainer(config: tc, vgg: vgg)
        var rng = SplitMix64(seed: 1)
        let (xa, xb) = (noise([1, 3, size, size], &rng), noise([1, 3, size, size], &rng))
        trainer.step(photos: xa, paintings: xb)   // warm-up: Adam state, buffers
        let clock = PhaseClock()
        trainer.clock = clock
        let steps = max(repeats, 2)
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { trainer.step(photos: xa, paintings: xb) }
        let whole = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(steps)
        let rows: [Row] = clock.phases.map { ($0.name, "×\($0.count)", $0.seconds / Double(steps), 0) }
        report(rows, title: "MUNIT training steps at \(size)², per step", timing: "mean of \(steps) consecutive steps (×n: runs in them)")
        print(String(format: "whole step: %.1f ms (phases %.1f ms)", whole * 1000, rows.reduce(0) { $0 + $1.seconds } * 1000))
        // The backward passes layer by layer, in steps of their own (the timing adds a little).
        let layers = PhaseClock()
        LayerTraining.layerClock = layers
        defer { LayerTraining.layerClock = nil }
        for _ in 0..<steps { trainer.step(photos: xa, paintings: xb) }
        let byLayer: [Row] = layers.phases.sorted { $0.seconds > $1.seconds }.prefix(25).map { ($0.name, "×\($0.count / steps)", $0.seconds / Double(steps), 0) }
        report(byLayer, title: "MUNIT backward passes by layer kind and input, per step (top 25)", timing: "mean of \(steps) steps")
    }

    /// The machine's FMA peak on the threads the kernels use, measured once: each GFLOP/s row
    /// says how far it is from it.
    static let peak = FMAPeak.measure()
    static var peakLine: String {
        String(format: "fma peak %.1f GFLOP/s on %d threads (%.1f on one)", peak.allThreads, peak.threads, peak.oneThread)
    }
    static func rateText(_ gflops: Double) -> String {
        String(format: "%7.1f GFLOP/s %3.0f%% of peak", gflops, 100 * gflops / peak.allThreads)
    }

    /// `timing` says what a row's time is (e.g. "best of 3 per op").
    static func report(_ rows: [Row], title: String, timing: String) {
        let total = rows.reduce(0) { $0 + $1.seconds }
        print("\(title), kernels \(GEMM.variant), \(Parallel.maxThreads) threads; \(timing)")
        if rows.contains(where: { $0.gflop > 0 }) { print(peakLine) }
        let nameWidth = rows.map(\.name.count).max() ?? 10
        for r in rows {
            let rate = r.gflop > 0 ? rateText(r.gflop / r.seconds) : ""
            let name = r.name.padding(toLength: max(nameWidth, 10), withPad: " ", startingAt: 0)
            print(String(format: "%@ %-28@ %8.2f ms %5.1f%%  %@", name, r.op, r.seconds * 1000, 100 * r.seconds / total, rate))
        }
        var byOp: [String: Double] = [:]
        for r in rows { byOp[r.op.hasPrefix("conv") || r.op.hasPrefix("upsample + conv") ? "conv" : r.op, default: 0] += r.seconds }
        let gflop = rows.reduce(0) { $0 + $1.gflop }
        guard gflop > 0 else { return print(String(format: "total %.1f ms", total * 1000)) }   // phases, not ops
        let counted = rows.filter { $0.gflop > 0 }.reduce(0) { $0 + $1.seconds }
        print(String(format: "total %.1f ms; %.1f GFLOP at %.1f GFLOP/s over the rows that count them", total * 1000, gflop, gflop / counted))
        for (op, t) in byOp.sorted(by: { $0.value > $1.value }) { print(String(format: "  %-14@ %5.1f%%", op, 100 * t / total)) }
    }
}
