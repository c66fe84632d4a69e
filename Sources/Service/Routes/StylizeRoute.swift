import Foundation
import HTTP
import ImageIO

/// `POST /stylize`: parses and validates everything up front (cheap 4xx), then queues the
/// decode → stylize → encode work on the worker pool and answers from the worker.
extension AtelierService {
    func stylize(_ route: RouteRequest, respond: @escaping (HTTPResponse) -> Void) throws {
        let request = route.http
        let q = request.query
        let upload = try Upload(request)
        let input = try upload.image("image", maxPixels: config.maxInputPixels)

        let maskBytes = try upload.files["mask"].map { _ in try upload.image("mask", maxPixels: config.maxInputPixels).bytes }
        let regionText = q["styles"] ?? upload.fields["styles"]
        if maskBytes != nil && (q["style"] ?? upload.fields["style"]) != nil {
            throw APIError.badRequest("with a mask, name one style per mask colour in styles=3,7 (not style=)")
        }
        if maskBytes == nil && regionText != nil { throw APIError.badRequest("styles= lays styles out by a mask: send a 'mask' image too") }
        if maskBytes != nil && regionText == nil { throw APIError.badRequest("a mask needs styles=3,7,… (one style per mask colour)") }
        let styleText = regionText ?? q["style"] ?? upload.fields["style"] ?? "0"
        let model = try model(named: q["model"] ?? upload.fields["model"], forStyles: styleText)
        let validIDs = Set(model.styles.map(\.id))
        var options = StylizeOptions(model: model, blend: [:], maxSide: config.defaultMaxSide)
        var regionStyles: [Int] = []
        if let regionText {
            regionStyles = try Self.parseRegionStyles(regionText, validIDs: validIDs)
        } else {
            options.blend = try StyleBlend(parsing: styleText, validIDs: validIDs).weights
        }
        for id in Set(options.blend.keys).union(regionStyles).sorted() {
            if let info = model.styles.first(where: { $0.id == id }), info.status != .ready { throw StyleBankModel.unavailable(info, id: id) }
        }
        var feather: Int?
        if let f = q["feather"] ?? upload.fields["feather"] {
            guard let v = Int(f), (0...256).contains(v) else { throw APIError.badRequest("feather must be an integer from 0 to 256 (pixels)") }
            feather = v
        }
        if let s = q["strength"] {
            guard let v = Float(s), v >= 0, v <= 1 else { throw APIError.badRequest("strength must be a number from 0 to 1") }
            options.strength = v
        }
        if let p = q["preserve_color"] {
            guard let v = Self.parseBool(p) else { throw APIError.badRequest("preserve_color must be true or false") }
            options.preserveColor = v
        }
        if let m = q["max_size"] {
            guard let v = Int(m), v >= config.minSide, v <= config.maxSideLimit else {
                throw APIError.badRequest("max_size must be an integer from \(config.minSide) to \(config.maxSideLimit)")
            }
            options.maxSide = v
        }
        let format = try Self.outputFormat(query: q["format"], accept: request.headers["Accept"], input: input.format)
        var quality = 90
        if let qs = q["quality"] {
            guard let v = Int(qs), (1...100).contains(v) else { throw APIError.badRequest("quality must be an integer from 1 to 100") }
            quality = v
        }

        let accepted = pool.submit { [self] in
            let response: HTTPResponse
            do {
                let image: RGBImage
                do { image = try ImageCodec.decode(input.bytes, maxPixels: config.maxInputPixels) } catch let e as ImageError {
                    throw Upload.apiError(e, field: "image")
                }
                var options = options
                if let maskBytes {
                    let mask: RegionMask
                    do { mask = try RegionMask(ImageCodec.decode(maskBytes, maxPixels: config.maxInputPixels)) } catch let e as ImageError {
                        throw Upload.apiError(e, field: "mask")
                    }
                    guard mask.colors.count == regionStyles.count else {
                        throw APIError.unprocessable("the mask has \(mask.colors.count) colour regions (\(mask.hexColors.joined(separator: ", ")), in order of first appearance) but styles= names \(regionStyles.count)",
                                                     code: "mask_style_mismatch")
                    }
                    options.regions = (mask, regionStyles, feather)
                }
                let result = try Stylizer.run(image, options: options, minSide: config.minSide)
                metrics.recordInference(seconds: result.inferenceSeconds)
                let body = format == .png ? try ImageCodec.encodePNG(result.image) : try ImageCodec.encodeJPEG(result.image, quality: quality)
                var headers = HTTPHeaders()
                headers.set(name: "X-Inference-Seconds", value: String(format: "%.3f", result.inferenceSeconds))
                headers.set(name: "X-Image-Size", value: "\(result.image.width)x\(result.image.height)")
                response = .bytes(contentType: format == .png ? "image/png" : "image/jpeg", body: body, headers: headers)
            } catch let e as APIError {
                response = e.response
            } catch {
                response = .error(status: 500, code: "internal_error", message: "stylization failed: \(error)")
            }
            respond(response)
        }
        guard accepted else {
            throw APIError(status: 503, code: "queue_full", message: "all \(pool.capacity) queue slots are taken; retry shortly", retryAfter: 2)
        }
    }

    /// The named model; without a name, the model of a learned style (ids from `StyleStore.firstID`,
    /// unique across models) when `style` names only such styles, else the default model.
    func model(named name: String?, forStyles styleText: String) throws -> StyleModel {
        if name == nil, let learning {
            let ids = styleText.split(separator: ",").compactMap { Int($0.split(separator: ":").first ?? "") }
            if !ids.isEmpty, ids.allSatisfy({ $0 >= StyleStore.firstID }) { return learning.model }
        }
        guard let model = registry.model(named: name) else {
            throw APIError.notFound("model '\(name ?? "")' does not exist; GET /models lists them", code: "unknown_model")
        }
        return model
    }

    /// `styles=3,7,12` for a mask: one style id per region, at most `RegionMask.maxRegions`.
    static func parseRegionStyles(_ text: String, validIDs: Set<Int>) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= RegionMask.maxRegions else {
            throw APIError.badRequest("styles must list 1 to \(RegionMask.maxRegions) style ids, like 3,7")
        }
        return try parts.map { part in
            guard let id = Int(part.trimmingCharacters(in: .whitespaces)) else { throw APIError.badRequest("styles: '\(part)' is not a style id") }
            guard validIDs.contains(id) else { throw APIError.notFound("style \(id) does not exist", code: "unknown_style") }
            return id
        }
    }

    static func parseBool(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: return nil
        }
    }

    /// `format` wins; else an `Accept` that names exactly one of our types; else the input's format.
    static func outputFormat(query: String?, accept: String?, input: ImageFormat) throws -> ImageFormat {
        if let query {
            switch query.lowercased() {
            case "png": return .png
            case "jpeg", "jpg": return .jpeg
            default: throw APIError.badRequest("format must be png or jpeg")
            }
        }
        let accepted = (accept ?? "").lowercased()
        let png = accepted.contains("image/png"), jpeg = accepted.contains("image/jpeg")
        if png != jpeg { return png ? .png : .jpeg }
        return input
    }
}
