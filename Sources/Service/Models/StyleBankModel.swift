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
        // Two stride-2 layers and two ×2 upsamplings: pad to a multiple of 4, crop back.
        let (h, w) = (image.shape[2], image.shape[3])
        let ph = (4 - h % 4) % 4, pw = (4 - w % 4) % 4
        let padded = ph + pw == 0 ? image : pad2d(image, top: 0, bottom: ph, left: 0, right: pw, mode: .reflect)
        let out = network(padded, blend: blend)
        return ph + pw == 0 ? out : crop(out, height: h, width: w)
    }
}
