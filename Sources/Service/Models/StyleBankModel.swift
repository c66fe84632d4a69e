import Foundation
import Models
import Tensor
import Training

/// A trained StyleBank as a service model: the built-in styles of `stylebank.safetensors`
/// (written by `atelier train stylebank`; ids and names from its metadata) plus the styles users
/// teach it through `POST /styles`, whose banks are installed while the service runs.
///
/// The network value is swapped under a lock; a stylization takes a snapshot of it, so adding or
/// removing a bank never disturbs a request in flight.
public final class StyleBankModel: StyleModel, @unchecked Sendable {
    public let name = "stylebank"
    public let kind = "stylebank"
    /// encoder.* and decoder.* weights: the fixed auto-encoder new banks are learned against.
    public let autoencoder: [String: Tensor]
    /// Identifies `autoencoder`: a learned bank only works with the auto-encoder it was trained
    /// against, so banks record this and are learned again when the shipped weights change.
    public let autoencoderFingerprint: String
    /// The mean of the built-in banks (`weight`, `gamma`, `beta`): where a new style's bank starts.
    public let meanBank: [String: Tensor]?
    public let builtinIDs: Set<Int>
    /// The loss weights the built-in banks were trained with; new styles are learned with the same.
    public let lossWeights: LossWeights
    /// The shorter side the built-in banks' paintings were scaled to; new styles' are scaled the same.
    public let styleSize: Int
    private let lock = NSLock()
    private var network: StyleBankNetwork
    private var table: [Int: StyleInfo]

    public convenience init(weightsFile: URL) throws {
        let file = try StyleBankExport.read(weightsFile)
        try self.init(weights: file.weights, styles: file.styles.map { ($0.id, $0.name) }, lossWeights: file.lossWeights,
                      styleSize: file.styleSize)
    }

    /// `weights`: encoder.*, decoder.* and bank.<id>.* for every built-in style.
    public init(weights: [String: Tensor], styles: [(id: Int, name: String)],
                lossWeights: LossWeights = LossWeights(StyleBankTrainingConfig()),
                styleSize: Int = StyleBankExport.unrecordedStyleSize) throws {
        self.lossWeights = lossWeights
        self.styleSize = styleSize
        network = try StyleBankNetwork(weights: weights, styles: styles.map(\.id))
        autoencoder = weights.filter { $0.key.hasPrefix("encoder.") || $0.key.hasPrefix("decoder.") }
        autoencoderFingerprint = Self.fingerprint(autoencoder)
        meanBank = styles.isEmpty ? nil : ["weight", "gamma", "beta"].reduce(into: [String: Tensor]()) { mean, part in
            let members = styles.compactMap { weights["bank.\($0.id).\(part)"] }
            mean[part] = scale(members.dropFirst().reduce(members[0], add), by: 1 / Float(members.count))
        }
        builtinIDs = Set(styles.map(\.id))
        table = Dictionary(uniqueKeysWithValues: styles.map { ($0.id, StyleInfo(id: $0.id, name: $0.name, model: "stylebank")) })
    }

    /// FNV-1a (64 bit) over the tensors' names, shapes and float bits, in name order.
    static func fingerprint(_ tensors: [String: Tensor]) -> String {
        var hash = FNV1a()
        for name in tensors.keys.sorted() {
            hash.mix(name.utf8)
            let t = tensors[name]!
            t.shape.forEach { hash.mix32(UInt32($0)) }
            t.withUnsafeBufferPointer { for v in $0 { hash.mix32(v.bitPattern) } }
        }
        return hash.hex
    }

    public var styles: [StyleInfo] { lock.withLock { table.values.sorted { $0.id < $1.id } } }

    public var parameterCount: Int {
        let bankSize = StyleBankArchitecture.featureChannels * StyleBankArchitecture.featureChannels * 9 + 2 * StyleBankArchitecture.featureChannels
        return autoencoder.values.reduce(0) { $0 + $1.count } + lock.withLock { network.banks.count } * bankSize
    }

    public func style(_ id: Int) -> StyleInfo? { lock.withLock { table[id] } }

    /// Lists (or updates) a style; a style that is not `ready` is listed but cannot stylize.
    public func setStyle(_ info: StyleInfo) {
        precondition(!builtinIDs.contains(info.id), "built-in style \(info.id) cannot change")
        lock.withLock { table[info.id] = info }
    }

    /// Installs the learned bank of style `id` (weights `bank.<id>.*`) and marks the style ready.
    public func installBank(_ id: Int, name: String, weights: [String: Tensor]) throws {
        precondition(!builtinIDs.contains(id), "built-in style \(id) cannot change")
        var updated = lock.withLock { network }
        try updated.installBank(id, weights: weights)
        lock.withLock {
            network.banks[id] = updated.banks[id]
            table[id] = StyleInfo(id: id, name: name, model: self.name)
        }
    }

    public func removeStyle(_ id: Int) {
        precondition(!builtinIDs.contains(id), "built-in style \(id) cannot be removed")
        lock.withLock {
            table[id] = nil
            network.banks[id] = nil
        }
    }

    public func stylize(_ image: Tensor, spec: StyleSpec) throws -> Tensor {
        let blend = try spec.catalogue(of: self)
        let snapshot = try network(with: blend.keys.sorted())
        return runPadded(image, toMultipleOf: 4) { snapshot($0, blend: blend) }   // two stride-2 layers, two ×2 upsamplings
    }

    /// Region-specific fusion of the bank responses (Chen et al. §3.3): one encoder/decoder pass,
    /// soft region maps on the feature grid (a quarter of the image's size).
    /// Regions with a blend of styles each are stylized region by region.
    public func stylize(_ image: Tensor, regions: RegionStyles) throws -> Tensor {
        let styles = regions.parts.compactMap(\.singleStyle)
        guard styles.count == regions.parts.count else { return try stylizeRegionByRegion(image, regions: regions) }
        let snapshot = try network(with: styles)
        return runPadded(image, toMultipleOf: 4) { padded in
            let (fh, fw) = (padded.shape[2] / 4, padded.shape[3] / 4)
            let maps = regions.mask.softMaps(width: fw, height: fh, feather: max(1, regions.feather / 4))
            return snapshot(padded, regions: Array(zip(styles, maps)).map { (style: $0.0, weights: $0.1) })
        }
    }

    /// The network as it is now, provided it has a bank for every style in `ids`.
    private func network(with ids: [Int]) throws -> StyleBankNetwork {
        let (snapshot, infos) = lock.withLock { (network, table) }
        for id in ids where snapshot.banks[id] == nil { throw Self.unavailable(infos[id], id: id) }
        return snapshot
    }

    /// The 409 for a style that is listed but cannot stylize (404 once it is gone).
    static func unavailable(_ info: StyleInfo?, id: Int) -> APIError {
        switch info?.status {
        case .training?:
            return APIError(status: 409, code: "style_not_ready",
                            message: "style \(id) is still being learned" + (info?.jobID.map { "; follow GET /jobs/\($0)" } ?? ""))
        case .failed?:
            return APIError(status: 409, code: "style_failed",
                            message: "style \(id) could not be learned: \(info?.error ?? "unknown error"); DELETE /styles/\(id) and try again")
        default:
            return .notFound("style \(id) does not exist", code: "unknown_style")
        }
    }
}
