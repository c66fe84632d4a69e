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

    public func run(_ image: RGBImage, model modelName: String? = nil, style: String, strength: Float = 1,
                    preserveColor: Bool = false, maxSide: Int? = nil) throws -> RGBImage {
        guard let model = registry.model(named: modelName) else {
            throw APIError.notFound("model '\(modelName ?? "")' does not exist", code: "unknown_model")
        }
        guard (0...1).contains(strength) else { throw APIError.badRequest("strength must be from 0 to 1") }
        let blend = try StyleBlend(parsing: style, validIDs: Set(model.styles.map(\.id)))
        let options = StylizeOptions(model: model, blend: blend.weights, strength: strength,
                                     preserveColor: preserveColor, maxSide: maxSide ?? config.defaultMaxSide)
        return try Stylizer.run(image, options: options, minSide: config.minSide).image
    }
}
