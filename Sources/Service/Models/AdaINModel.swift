import Foundation
import Models
import Tensor
import Training

/// AdaIN (Huang & Belongie 2017) as a service model: any painting sent with the photo, no
/// training wait. The decoder is the one `atelier train adain` trained (`adain-decoder.safetensors`),
/// the encoder our VGG16 to relu4_1. A painting's relu4_1 μ/σ are cached by its key, so a
/// second request with the same painting runs one encoding and one decoding.
public final class AdaINModel: RegistrableStyleModel, @unchecked Sendable {
    public let name = "adain"
    public let kind = "adain"
    public let isArbitrary = true
    /// Paintings are scaled to 256 px on the shorter side unless `style_size` says otherwise, as
    /// Magenta's are. The paper tests at 512; on the held-out pairs (`atelier eval-arbitrary
    /// --style-size`, 384² outputs, decoder at 17,200) 256 brought the mean style distance from
    /// 1.222 to 1.004 (content loss 10.4 → 12.6), the marks looked more like the painting's at
    /// 512² outputs, and a new painting's encoding costs a quarter (docs/training.md).
    public static let paintingSide = 256
    public var defaultStyleSize: Int { Self.paintingSide }
    public let parameterCount: Int
    /// The decoder's training iteration (from its file).
    public let iteration: Int
    public let statistics: StyleStatisticsCache<ChannelMoments>
    let network: AdaINNetwork
    /// Registered styles: their relu4_1 statistics.
    private let registered = RegisteredStyles<ChannelMoments>()

    public convenience init(vggFile: URL, decoderFile: URL, statistics: StyleStatisticsCache<ChannelMoments> = .init()) throws {
        let decoder = try AdaINExport.read(decoderFile)
        try self.init(vggWeights: SafeTensors.load(vggFile).tensors, decoderWeights: decoder.weights, iteration: decoder.iteration,
                      statistics: statistics)
    }

    public init(vggWeights: [String: Tensor], decoderWeights: [String: Tensor], iteration: Int = 0,
                statistics: StyleStatisticsCache<ChannelMoments> = .init()) throws {
        network = try AdaINNetwork(vggWeights: vggWeights, decoderWeights: decoderWeights)
        let encoderNames = Set(VGG16.layers.prefix(through: VGG16.layers.firstIndex(of: AdaINArchitecture.encoderLayer)!)
            .filter { $0 != "pool" }.flatMap { ["\($0).weight", "\($0).bias"] })
        parameterCount = AdaINArchitecture.parameterNames.reduce(0) { $0 + decoderWeights[$1]!.count }
            + vggWeights.filter { encoderNames.contains($0.key) }.values.reduce(0) { $0 + $1.count }
        self.iteration = iteration
        self.statistics = statistics
    }

    public var statisticsCache: (hits: Int, misses: Int, entries: Int)? { statistics.summary }

    /// Stored AdaIN styles come with `POST /styles?model=adain`; none are built in.
    public var styles: [StyleInfo] { registered.infos(model: name) }

    public func registrationData(for painting: StylePainting) -> [String: Tensor] {
        let m = moments(painting)
        return ["relu4_1.mean": Tensor(shape: [m.count], values: m.mean), "relu4_1.std": Tensor(shape: [m.count], values: m.std)]
    }

    public func install(_ id: Int, name: String, data: [String: Tensor]) throws {
        let c = AdaINArchitecture.featureChannels
        guard let mean = data["relu4_1.mean"], let std = data["relu4_1.std"], mean.count == c, std.count == c,
              std.scalars.allSatisfy({ $0.isFinite && $0 > 0 }), mean.scalars.allSatisfy(\.isFinite) else {
            throw ServiceError("style \(id) holds no usable AdaIN statistics")
        }
        registered.set(id, name: name, value: ChannelMoments(mean: mean.scalars, std: std.scalars))
    }

    public func remove(_ id: Int) { registered.remove(id) }

    /// relu4_1 μ/σ of a painting, from the cache when it has them.
    public func moments(_ painting: StylePainting) -> ChannelMoments {
        statistics.value(painting.key, bytes: 2 * AdaINArchitecture.featureChannels * MemoryLayout<Float>.size) {
            network.styleMoments(painting.image)
        }
    }

    public func stylize(_ image: Tensor, spec: StyleSpec) throws -> Tensor {
        let target: ChannelMoments
        switch spec.source {
        case .paintings(let parts):
            target = ChannelMoments.blend(parts.map { (moments($0.painting), $0.weight) })
        case .catalogue(let blend):
            target = ChannelMoments.blend(try registered.weighted(blend).map { ($0.value, $0.weight) })
        case .seed: throw StyleSpec.unsupported(spec.source, by: self)
        }
        // Three poolings: the decoder gives back a multiple of 8; reflect-pad to one and crop.
        return runPadded(image, toMultipleOf: AdaINArchitecture.downsampling) { network.stylize($0, style: target, alpha: spec.alpha) }
    }
}
