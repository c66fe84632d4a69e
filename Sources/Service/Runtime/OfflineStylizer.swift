import ImageIO

/// The `/stylize` pipeline without HTTP, for the command line and tests: same parsing of the
/// style blend, same resizing, colour and strength handling.
public struct OfflineStylizer {
    public let registry: ModelRegistry
    public let config: ServiceConfig

    public init(registry: ModelRegistry, config: ServiceConfig) {
        self.registry = registry
        self.config = config
    }

    /// With `seed` (and no `model`, the model that draws style codes), a drawn style code.
    /// With `paintings` (and no `model`, the arbitrary-style model), `style` is ignored: the
    /// paintings, equally weighted, scaled to `styleSize`, with `alpha`.
    public func run(_ image: RGBImage, model modelName: String? = nil, style: String = "0", paintings: [(image: RGBImage, bytes: [UInt8])] = [],
                    alpha: Float = 1, styleSize: Int? = nil, strength: Float = 1,
                    preserveColor: Bool = false, maxSide: Int? = nil, seed: UInt64? = nil) throws -> RGBImage {
        let name = modelName ?? (seed != nil ? registry.models.values.first(where: \.takesSeed)?.name ?? "munit"
                                 : paintings.isEmpty ? nil : registry.defaultArbitraryModel)
        guard let model = registry.model(named: name) else {
            throw APIError.notFound("model '\(name ?? "")' does not exist", code: "unknown_model")
        }
        guard (0...1).contains(strength), (0...1).contains(alpha) else { throw APIError.badRequest("strength and alpha must be from 0 to 1") }
        let spec: StyleSpec
        if let seed {
            guard model.takesSeed else { throw APIError.badRequest("model '\(model.name)' draws no style codes; --seed is for munit", code: "model_takes_no_seed") }
            spec = StyleSpec(.seed(seed))
        } else if paintings.isEmpty {
            spec = StyleSpec(.catalogue(try StyleBlend(parsing: style, validIDs: Set(model.styles.map(\.id))).weights), alpha: alpha)
        } else {
            let w = 1 / Float(paintings.count)
            spec = StyleSpec(.paintings(paintings.map { (AtelierService.painting($0.image, bytes: $0.bytes, styleSize: styleSize ?? model.defaultStyleSize), w) }), alpha: alpha)
        }
        let options = StylizeOptions(model: model, spec: spec, strength: strength,
                                     preserveColor: preserveColor, maxSide: maxSide ?? config.defaultMaxSide)
        return try Stylizer.run(image, options: options, minSide: config.minSide).image
    }
}
