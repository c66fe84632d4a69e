import Foundation
import Models
import Tensor

/// A trained StyleBank (`stylebank.safetensors`, written by `atelier train stylebank`) as a
/// service model. Style ids and names come from the file's metadata.
public final class StyleBankModel: StyleModel, @unchecked Sendable {
    public let name = "stylebank"
    public let kind = "stylebank"
    public let styles: [StyleInfo]
    public let parameterCount: Int
    private let network: StyleBankNetwork

    public init(weightsFile: URL) throws {
        let (tensors, metadata) = try SafeTensors.load(weightsFile)
        struct Entry: Decodable { let id: Int; let name: String }
        guard let json = metadata["styles"], let entries = try? JSONDecoder().decode([Entry].self, from: Data(json.utf8)) else {
            throw ServiceError("\(weightsFile.lastPathComponent) has no style list in its metadata")
        }
        network = try StyleBankNetwork(weights: tensors, styles: entries.map(\.id))
        parameterCount = tensors.values.reduce(0) { $0 + $1.count }
        styles = entries.map { StyleInfo(id: $0.id, name: $0.name, model: "stylebank", status: "ready") }
    }

    public func stylize(_ image: Tensor, blend: [Int: Float]) -> Tensor {
        runPadded(image, toMultipleOf: 4) { network($0, blend: blend) }   // two stride-2 layers, two ×2 upsamplings
    }
}
