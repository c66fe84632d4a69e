import Foundation
import Models
import Tensor
import Training

/// MUNIT (Huang et al. 2018) as a service model, `munit`: the photo's content code decoded with a
/// style code of the painting domain, so one photo gives many different paintings. The code is
/// drawn from N(0, I) by a seed (the same seed, the same output), taken from an example painting
/// by the style encoder (cached by the painting's key), or a stored style's (`POST /styles?model=munit`
/// with a seed or a painting); blends interpolate codes. `reverse` translates a painting back
/// to a photo with the other generator.
public final class MUNITModel: RegistrableStyleModel, @unchecked Sendable {
    public let name = "munit"
    public let kind = "munit"
    public let isArbitrary = true
    public let takesSeed = true
    /// The size the generators were trained at (shorter side 256, 128² crops): a painting's
    /// shorter side is scaled to this for its style code.
    public let defaultStyleSize = 256
    public let parameterCount: Int
    public let iteration: Int
    public let codes: StyleStatisticsCache<[Float]>
    let photoGenerator: MUNITGenerator, paintingGenerator: MUNITGenerator
    private let registered = RegisteredStyles<[Float]>()

    public init(photo: MUNITGenerator, painting: MUNITGenerator, iteration: Int, codes: StyleStatisticsCache<[Float]> = .init()) {
        (photoGenerator, paintingGenerator, self.iteration, self.codes) = (photo, painting, iteration, codes)
        parameterCount = photo.parameterCount + painting.parameterCount
    }

    public convenience init(weightsFile: URL) throws {
        let file = try MUNITExport.read(weightsFile)
        self.init(photo: file.a, painting: file.b, iteration: file.iteration)
    }

    var styleDimension: Int { photoGenerator.architecture.styleDimension }

    public var styles: [StyleInfo] { registered.infos(model: name) }
    public var statisticsCache: (hits: Int, misses: Int, entries: Int)? { codes.summary }

    /// The style code of an example image, in the target domain's style space.
    func code(_ painting: StylePainting, reverse: Bool) -> [Float] {
        let generator = reverse ? photoGenerator : paintingGenerator
        return codes.value(painting.key + (reverse ? "/photo" : ""), bytes: styleDimension * MemoryLayout<Float>.size) {
            generator.encodeStyle(painting.image).scalars
        }
    }

    public func stylize(_ image: Tensor, spec: StyleSpec) throws -> Tensor { try stylize(image, specs: [spec])[0] }

    /// Several styles of one photo (`samples`) encode its content once.
    public func stylize(_ image: Tensor, specs: [StyleSpec]) throws -> [Tensor] {
        guard let reverse = specs.first?.reverse, specs.allSatisfy({ $0.reverse == reverse }) else {
            return try specs.map { try stylize(image, specs: [$0])[0] }
        }
        let codes = try specs.map(styleCode)
        let (source, target) = reverse ? (paintingGenerator, photoGenerator) : (photoGenerator, paintingGenerator)
        return runPaddedEach(image, toMultipleOf: 1 << photoGenerator.architecture.downsampling) { x in
            let content = source.encodeContent(x)
            return codes.map { target.decode(content: content, style: Tensor(shape: [1, styleDimension], values: $0)) }
        }
    }

    /// The style code a spec names: drawn by seed, an example's, a stored one, or their weighted mean.
    func styleCode(_ spec: StyleSpec) throws -> [Float] {
        let parts: [([Float], Float)]
        switch spec.source {
        case .seed(let seed): parts = [(MUNITImages.randomStyle(seed: seed, dimension: styleDimension).scalars, 1)]
        case .paintings(let paintings): parts = paintings.map { (code($0.painting, reverse: spec.reverse), $0.weight) }
        case .catalogue(let blend): parts = try registered.weighted(blend).map { ($0.value, $0.weight) }
        }
        var s = [Float](repeating: 0, count: styleDimension)
        for (v, w) in parts { for i in s.indices { s[i] += w * v[i] } }
        return s
    }

    public func registrationData(for painting: StylePainting) throws -> [String: Tensor] {
        ["code": Tensor(shape: [styleDimension], values: code(painting, reverse: false))]
    }

    public func registrationData(seed: UInt64) throws -> [String: Tensor] {
        ["code": MUNITImages.randomStyle(seed: seed, dimension: styleDimension).reshaped([styleDimension])]
    }

    public func install(_ id: Int, name: String, data: [String: Tensor]) throws {
        guard let c = data["code"], c.count == styleDimension, c.scalars.allSatisfy(\.isFinite) else {
            throw ServiceError("style \(id) holds no usable MUNIT style code")
        }
        registered.set(id, name: name, value: c.scalars)
    }

    public func remove(_ id: Int) { registered.remove(id) }
}
