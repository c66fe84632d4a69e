import Foundation
import Models
import Service
import Tensor
import Training

/// `atelier profile [--network multistyle26|vgg16|stylebank-backward|stylebank-learn] [--size 1024]`:
/// where a network's time goes, op by op, with the convolutions' GFLOP/s, so kernel work can aim at
/// the biggest share. `stylebank-backward` times the two gradients of every StyleBank convolution
/// that a training step computes (at `--size` crops, e.g. 128); the VGG loss runs `vgg16`'s shapes.
/// `stylebank-learn` times the phases of one step of learning a new style (`POST /styles`, e.g. at
/// 192) with the installed weights.
enum ProfileCommand {
    static func run(_ args: ArraySlice<String>) throws {
        let a = try Arguments(args, flagNames: [])
        try a.checkKnown(["size", "models", "data", "repeats", "network"])
        let config = ServiceSetup.config(a)
        let size = try a.int("size") ?? 1024
        let repeats = try a.int("repeats") ?? 3
        switch a.options["network"] ?? "multistyle26" {
        case "multistyle26": try multistyle26(config: config, size: size, repeats: repeats)
        case "vgg16": try vgg16(config: config, size: size, repeats: repeats)
        case "stylebank-backward": stylebankBackward(size: size, repeats: repeats)
        case "stylebank-learn": try stylebankLearn(config: config, size: size, repeats: repeats)
        case let other: throw CLIError("unknown network \(other): multistyle26, vgg16, stylebank-backward or stylebank-learn")
        }
    }

