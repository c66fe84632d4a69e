import Foundation
import Models
import Service
import Tensor

extension ProfileCommand {
    /// Magenta's two imported graphs (`--network magenta`): the style predictor on a 256² painting
    /// and the transformer on a `size`² photo, their time by kind of op (convolutions by kernel,
    /// stride and group, with GFLOP/s), the best of `repeats` runs.
    static func magenta(config: ServiceConfig, size: Int, repeats: Int) throws {
        let files = ["magenta-predict.safetensors", "magenta-transform.safetensors"].map { config.modelsDirectory.appendingPathComponent($0) }
        let network = try MagentaNetwork(predictFile: files[0], transformFile: files[1])
        var rng = SplitMix64(seed: 7)
        let painting = noise([1, 3, 256, 256], &rng), photo = noise([1, 3, size, size], &rng)
        let embedding = try network.embedding(painting)
        try report("style predictor, 256²", repeats: repeats) { observe in _ = try network.embedding(painting, observe: observe) }
        try report("transformer, \(size)²", repeats: repeats) { observe in _ = try network.stylize(photo, embedding: embedding, observe: observe) }
    }

    /// Runs `body` `repeats` + 1 times, keeps each op kind's time from the fastest whole run.
    private static func report(_ title: String, repeats: Int,
                               _ body: (@escaping (QuantizedGraph.Op, [[Int]], Double) -> Void) throws -> Void) rethrows {
        var best: (total: Double, kinds: [String: (seconds: Double, count: Int, gflop: Double)]) = (.infinity, [:])
        for _ in 0...max(1, repeats) {
            var kinds: [String: (seconds: Double, count: Int, gflop: Double)] = [:]
            var total = 0.0
            try body { op, shapes, seconds in
                let (kind, gflop) = describe(op, shapes)
                kinds[kind, default: (0, 0, 0)].seconds += seconds
                kinds[kind, default: (0, 0, 0)].count += 1
                kinds[kind, default: (0, 0, 0)].gflop += gflop
                total += seconds
            }
            if total < best.total { best = (total, kinds) }
        }
        print(String(format: "\n%@: %.1f ms; %@", title, best.total * 1000, peakLine))
        print("op".padding(toLength: 36, withPad: " ", startingAt: 0) + " count      ms   share   GFLOP/s")
        for (kind, v) in best.kinds.sorted(by: { $0.value.seconds > $1.value.seconds }) {
            let rate = v.gflop > 0 ? rateText(v.gflop / v.seconds) : ""
            print(kind.padding(toLength: 36, withPad: " ", startingAt: 0)
                  + String(format: " %5d %7.2f %6.1f%% %@", v.count, v.seconds * 1000, 100 * v.seconds / best.total, rate))
        }
    }

    /// An op's kind for the table and its GFLOP (convolutions only: 2 · outputs · taps per output).
    private static func describe(_ op: QuantizedGraph.Op, _ shapes: [[Int]]) -> (String, Double) {
        switch op {
        case let .conv(_, _, _, _, stride, pads, group):
            guard shapes.count >= 2, shapes[0].count == 4, shapes[1].count == 4 else { return ("conv", 0) }
            let (x, w) = (shapes[0], shapes[1])
            let (kh, kw) = (w[2], w[3])
            let ho = (x[2] + pads[0] + pads[2] - kh) / stride + 1, wo = (x[3] + pads[1] + pads[3] - kw) / stride + 1
            let flop = 2.0 * Double(w[0] * ho * wo * w[1] * kh * kw)
            let name = "\(group == 1 ? "conv" : "depthwise") \(kh)×\(kw) s\(stride)\(pads.contains { $0 != 0 } ? " padded" : "") from \(x[2])×\(x[3])"
            return (name, flop / 1e9)
        case .fakeQuant: return ("fakeQuant", 0)
        case .clip, .relu: return ("clip/relu", 0)
        case .add, .sub, .mul: return ("add/sub/mul", 0)
        case .sigmoid, .sqrt, .reciprocal: return ("sigmoid/sqrt/reciprocal", 0)
        case .globalAveragePool: return ("globalAveragePool", 0)
        case .reflectPad: return ("reflectPad", 0)
        case .upsample: return ("upsample", 0)
        case .reshape, .transpose: return ("reshape/transpose", 0)
        }
    }
}
