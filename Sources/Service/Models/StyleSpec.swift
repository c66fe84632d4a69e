import Tensor

/// A painting sent with a request, ready for a model's style encoder.
public struct StylePainting {
    /// [1, 3, H, W] RGB 0…1, already scaled to the requested style size.
    public let image: Tensor
    /// Identifies the painting and its scale (a hash of the uploaded bytes and the style size):
    /// the key under which its style statistics are cached.
    public let key: String
    public init(image: Tensor, key: String) { (self.image, self.key) = (image, key) }
}

/// What a stylization asks of a model, independent of HTTP: which style, and how much of it.
public struct StyleSpec {
    public enum Source {
        /// The model's stored styles by id; weights positive, summing to 1.
        case catalogue([Int: Float])
        /// Paintings sent with the request, with weights summing to 1 (arbitrary-style models).
        case paintings([(painting: StylePainting, weight: Float)])
        /// A style code drawn from N(0, I) by this seed (multimodal models: MUNIT).
        case seed(UInt64)
    }
    public var source: Source
    /// Content–style trade-off of the arbitrary-style models, 0…1 (AdaIN eq. 14); 1 = full style.
    public var alpha: Float = 1
    /// For two-domain translation models (MUNIT): translate the other way, from the style
    /// domain to the photo domain (`direction=b2a`).
    public var reverse = false

    public init(_ source: Source, alpha: Float = 1, reverse: Bool = false) { (self.source, self.alpha, self.reverse) = (source, alpha, reverse) }
    public static func style(_ id: Int) -> StyleSpec { StyleSpec(.catalogue([id: 1])) }

    /// The stored-style blend, for models that have no other kind of style.
    func catalogue(of model: StyleModel) throws -> [Int: Float] {
        guard case .catalogue(let blend) = source else { throw Self.unsupported(source, by: model) }
        return blend
    }

    /// The 400 for a kind of style `model` does not take.
    static func unsupported(_ source: Source, by model: StyleModel) -> APIError {
        switch source {
        case .seed: return APIError.badRequest("model '\(model.name)' has no style codes to draw; seed= needs model=munit", code: "model_takes_no_seed")
        default: return APIError.badRequest("model '\(model.name)' stylizes with its own styles only; style_image needs model=adain, magenta or munit",
                                            code: "model_takes_no_style_image")
        }
    }

    /// The single stored style this spec names, if that is all it is.
    var singleStyle: Int? {
        if case .catalogue(let blend) = source, blend.count == 1 { return blend.keys.first }
        return nil
    }
}
