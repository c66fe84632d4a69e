import Foundation
import HTTP
import ImageIO

/// `POST /styles`, `GET /styles/{id}`, `GET /styles/{id}/image`, `DELETE /styles/{id}`: learning
/// new StyleBank styles and managing them. Training runs as a background job (`JobsRoutes`).
extension AtelierService {
    struct StyleDetail: Encodable {
        let style: StyleInfo
        var settings: TrainingSettings?
        var createdAt: Date?
        var trainingSeconds: Double?
        var finalLoss: Double?
        var trainedIterations: Int?
        var links: [String: String]
        enum CodingKeys: String, CodingKey {
            case style, settings, links
            case createdAt = "created_at", trainingSeconds = "training_seconds", finalLoss = "final_loss"
            case trainedIterations = "trained_iterations"
        }
    }

    struct CreatedStyle: Encodable { let style: StyleInfo; let job: JobRecord }
    struct RegisteredStyle: Encodable { let style: StyleInfo }

    /// `model=stylebank` (the default) learns a bank in a training job (202 + job); a model that
    /// registers styles (`model=adain`) stores the painting's statistics and answers 201, ready.
    func createStyle(_ route: RouteRequest, respond: @escaping (HTTPResponse) -> Void) throws {
        let upload = try Upload(route.http)
        let parameters = try RequestParameters(query: route.http.queryItems, upload: upload, route: "POST /styles",
                                               known: ["name", "model", "preset", "iterations", "size", "seconds", "style_size", "seed"], files: ["image"])
        let modelName = parameters["model"] ?? "stylebank"
        if registration.models[modelName] != nil {
            for name in ["preset", "iterations", "size", "seconds"] where parameters[name] != nil {
                throw APIError.badRequest("\(name) sets how a style is trained; model \(modelName) makes its styles at once, without training")
            }
            let model = registration.models[modelName]!
            let source: StyleRegistration.Source
            if let seed = try parameters.int("seed", in: StylizeRequest.seeds) {
                guard model.takesSeed else {
                    throw APIError.badRequest("model \(modelName) makes styles from paintings only; seed= is for munit", code: "model_takes_no_seed")
                }
                guard upload.files["image"] == nil, parameters["style_size"] == nil else {
                    throw APIError.badRequest("give a seed or an image (with style_size), not both", code: "conflicting_styles")
                }
                source = .seed(UInt64(seed))
            } else {
                let styleSize = try parameters.int("style_size", in: StylizeRequest.styleSizes, what: "an integer (pixels)") ?? model.defaultStyleSize
                let input = try upload.image("image", maxPixels: config.maxInputPixels)
                source = .painting(try Self.decode(input.bytes, field: "image", maxPixels: config.maxInputPixels), bytes: input.bytes, styleSize: styleSize)
            }
            let style = try registration.add(model: modelName, name: parameters["name"], from: source)
            var response = HTTPResponse.json(status: 201, RegisteredStyle(style: style.info), encoder: .api)
            response.headers.set(name: "Location", value: "/styles/\(style.id)")
            return respond(response)
        }
        guard modelName == "stylebank" else {
            _ = try existingModel(modelName)
            throw APIError.badRequest("model \(modelName) cannot learn new styles; use stylebank (trained) or adain (at once)", code: "model_cannot_learn")
        }
        guard let learning else {
            throw APIError(status: 503, code: "training_unavailable",
                           message: "new styles need a trained StyleBank model (stylebank.safetensors in \(config.modelsDirectory.path)); none is installed")
        }
        if parameters["style_size"] != nil { throw APIError.badRequest("style_size is for models that make a style at once (model=adain)") }
        if parameters["seed"] != nil { throw APIError.badRequest("seed= draws a style code of model=munit; stylebank learns from an image", code: "model_takes_no_seed") }
        let input = try upload.image("image", maxPixels: config.maxInputPixels)
        let field = { (name: String) in parameters[name] }
        let settings = try TrainingSettings.from(preset: field("preset"), iterations: field("iterations"), size: field("size"),
                                                 seconds: field("seconds"))
        if let budget = settings.seconds, Double(budget) > config.maxJobSeconds {
            throw APIError.badRequest("seconds must be at most \(Int(config.maxJobSeconds)), this service's limit for one job")
        }
        let image = try Self.decode(input.bytes, field: "image", maxPixels: config.maxInputPixels)
        let client = ClientLimits.client(of: route.http.remoteAddress)
        guard clients.mayStartJob(client, activeJobs: try jobs.allJobs().filter { !$0.isFinished }.map(\.id)) else {
            throw APIError(status: 429, code: "too_many_jobs",
                           message: "this client has \(config.maxJobsPerClient) training jobs queued or running; wait for one to finish", retryAfter: 60)
        }
        let (style, job) = try learning.add(name: field("name"), image: image, settings: settings)
        clients.recordJob(job.id, client: client)
        var response = HTTPResponse.json(status: 202, CreatedStyle(style: style.info, job: job), encoder: .api)
        response.headers.set(name: "Location", value: "/jobs/\(job.id)")
        respond(response)
    }

