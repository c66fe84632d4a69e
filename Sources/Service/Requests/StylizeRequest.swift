import ImageIO

/// Everything a `POST /stylize` asks for, parsed and range-checked from its parameters (query or
/// multipart fields alike) before any image is decoded. Which model and which style ids exist is
/// checked later, against the registry; this type knows no model and no HTTP.
struct StylizeRequest: Equatable {
    /// Where the style comes from.
    enum Styles: Equatable {
        /// `style=3` or `style=3:0.5,12:0.5` (the default model's style 0 when nothing is named).
        case catalogue(StyleBlend)
        /// `mask` + `styles=3,7`: one stored style per mask colour.
        case regions([Int])
        /// `style_image` (repeatable) with `weights`, normalized to sum to 1.
        case paintings(weights: [Float])
        /// `mask` + one `style_image` per mask colour.
        case paintingRegions(count: Int)
        /// `seed=S` (and `samples=N`: seeds S … S+N−1): style codes drawn from N(0, I) (MUNIT).
        /// nil: the service draws a seed and reports it.
        case drawn(seed: UInt64?)
    }

    /// How `samples` > 1 outputs come back.
    enum Layout: String, Equatable { case multipart, grid }

    var styles: Styles
    var model: String?
    var strength: Float = 1
    var preserveColor = false
    /// nil: the service's default.
    var maxSide: Int?
    /// nil: from `Accept`, else the input's format.
    var format: ImageFormat?
    var quality = 90
    /// nil: automatic.
    var feather: Int?
    /// Content–style trade-off of the arbitrary-style models (AdaIN eq. 14); nil: 1.
    var alpha: Float?
    /// Shorter side each painting is scaled to before its statistics are taken; nil: the model's default.
    var styleSize: Int?
    /// How many outputs, each from its own seed (MUNIT).
    var samples = 1
    var layout = Layout.multipart
    /// `direction=b2a`: painting → photo (MUNIT's other generator); nil when not given.
    var reverse: Bool?
    /// Whether any style was named (`style`, `styles`, `style_image`, `seed`): a model that draws
    /// codes draws one when none was.
    var namesStyle = true

    static let textParameters: Set<String> = ["style", "styles", "model", "strength", "preserve_color", "max_size", "format",
                                              "quality", "feather", "alpha", "weights", "style_size",
                                              "seed", "samples", "layout", "direction"]
    static let fileParameters: Set<String> = ["image", "mask", "style_image"]
    /// At most this many paintings in one request (each costs a style encoding).
    static let maxPaintings = 8
    static let styleSizes = 64...1024
    /// Outputs of one request (each a whole stylization).
    static let maxSamples = 16
    /// Seeds stay exact in JSON numbers (2⁵³ − 1).
    static let seeds = 0...9_007_199_254_740_991

    struct Limits { var minSide = 16, maxSideLimit = 4096 }

