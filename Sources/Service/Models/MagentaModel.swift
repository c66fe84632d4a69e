import Foundation
import Models
import Tensor

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
    private let lock = NSLock()
    private var registered: [Int: (name: String, embedding: [Float])] = [:]

    public init(network: MagentaNetwork, embeddings: StyleStatisticsCache<[Float]> = .init()) {
        self.network = network
        self.embeddings = embeddings
        parameterCount = network.parameterCount
    }

    public convenience init(predictFile: URL, transformFile: URL) throws {
        self.init(network: try MagentaNetwork(predictFile: predictFile, transformFile: transformFile))
    }

    public var styles: [StyleInfo] {
        lock.withLock { registered.keys.sorted().map { StyleInfo(id: $0, name: registered[$0]!.name, model: name) } }
    }

    public var statisticsCache: (hits: Int, misses: Int, entries: Int)? {
        let c = embeddings.counts
        return (c.hits, c.misses, embeddings.count)
    }

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
            let table = lock.withLock { registered }
            parts = try blend.keys.sorted().map { id in
                guard let style = table[id] else { throw APIError.notFound("style \(id) does not exist", code: "unknown_style") }
                return (style.embedding, blend[id]!)
            }
        }
        if spec.alpha < 1 {
            // The photo's own embedding, from the photo scaled as a painting would be.
            let own = try network.embedding(Self.scaled(image, shorterSide: defaultStyleSize))
            parts = parts.map { ($0.0, $0.1 * spec.alpha) } + [(own, 1 - spec.alpha)]
        }
        var e = [Float](repeating: 0, count: MagentaNetwork.embeddingSize)
        for (v, w) in parts { for i in e.indices { e[i] += w * v[i] } }
        return try runPaddedThrowing(image, toMultipleOf: MagentaNetwork.sizeMultiple) { try network.stylize($0, embedding: e) }
    }

    static func scaled(_ image: Tensor, shorterSide side: Int) -> Tensor {
        let rgb = ImageTensor.image(from: image)
        let s = Double(side) / Double(min(rgb.width, rgb.height))
        return ImageTensor.tensor(from: rgb.resized(width: max(1, Int((Double(rgb.width) * s).rounded())), height: max(1, Int((Double(rgb.height) * s).rounded()))))
    }

    public func registrationData(for painting: StylePainting) throws -> [String: Tensor] {
        ["embedding": Tensor(shape: [MagentaNetwork.embeddingSize], values: try embedding(painting))]
    }

    public func install(_ id: Int, name: String, data: [String: Tensor]) throws {
        guard let e = data["embedding"], e.count == MagentaNetwork.embeddingSize, e.scalars.allSatisfy(\.isFinite) else {
            throw ServiceError("style \(id) holds no usable Magenta embedding")
        }
        lock.withLock { registered[id] = (name, e.scalars) }
    }

    public func remove(_ id: Int) { _ = lock.withLock { registered.removeValue(forKey: id) } }
}

/// `runPadded` for a network that can fail.
func runPaddedThrowing(_ image: Tensor, toMultipleOf m: Int, _ network: (Tensor) throws -> Tensor) throws -> Tensor {
    var failure: Error?
    let out = runPadded(image, toMultipleOf: m) { x in
        do { return try network(x) } catch { failure = error; return x }
    }
    if let failure { throw failure }
    return out
}
