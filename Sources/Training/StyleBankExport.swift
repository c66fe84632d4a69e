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

    public static func write(parameters: [String: Tensor], styles: [Style], iteration: Int, to directory: URL, provenance: String) throws {
        let json = String(decoding: try JSONEncoder().encode(styles), as: UTF8.self)
        try SafeTensors.write(parameters, to: directory.appendingPathComponent("stylebank.safetensors"), dtype: .f16,
                              metadata: ["styles": json, "architecture": StyleBankArchitecture.version, "iteration": String(iteration)])
        try AtomicFile.write(Data(provenance.utf8), to: directory.appendingPathComponent("stylebank.provenance.md"))
    }

    /// A file `write` made: its weights, style list and iteration. A file of another architecture
    /// version is refused by name (v1's sigmoid output layer does not fit v2).
    public static func read(_ url: URL) throws -> (weights: [String: Tensor], styles: [Style], iteration: Int) {
        let (tensors, metadata) = try SafeTensors.load(url)
        guard metadata["architecture"] == StyleBankArchitecture.version else {
            throw TrainingError("\(url.lastPathComponent) is \(metadata["architecture"] ?? "of no recorded architecture"), "
                                + "this build runs \(StyleBankArchitecture.version); install the StyleBank weights of this version")
        }
        return (tensors, try styles(metadata: metadata), metadata["iteration"].flatMap(Int.init) ?? 0)
    }

    /// Reads the style list back from an exported file's metadata.
    public static func styles(metadata: [String: String]) throws -> [Style] {
        guard let json = metadata["styles"] else { throw TrainingError("stylebank file has no style list") }
        return try JSONDecoder().decode([Style].self, from: Data(json.utf8))
    }
}