    func styleDetail(_ route: RouteRequest, respond: @escaping (HTTPResponse) -> Void) throws {
        let (model, info) = try findStyle(route)
        var detail = StyleDetail(style: info, links: ["stylize": "/stylize?model=\(model.name)&style=\(info.id)"])
        if let stored = try store.style(info.id), stored.model == model.name {
            detail.settings = stored.settings
            detail.createdAt = stored.createdAt
            detail.trainingSeconds = stored.trainingSeconds
            detail.finalLoss = stored.finalLoss
            detail.trainedIterations = stored.trainedIterations
            detail.links["image"] = "/styles/\(info.id)/image"
            if let job = stored.jobID { detail.links["job"] = "/jobs/\(job)" }
        }
        respond(.json(detail, encoder: .api))
    }

    /// A learned style's painting as stored; for a built-in style or one drawn from a seed, a
    /// preview made by the model (`StyleSwatches`), on the worker pool since it runs the network.
    func styleImage(_ route: RouteRequest, respond: @escaping (HTTPResponse) -> Void) throws {
        let (model, info) = try findStyle(route)
        if try store.style(info.id)?.model == model.name, let png = try store.file(.image, of: info.id) {
            return respond(.bytes(contentType: "image/png", body: [UInt8](png)))
        }
        // A built-in style, or a stored one with no painting (a MUNIT code drawn from a seed): a preview.
        let accepted = pool.submit { [swatches] in
            do {
                var headers = HTTPHeaders()
                headers.set(name: "Cache-Control", value: "max-age=3600")   // fixed until the weights change
                respond(.bytes(contentType: "image/png", body: try swatches.png(model: model, id: info.id), headers: headers))
            } catch let e as APIError {
                respond(e.response)
            } catch {
                respond(.error(status: 500, code: "internal_error", message: "preview of style \(info.id) failed: \(error)"))
            }
        }
        guard accepted else {
            throw APIError(status: 503, code: "queue_full", message: "all \(pool.capacity) queue slots are taken; retry shortly", retryAfter: 2)
        }
    }

    func deleteStyle(_ route: RouteRequest, respond: @escaping (HTTPResponse) -> Void) throws {
        let (model, info) = try findStyle(route)
        guard let stored = try store.style(info.id), stored.model == model.name else {
            throw APIError(status: 403, code: "builtin_style", message: "style \(info.id) is built into \(model.name) and cannot be deleted")
        }
        if registration.models[stored.model] != nil {
            try registration.delete(info.id)
        } else if let learning, model === learning.model {
            try learning.delete(info.id)
        }
        respond(HTTPResponse(status: 204))
    }

    /// The style `{id}` of `?model=` or, without it, of the model `/stylize` would use for it.
    private func findStyle(_ route: RouteRequest) throws -> (StyleModel, StyleInfo) {
        let id = try route.integer("id", what: "style")
        // A stored style's model when that model is loaded, else the default.
        let model = try existingModel(route.query["model"] ?? storedStylesModel([id]).flatMap { registry.models[$0] == nil ? nil : $0 })
        guard let info = model.styles.first(where: { $0.id == id }) else {
            throw APIError.notFound("style \(id) does not exist in \(model.name)", code: "unknown_style")
        }
        return (model, info)
    }
}