    /// `paintings`: how many `style_image` files came; `hasMask`: whether a `mask` came.
    init(_ p: RequestParameters, paintings: Int, hasMask: Bool, limits: Limits = Limits()) throws {
        model = p["model"]
        strength = try p.number("strength", in: 0...1) ?? 1
        preserveColor = try p.bool("preserve_color") ?? false
        maxSide = try p.int("max_size", in: limits.minSide...limits.maxSideLimit)
        quality = try p.int("quality", in: 1...100) ?? 90
        feather = try p.int("feather", in: 0...256, what: "an integer (pixels)")
        alpha = try p.number("alpha", in: 0...1)
        styleSize = try p.int("style_size", in: Self.styleSizes, what: "an integer (pixels)")
        if let f = p["format"] {
            switch f.lowercased() {
            case "png": format = .png
            case "jpeg", "jpg": format = .jpeg
            default: throw APIError.badRequest("format must be png or jpeg, not '\(f)'")
            }
        }
        let seed = try p.int("seed", in: Self.seeds).map { UInt64($0) }
        samples = try p.int("samples", in: 1...Self.maxSamples) ?? 1
        if let text = p["layout"] {
            guard let l = Layout(rawValue: text.lowercased()) else { throw APIError.badRequest("layout must be multipart or grid, not '\(text)'") }
            guard samples > 1 else { throw APIError.badRequest("layout arranges several samples; give samples=2 or more") }
            layout = l
        }
        if let d = p["direction"] {
            switch d.lowercased() {
            case "a2b": reverse = false
            case "b2a": reverse = true
            default: throw APIError.badRequest("direction must be a2b (photo → painting) or b2a (painting → photo), not '\(d)'")
            }
        }
        guard paintings <= Self.maxPaintings else {
            throw APIError.badRequest("at most \(Self.maxPaintings) style_image files in one request, not \(paintings)")
        }
        if feather != nil && !hasMask { throw APIError.badRequest("feather softens a mask's borders: send a 'mask' image too") }

        if seed != nil || samples > 1 {
            if paintings > 0 || p["style"] != nil || p["styles"] != nil {
                throw APIError.badRequest("seed= and samples= draw style codes; give them without style=, styles= or style_image", code: "conflicting_styles")
            }
            if hasMask { throw APIError.badRequest("a mask needs a stored style per colour: register seeds with POST /styles?model=munit&seed=S, then styles=N,M") }
            styles = .drawn(seed: seed)
            return
        }
        if paintings > 0 {
            if p["style"] != nil || p["styles"] != nil {
                throw APIError.badRequest("give stored styles (style=, styles=) or paintings (style_image), not both", code: "conflicting_styles")
            }
            if hasMask {
                if p["weights"] != nil { throw APIError.badRequest("with a mask each style_image paints its own region; weights= does not apply") }
                styles = .paintingRegions(count: paintings)
            } else {
                styles = .paintings(weights: try Self.weights(p["weights"], count: paintings))
            }
            return
        }
        if p["weights"] != nil { throw APIError.badRequest("weights= weighs style_image files; none was sent") }
        if styleSize != nil { throw APIError.badRequest("style_size scales a style_image; none was sent") }
        if hasMask {
            if p["style"] != nil { throw APIError.badRequest("with a mask, name one style per mask colour in styles=3,7 (not style=)") }
            guard let text = p["styles"] else { throw APIError.badRequest("a mask needs styles=3,7,… (one style per mask colour), or one style_image per colour") }
            styles = .regions(try Self.regionStyles(text))
        } else {
            if p["styles"] != nil { throw APIError.badRequest("styles= lays styles out by a mask: send a 'mask' image too") }
            namesStyle = p["style"] != nil
            styles = .catalogue(try StyleBlend(parsing: p["style"] ?? "0"))
        }
    }

    /// `weights=0.7,0.3`: one positive weight per painting, normalized; absent: equal weights.
    static func weights(_ text: String?, count: Int) throws -> [Float] {
        guard let text else { return [Float](repeating: 1 / Float(count), count: count) }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == parts.count, values.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw APIError.badRequest("weights must be positive numbers separated by commas, like 0.7,0.3, not '\(text)'")
        }
        guard values.count == count else {
            throw APIError.badRequest("weights has \(values.count) values for \(count) style_image files", code: "weights_mismatch")
        }
        let total = values.reduce(0, +)
        return values.map { $0 / total }
    }

    /// `styles=3,7,12` for a mask: one style id per region, at most `RegionMask.maxRegions`.
    static func regionStyles(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= RegionMask.maxRegions else {
            throw APIError.badRequest("styles must list 1 to \(RegionMask.maxRegions) style ids, like 3,7")
        }
        return try parts.map { part in
            guard let id = Int(part.trimmingCharacters(in: .whitespaces)) else { throw APIError.badRequest("styles: '\(part)' is not a style id") }
            return id
        }
    }

    /// The style ids the request names (to check against the model), in order.
    var styleIDs: [Int] {
        switch styles {
        case .catalogue(let b): return b.weights.keys.sorted()
        case .regions(let ids): return ids
        case .paintings, .paintingRegions, .drawn: return []
        }
    }

    var usesPaintings: Bool {
        switch styles {
        case .paintings, .paintingRegions: return true
        case .catalogue, .regions, .drawn: return false
        }
    }

    /// Whether it asks for what only a model that draws style codes does (seed, samples, direction).
    var usesCodes: Bool {
        if case .drawn = styles { return true }
        return reverse != nil
    }
}
