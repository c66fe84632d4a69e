import Models
import Tensor

/// A style the service can apply, as listed by `GET /styles`.
public struct StyleInfo: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case ready, training, failed }

    public let id: Int
    public let name: String
    public let model: String
    public var status: Status
    /// For a style being learned: the job training it (`GET /jobs/{id}`).
    public var jobID: String?
    /// For a style whose training failed: why.
    public var error: String?

    public init(id: Int, name: String, model: String, status: Status = .ready, jobID: String? = nil, error: String? = nil) {
        (self.id, self.name, self.model, self.status, self.jobID, self.error) = (id, name, model, status, jobID, error)
    }

    enum CodingKeys: String, CodingKey { case id, name, model, status, error, jobID = "job_id" }
}

/// A network that stylizes with its stored styles (one or a weighted blend) and, for the
/// arbitrary-style models, with paintings sent in the request (`StyleSpec`).
/// Implementations are safe to call from several threads; a model whose styles can change
/// (StyleBank learning new banks) changes them atomically.
public protocol StyleModel: AnyObject, Sendable {
    var name: String { get }
    /// What kind of network this is ("conditional-instance-norm", "stylebank", "adain", …).
    var kind: String { get }
    var styles: [StyleInfo] { get }
    var parameterCount: Int { get }
    /// Whether it takes paintings with the request (`style_image`) and `alpha`.
    var isArbitrary: Bool { get }
    /// Whether it draws style codes from a seed (`seed=`, `samples=`: MUNIT).
    var takesSeed: Bool { get }
    /// The shorter side a painting is scaled to when the request names no `style_size`.
    var defaultStyleSize: Int { get }
    /// Its style-statistics cache's hits, misses and entries, for a model that keeps one.
    var statisticsCache: (hits: Int, misses: Int, entries: Int)? { get }
    /// `image`: [1, 3, H, W] RGB in 0…1, any H and W of at least 16. Returns the stylized image,
    /// same shape, 0…1. Throws an `APIError` when a style cannot be used (not ready, removed
    /// meanwhile, or a kind of style this model does not take).
    func stylize(_ image: Tensor, spec: StyleSpec) throws -> Tensor
    /// One output per spec, the same as stylizing with each; a model may share work between them
    /// (MUNIT encodes the photo's content once for all its samples).
    func stylize(_ image: Tensor, specs: [StyleSpec]) throws -> [Tensor]
    /// Region-wise styling from a mask (see `RegionStyles`); styles already checked to exist.
    func stylize(_ image: Tensor, regions: RegionStyles) throws -> Tensor
}

/// Region-wise styling: mask region i (`RegionMask` order) gets `parts[i]`, with borders
/// feathered over about `feather` pixels of the image being stylized.
public struct RegionStyles {
    let mask: RegionMask
    let parts: [StyleSpec]
    var feather: Int

    /// The default feather: 1.5% of the image's shorter side (15 px at 1024), at least 2 px.
    static func automaticFeather(width: Int, height: Int) -> Int { max(2, Int((0.015 * Double(min(width, height))).rounded())) }
}

extension StyleModel {
    public var isArbitrary: Bool { false }
    public var takesSeed: Bool { false }
    public var defaultStyleSize: Int { 512 }
    public var statisticsCache: (hits: Int, misses: Int, entries: Int)? { nil }

    public func stylize(_ image: Tensor, specs: [StyleSpec]) throws -> [Tensor] { try specs.map { try stylize(image, spec: $0) } }

    /// Region-wise styling for any model: stylize once per region's style and blend the outputs
    /// with the soft region maps. (StyleBank overrides this with fusion of its bank responses.)
    public func stylize(_ image: Tensor, regions: RegionStyles) throws -> Tensor {
        try stylizeRegionByRegion(image, regions: regions)
    }

    func stylizeRegionByRegion(_ image: Tensor, regions: RegionStyles) throws -> Tensor {
        let (h, w) = (image.shape[2], image.shape[3])
        let maps = regions.mask.softMaps(width: w, height: h, feather: regions.feather)
        var out: Tensor?
        for (spec, map) in zip(regions.parts, maps) {
            let part = modulate(try stylize(image, spec: spec), by: map)
            out = out.map { add($0, part) } ?? part
        }
        return out!
    }
}

/// A model whose new styles are made from a painting at once, with no training job: what it
/// takes from the painting (AdaIN's μ/σ, an embedding) is stored as tensors and installed under
/// an id, and the style is `ready` at once (`POST /styles?model=adain`).
public protocol RegistrableStyleModel: StyleModel {
    /// The tensors to store for a painting (already scaled to its style size), which `install` takes back.
    func registrationData(for painting: StylePainting) throws -> [String: Tensor]
    /// The tensors to store for a style drawn from a seed (models that `takesSeed`).
    func registrationData(seed: UInt64) throws -> [String: Tensor]
    /// Serves a stored style under `id`; throws when `data` is not this model's.
    func install(_ id: Int, name: String, data: [String: Tensor]) throws
    func remove(_ id: Int)
}

extension RegistrableStyleModel {
    public func registrationData(seed: UInt64) throws -> [String: Tensor] {
        throw StyleSpec.unsupported(.seed(seed), by: self)
    }
}
