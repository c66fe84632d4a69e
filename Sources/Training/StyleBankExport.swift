import Foundation
import Models
import Tensor

/// Writes a trained StyleBank for serving: weights in F16 safetensors (`stylebank.safetensors`)
/// with the style list in its metadata, and a provenance file beside it.
public enum StyleBankExport {
    public struct Style: Codable, Sendable {
        public let id: Int
        public let name: String
        public let source: String
        public init(id: Int, name: String, source: String) { (self.id, self.name, self.source) = (id, name, source) }
    }

    /// The style size of files written before it was recorded.
    public static let unrecordedStyleSize = 384

    /// `lossWeights` and `styleSize`: what the bank was trained with, recorded so that a style
    /// learned later against this auto-encoder weighs content and style, and scales its painting,
    /// as the built-in banks did.
    public static func write(parameters: [String: Tensor], styles: [Style], iteration: Int, lossWeights: LossWeights,
                             styleSize: Int, to directory: URL, provenance: String) throws {
        let json = String(decoding: try JSONEncoder().encode(styles), as: UTF8.self)
        try SafeTensors.write(parameters, to: directory.appendingPathComponent("stylebank.safetensors"), dtype: .f16,
                              metadata: ["styles": json, "architecture": StyleBankArchitecture.version, "iteration": String(iteration),
                                         "loss_weights": lossWeights.description, "style_size": String(styleSize)])
        try AtomicFile.write(Data(provenance.utf8), to: directory.appendingPathComponent("stylebank.provenance.md"))
    }

    /// A file `write` made: its weights, style list, iteration, loss weights and style size (files
    /// written before they were recorded were all trained with the defaults, and at
    /// `unrecordedStyleSize`). A file of another architecture version is refused by name (v1's
    /// sigmoid output layer does not fit v2).
    public static func read(_ url: URL) throws
        -> (weights: [String: Tensor], styles: [Style], iteration: Int, lossWeights: LossWeights, styleSize: Int) {
        let (tensors, metadata) = try SafeTensors.load(url)
        guard metadata["architecture"] == StyleBankArchitecture.version else {
            throw TrainingError("\(url.lastPathComponent) is \(metadata["architecture"] ?? "of no recorded architecture"), "
                                + "this build runs \(StyleBankArchitecture.version); install the StyleBank weights of this version")
        }
        let lossWeights = try metadata["loss_weights"].map { text in
            guard let w = LossWeights(text) else { throw TrainingError("\(url.lastPathComponent) has unreadable loss_weights '\(text)'") }
            return w
        } ?? LossWeights(StyleBankTrainingConfig())
        let styleSize = try metadata["style_size"].map { text in
            guard let side = Int(text), (64...4096).contains(side) else { throw TrainingError("\(url.lastPathComponent) has unreadable style_size '\(text)'") }
            return side
        } ?? unrecordedStyleSize
        return (tensors, try styles(metadata: metadata), metadata["iteration"].flatMap(Int.init) ?? 0, lossWeights, styleSize)
    }

    /// Reads the style list back from an exported file's metadata.
    public static func styles(metadata: [String: String]) throws -> [Style] {
        guard let json = metadata["styles"] else { throw TrainingError("stylebank file has no style list") }
        return try JSONDecoder().decode([Style].self, from: Data(json.utf8))
    }
}

/// The weights of the training losses (content relu4_2, Gram style, total variation, and the
/// optional relu2_2 content term), as a weight file records them: "content=1,style=2.5,tv=0.0001",
/// with ",content_relu2_2=0.5" when that term is on (files without it were trained without it).
public struct LossWeights: Equatable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    public var content: Float, style: Float, tv: Float
    public var shallowContent: Float

    public init(content: Float, style: Float, tv: Float, shallowContent: Float = 0) {
        (self.content, self.style, self.tv, self.shallowContent) = (content, style, tv, shallowContent)
    }
    public init(_ config: StyleBankTrainingConfig) {
        self.init(content: config.contentWeight, style: config.styleWeight, tv: config.tvWeight, shallowContent: config.shallowContentWeight)
    }

    public init?(_ text: String) {
        var values: [String: Float] = [:]
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, let v = Float(kv[1]), v.isFinite, v >= 0 else { return nil }
            values[kv[0]] = v
        }
        guard let c = values.removeValue(forKey: "content"), let s = values.removeValue(forKey: "style"),
              let t = values.removeValue(forKey: "tv") else { return nil }
        let shallow = values.removeValue(forKey: "content_relu2_2") ?? 0
        guard values.isEmpty else { return nil }
        self.init(content: c, style: s, tv: t, shallowContent: shallow)
    }

    public var description: String {
        "content=\(content),style=\(style),tv=\(tv)" + (shallowContent > 0 ? ",content_relu2_2=\(shallowContent)" : "")
    }
}

extension StyleBankTrainingConfig {
    /// The loss weights together (what a weight file records).
    public var lossWeights: LossWeights {
        get { LossWeights(self) }
        set {
            (contentWeight, styleWeight, tvWeight) = (newValue.content, newValue.style, newValue.tv)
            shallowContentWeight = newValue.shallowContent
        }
    }
}
