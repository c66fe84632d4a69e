import Foundation
import Models
import Tensor
import Training

enum TrainingFixtures {
    static var modelsDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["ATELIER_MODELS"] { return URL(fileURLWithPath: dir) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("data/models")
    }

    /// The VGG16 loss network (needs `make weights`).
    static let perceptualLoss: PerceptualLoss = {
        do { return try PerceptualLoss(vggWeights: SafeTensors.load(modelsDirectory.appendingPathComponent("vgg16.safetensors")).tensors) }
        catch { fatalError("\(error): run `make weights` first") }
    }()

    static func image(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = TrainingRandom(seed: seed)
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, values: (0..<count).map { _ in Float(rng.next() % 1000) / 1000 })
    }

    static func weights(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = TrainingRandom(seed: seed)
        return Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(rng.next() % 2001) / 1000 - 1 })
    }

    static func dot(_ a: Tensor, _ b: Tensor) -> Double {
        zip(a.scalars, b.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
}

/// A tally of analytic gradients against central differences, for checks that allow a few
/// disagreements (a ReLU or |·| kink within the step of a coordinate spoils its difference).
struct GradientAgreement {
    let relative: Double, absolute: Double
    private(set) var agreeing = 0, total = 0
    private(set) var report: [String] = []

    init(relative: Double = 2e-2, absolute: Double = 2e-2) { (self.relative, self.absolute) = (relative, absolute) }

    /// Agreement: within max(relative·|numeric|, absolute); the defaults are 2% of max(1, |numeric|).
    mutating func compare(_ analytic: Float, _ numeric: Double, _ what: String) {
        total += 1
        if abs(Double(analytic) - numeric) <= max(relative * abs(numeric), absolute) { agreeing += 1 } else { report.append("\(what): \(analytic) vs \(numeric)") }
    }

    var summary: String { report.joined(separator: "; ") }

    /// ∂loss/∂x at `pixels` random coordinates of x against central differences of step h.
    mutating func compareInputGradient(_ g: Tensor, at x: Tensor, pixels: Int, step h: Float, seed: UInt64, loss: (Tensor) -> Double) {
        var rng = TrainingRandom(seed: seed)
        for _ in 0..<pixels {
            let i = rng.int(x.count)
            var xp = x, xm = x
            xp[i] += h; xm[i] -= h
            compare(g[i], (loss(xp) - loss(xm)) / (2 * Double(h)), "∂x[\(i)]")
        }
    }
}
