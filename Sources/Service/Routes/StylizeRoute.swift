import Foundation
import HTTP
import ImageIO
import Models
import Training

/// `POST /stylize`: parses and validates everything up front (cheap 4xx), then queues the
/// decode → stylize → encode work on the worker pool and answers from the worker.
extension AtelierService {
    func stylize(_ route: RouteRequest, respond: @escaping (HTTPResponse) -> Void) throws {
        let upload = try StylizeUpload(route.http, maxInputPixels: config.maxInputPixels,
                                       limits: .init(minSide: config.minSide, maxSideLimit: config.maxSideLimit))
        let (input, maskBytes, paintings) = (upload.input, upload.maskBytes, upload.paintings)
        var request = upload.request
        let model = try model(for: request)
        if model.takesSeed && !request.namesStyle { request.styles = .drawn(seed: nil) }   // draw one and say which
        let validIDs = Set(model.styles.map(\.id))
        for id in request.styleIDs {
            guard let info = model.styles.first(where: { $0.id == id }) else {
                throw APIError.notFound("style \(id) does not exist" + (validIDs.isEmpty ? "; model \(model.name) has no stored styles" : ""), code: "unknown_style")
            }
            if info.status != .ready { throw StyleBankModel.unavailable(info, id: id) }
        }
        for (i, p) in paintings.enumerated() {
            let size = try ImageCodec.probe(p.bytes)
            guard min(size.width, size.height) >= Self.minPaintingSide else {
                throw APIError.unprocessable("style_image \(i + 1) is \(size.width)×\(size.height); a painting needs at least \(Self.minPaintingSide) pixels on each side",
                                             code: "image_too_small")
            }
        }
        let format = request.format ?? Self.outputFormat(accept: route.http.headers["Accept"], input: input.format)
        let styleSize = request.styleSize ?? model.defaultStyleSize
        var options = StylizeOptions(model: model, spec: StyleSpec(.catalogue([:]), alpha: request.alpha ?? 1, reverse: request.reverse ?? false),
                                     maxSide: request.maxSide ?? config.defaultMaxSide)
        options.strength = request.strength
        options.preserveColor = request.preserveColor

        let accepted = pool.submit { [self] in
            let response: HTTPResponse
            do {
                let image = try Self.decode(input.bytes, field: "image", maxPixels: config.maxInputPixels)
                let decodedPaintings = try paintings.map { p in
                    try Self.painting(Self.decode(p.bytes, field: "style_image", maxPixels: config.maxInputPixels), bytes: p.bytes, styleSize: styleSize)
                }
                var options = options
                let (alpha, reverse) = (options.spec.alpha, request.reverse ?? false)
                var seeds: [UInt64] = []
                switch request.styles {
                case .catalogue(let blend): options.spec = StyleSpec(.catalogue(blend.weights), alpha: alpha, reverse: reverse)
                case .paintings(let weights):
                    options.spec = StyleSpec(.paintings(zip(decodedPaintings, weights).map { (painting: $0.0, weight: $0.1) }), alpha: alpha, reverse: reverse)
                case .drawn(let seed):
                    let first = seed ?? UInt64.random(in: 0...UInt64(StylizeRequest.seeds.upperBound - StylizeRequest.maxSamples))
                    seeds = (0..<request.samples).map { first + UInt64($0) }
                case .regions(let ids):
                    options.regions = try region(maskBytes!, ids.map { StyleSpec(.catalogue([$0: 1]), alpha: alpha, reverse: reverse) }, request.feather)
                case .paintingRegions:
                    options.regions = try region(maskBytes!, decodedPaintings.map { StyleSpec(.paintings([(painting: $0, weight: Float(1))]), alpha: alpha, reverse: reverse) }, request.feather)
                }
                // One output per seed (samples), else the one the spec names.
                let outputs: [StylizeOutput]
                if seeds.isEmpty {
                    let result = try Stylizer.run(image, options: options, minSide: config.minSide)
                    outputs = [StylizeOutput(image: result.image, seconds: result.inferenceSeconds, seed: nil)]
                } else {
                    let results = try Stylizer.run(image, options: options, specs: seeds.map { StyleSpec(.seed($0), reverse: reverse) },
                                                   minSide: config.minSide)
                    outputs = zip(results, seeds).map { StylizeOutput(image: $0.image, seconds: $0.inferenceSeconds, seed: $1) }
                }
                for o in outputs { metrics.recordInference(seconds: o.seconds) }
                response = try StylizeOutput.response(outputs, format: format, quality: request.quality, layout: request.layout, model: model.name)
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

    /// The style encoder pools three times; smaller paintings carry no usable statistics.
    static let minPaintingSide = 32

    /// The mask decoded and matched to its region styles (one per colour).
    private func region(_ maskBytes: [UInt8], _ parts: [StyleSpec], _ feather: Int?) throws -> (mask: RegionMask, parts: [StyleSpec], feather: Int?) {
        let mask = try RegionMask(Self.decode(maskBytes, field: "mask", maxPixels: config.maxInputPixels))
        guard mask.colors.count == parts.count else {
            throw APIError.unprocessable("the mask has \(mask.colors.count) colour regions (\(mask.hexColors.joined(separator: ", ")), in order of first appearance) but the request names \(parts.count) styles",
                                         code: "mask_style_mismatch")
        }
        return (mask, parts, feather)
    }

    static func decode(_ bytes: [UInt8], field: String, maxPixels: Int) throws -> RGBImage {
        do { return try ImageCodec.decode(bytes, maxPixels: maxPixels) } catch let e as ImageError { throw Upload.apiError(e, field: field) }
    }

    /// A decoded painting scaled to `styleSize` (shorter side), keyed by its bytes and that size.
    public static func painting(_ image: RGBImage, bytes: [UInt8], styleSize: Int) -> StylePainting {
        StylePainting(image: ImageTensor.tensor(from: ImageFolder.shorterSide(image, styleSize)),
                      key: "\(contentHash(bytes))-\(bytes.count)@\(styleSize)")
    }

    static func contentHash(_ bytes: [UInt8]) -> String {
        var hash = FNV1a()
        hash.mix(bytes)
        return hash.hex
    }

    /// The named model (which must take paintings when the request sends some); without a name,
    /// the arbitrary-style model for paintings, the model of the stored styles when only such
    /// styles are named, else the default.
    func model(for request: StylizeRequest) throws -> StyleModel {
        let name: String?
        if let given = request.model {
            name = given
        } else if request.usesCodes {
            guard let drawing = registry.models.values.first(where: \.takesSeed) else {
                throw APIError(status: 503, code: "model_unavailable",
                               message: "seed=, samples= and direction= need a model that draws style codes (\(MUNITExport.fileName) in \(config.modelsDirectory.path)); none is installed")
            }
            name = drawing.name
        } else if request.usesPaintings {
            guard let arbitrary = registry.defaultArbitraryModel else {
                throw APIError(status: 503, code: "model_unavailable",
                               message: "style_image needs a model that takes paintings (magenta-*.safetensors or adain-decoder.safetensors in \(config.modelsDirectory.path), from `make weights`); none is installed")
            }
            name = arbitrary
        } else if let stored = try storedStylesModel(request.styleIDs) {
            name = stored
        } else {
            name = nil
        }
        let model = try existingModel(name)
        let arbitrary = registry.models.values.filter(\.isArbitrary).map(\.name).sorted()
        if request.usesPaintings && !model.isArbitrary {
            throw APIError.badRequest("model '\(model.name)' stylizes with its own styles only; style_image needs model="
                                      + (arbitrary.isEmpty ? "adain (not installed here)" : arbitrary.joined(separator: " or ")),
                                      code: "model_takes_no_style_image")
        }
        if request.usesCodes && !model.takesSeed {
            throw APIError.badRequest("seed=, samples= and direction= are for models that draw style codes (munit); model '\(model.name)' has none",
                                      code: "model_takes_no_seed")
        }
        if request.alpha != nil && !model.isArbitrary {
            throw APIError.badRequest("alpha is the content–style trade-off of " + (arbitrary.isEmpty ? "adain" : arbitrary.joined(separator: " and "))
                                      + "; model '\(model.name)' has strength= instead")
        }
        return model
    }

    /// The named model (nil: the default), or the 404 that says so.
    func existingModel(_ name: String?) throws -> StyleModel {
        guard let model = registry.model(named: name) else {
            throw APIError.notFound("model '\(name ?? "")' does not exist; GET /models lists them", code: "unknown_model")
        }
        return model
    }

    /// The model of the stored styles `ids` name (ids from `StoredStyle.firstID` are unique across
    /// models), when they all are stored styles of one model.
    /// Built-in style ids (below `firstID`) are never stored, so naming only those does not read
    /// the store (and works while a shared store is unreachable).
    func storedStylesModel(_ ids: [Int]) throws -> String? {
        guard ids.contains(where: { $0 >= StoredStyle.firstID }) else { return nil }
        let models = Set(try ids.map { try store.style($0)?.model })
        guard !ids.isEmpty, models.count == 1, let model = models.first ?? nil else { return nil }
        return model
    }

    /// An `Accept` that names exactly one of our types; else the input's format.
    static func outputFormat(accept: String?, input: ImageFormat) -> ImageFormat {
        let accepted = (accept ?? "").lowercased()
        let png = accepted.contains("image/png"), jpeg = accepted.contains("image/jpeg")
        if png != jpeg { return png ? .png : .jpeg }
        return input
    }
}
