import Foundation
import Models
import Tensor
import Training

/// Magenta's pretrained arbitrary stylization (`MagentaNetwork`) as a service model, `magenta`:
/// a painting's 100-d style embedding (cached by the painting's key) conditions the transformer.
/// `alpha` mixes the painting's embedding with the photo's own (Ghiasi et al.'s interpolation
/// between content and style, as Magenta's code does it); stored styles keep their embedding.
public final class MagentaModel: RegistrableStyleModel, @unchecked Sendable {
    public let name = "magenta"
    public let kind = "magenta-arbitrary"
    public let isArbitrary = true
    /// The predictor was trained on 256² paintings; a painting's shorter side is scaled to this.
    public let defaultStyleSize = 256
    public let parameterCount: Int
    public let embeddings: StyleStatisticsCache<[Float]>
    let network: MagentaNetwork
    /// Registered styles: their embeddings.
    private let registered = RegisteredStyles<[Float]>()

    public init(network: MagentaNetwork, embeddings: StyleStatisticsCache<[Float]> = .init()) {
        self.network = network
        self.embeddings = embeddings
        parameterCount = network.parameterCount
    }

    public convenience init(predictFile: URL, transformFile: URL) throws {
        self.init(network: try MagentaNetwork(predictFile: predictFile, transformFile: transformFile))
    }

    public var styles: [StyleInfo] { registered.infos(model: name) }

    public var statisticsCache: (hits: Int, misses: Int, entries: Int)? { embeddings.summary }

    public func embedding(_ painting: StylePainting) throws -> [Float] {
        try embeddings.value(painting.key, bytes: MagentaNetwork.embeddingSize * MemoryLayout<Float>.size) {
            try network.embedding(painting.image)
        }
    }

    public func stylize(_ image: Tensor, spec: StyleSpec) throws -> Tensor {
        var parts: [([Float], Float)]
        switch spec.source {
        case .paintings(let paintings): parts = try paintings.map { (try embedding($0.painting), $0.weight) }
        case .catalogue(let blend):
            parts = try registered.weighted(blend).map { ($0.value, $0.weight) }
        case .seed: throw StyleSpec.unsupported(spec.source, by: self)
        }
        if spec.alpha < 1 {
            // The photo's own embedding, from the photo scaled as a painting would be.
            let own = try network.embedding(ImageTensor.tensor(from: ImageFolder.shorterSide(ImageTensor.image(from: image), defaultStyleSize)))
            parts = parts.map { ($0.0, $0.1 * spec.alpha) } + [(own, 1 - spec.alpha)]
        }
        var e = [Float](repeating: 0, count: MagentaNetwork.embeddingSize)
        for (v, w) in parts { for i in e.indices { e[i] += w * v[i] } }
        return try runPadded(image, toMultipleOf: MagentaNetwork.sizeMultiple) { try network.stylize($0, embedding: e) }
    }

    public func registrationData(for painting: StylePainting) throws -> [String: Tensor] {
        ["embedding": Tensor(shape: [MagentaNetwork.embeddingSize], values: try embedding(painting))]
    }

    public func install(_ id: Int, name: String, data: [String: Tensor]) throws {
        guard let e = data["embedding"], e.count == MagentaNetwork.embeddingSize, e.scalars.allSatisfy(\.isFinite) else {
            throw ServiceError("style \(id) holds no usable Magenta embedding")
        }
        registered.set(id, name: name, value: e.scalars)
    }

    public func remove(_ id: Int) { registered.remove(id) }
}