    typealias Row = (name: String, op: String, seconds: Double, gflop: Double)

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
        report(rows, title: "vgg16 to relu4_3 at \(size)²", repeats: repeats)
    }

    static func multistyle26(config: ServiceConfig, size: Int, repeats: Int) throws {
        let net = try MultiStyleNetwork(weights: SafeTensors.load(config.modelsDirectory.appendingPathComponent("multistyle26.safetensors")).tensors)
        var weights = [Float](repeating: 0, count: 26)
        weights[3] = 1
        var rows: [Row] = []
        func time<T>(_ body: () -> T) -> (T, Double) { Self.time(repeats, body) }
        func layer(_ name: String, _ l: ConditionalConvLayer, _ x: Tensor) -> Tensor {
            var h = x
            if l.upsample { let (u, t) = time { upsampleNearest(h, factor: 2) }; h = u; rows.append((name, "upsample", t, 0)) }
            let p = l.conv.kernelH / 2
            let (padded, tp) = time { pad2d(h, top: p, bottom: p, left: p, right: p, mode: .reflect) }
            rows.append((name, "pad", tp, 0))
            let (y, tc) = time { l.conv(padded) }
            let flop = 2.0 * Double(y.count) * Double(l.conv.inChannels * l.conv.kernelH * l.conv.kernelW)
            rows.append((name, "conv \(l.conv.kernelH)×\(l.conv.kernelW)/\(l.conv.stride) \(l.conv.inChannels)→\(l.conv.outChannels)", tc, flop / 1e9))
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
        report(rows, title: "multistyle26 at \(size)²", repeats: repeats)
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
        report(rows, title: "stylebank backward at \(size)²", repeats: repeats)
    }

    /// The phases of `StyleBankTrainer.stylizingLossAndGradients` with the auto-encoder frozen, in
    /// the order they run, on a random `size`² crop.
    static func stylebankLearn(config: ServiceConfig, size: Int, repeats: Int) throws {
        let models = config.modelsDirectory
        let file = try StyleBankExport.read(models.appendingPathComponent("stylebank.safetensors"))
        let sb = file.weights
        // The bank's recorded loss weights, as a job learning a new style against it uses them.
        var tc = StyleBankTrainingConfig()
        (tc.cropSize, tc.batchSize, tc.lossWeights) = (size, 1, file.lossWeights)
        let contentLayers = tc.contentTerms.map(\.layer)
        let loss = try PerceptualLoss(vggWeights: SafeTensors.load(models.appendingPathComponent("vgg16.safetensors")).tensors)
        let architecture = StyleBankArchitecture(weights: sb)
        let bank = [LayerSpec.conv(StyleBankArchitecture.bank(0))]
        var rng = SplitMix64(seed: 1)
        let x = Tensor(shape: [1, 3, size, size], values: (0..<3 * size * size).map { _ in Float(rng.next() >> 40) / 0x1p24 })
        let targets = loss.styleTargets(x)
        var rows: [Row] = []
        func phase<T>(_ name: String, _ body: () -> T) -> T {
            let (r, t) = time(repeats, body)
            rows.append((name, "phase", t, 0))
            return r
        }
        let enc = phase("encoder") { ChainTraining.forward(architecture.encoder, sb, x) }
        let bnk = phase("bank") { ChainTraining.forward(bank, sb, enc.output) }
        let dec = phase("decoder") { ChainTraining.forward(architecture.decoder, sb, bnk.output) }
        let content = phase("vgg target") { loss.forward(x, layers: Set(contentLayers)) }.features
        let vggY = phase("vgg output") { loss.forward(dec.output, layers: Set(PerceptualLoss.styleLayers + contentLayers)) }
        let (grads, tv) = phase("losses") {   // content, Gram and TV terms with their gradients, as a step computes them
            var g = PerceptualLoss.styleLayers.reduce(into: [String: Tensor]()) { g, layer in
                g[layer] = styleLoss(features: vggY.features[layer]!, targetGram: targets[layer]!).gradient
            }
            for layer in contentLayers {
                let c = mseLoss(vggY.features[layer]!, content[layer]!).gradient
                g[layer] = g[layer].map { add($0, c) } ?? c
            }
            return (g, totalVariationLoss(dec.output).gradient)
        }
        let gy = phase("vgg ∂x") { add(loss.backward(vggY, featureGradients: grads), tv) }
        var sink: [String: Tensor] = [:]
        let gBank = phase("decoder ∂x") {
            ChainTraining.backward(architecture.decoder, sb, dec, gradOutput: gy, inputGradient: true, weightGradients: false, into: &sink)!
        }
        _ = phase("bank ∂w") { ChainTraining.backward(bank, sb, bnk, gradOutput: gBank, inputGradient: false, into: &sink) }
        report(rows, title: "one new-style step at \(size)²", repeats: repeats)

        // The whole step as a job runs it (crop, phases, Adam), timed over consecutive steps:
        // allocation and cache effects the best-of phases above hide show up here.
        let trainer = StyleBankTrainer.newStyle(autoencoder: sb, styleID: 0, styleImage: x, loss: loss, config: tc, initialBank: nil)
        let photos = ImageFolder(images: [ImageTensor.image(from: x)])
        trainer.step(photos)
        let steps = max(repeats, 3), start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { trainer.step(photos) }
        print(String(format: "whole step (mean of %d consecutive): %.1f ms", steps, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(steps)))
    }

    static func report(_ rows: [Row], title: String, repeats: Int) {
        let total = rows.reduce(0) { $0 + $1.seconds }
        print("\(title), kernels \(GEMM.variant), \(Parallel.maxThreads) threads; best of \(repeats) per op")
        for r in rows {
            let rate = r.gflop > 0 ? String(format: "%7.1f GFLOP/s", r.gflop / r.seconds) : ""
            print(String(format: "%-10@ %-28@ %8.2f ms %5.1f%%  %@", r.name, r.op, r.seconds * 1000, 100 * r.seconds / total, rate))
        }
        var byOp: [String: Double] = [:]
        for r in rows { byOp[r.op.hasPrefix("conv") ? "conv" : r.op, default: 0] += r.seconds }
        let gflop = rows.reduce(0) { $0 + $1.gflop }
        guard gflop > 0 else { return print(String(format: "total %.1f ms", total * 1000)) }   // phases, not ops
        print(String(format: "total %.1f ms; conv %.1f GFLOP at %.1f GFLOP/s overall", total * 1000, gflop, gflop / (byOp["conv"] ?? 1)))
        for (op, t) in byOp.sorted(by: { $0.value > $1.value }) { print(String(format: "  %-14@ %5.1f%%", op, 100 * t / total)) }
    }
}
