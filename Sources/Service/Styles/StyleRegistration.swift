import Foundation
import ImageIO
import Models
import Tensor

/// Stored styles of the models that make a style from a painting at once (`RegistrableStyleModel`:
/// AdaIN): `POST /styles?model=adain` keeps the painting and what the model takes from it, and
/// the style is ready; after a restart every such style is installed again from the store.
final class StyleRegistration: @unchecked Sendable {
    let models: [String: RegistrableStyleModel]
    let store: StyleRepository
    let config: ServiceConfig

    init(models: [RegistrableStyleModel], store: StyleRepository, config: ServiceConfig) throws {
        self.models = Dictionary(uniqueKeysWithValues: models.map { ($0.name, $0) })
        self.store = store
        self.config = config
        for style in try store.all() {
            guard let model = self.models[style.model] else { continue }
            do { try model.install(style.id, name: style.name, data: store.data(style.id).tensors) } catch {
                try? store.update(style.id) { $0.status = .failed; $0.error = "its data could not be loaded: \(error)" }
            }
        }
    }

    /// What a registered style is made from.
    enum Source {
        /// A painting, scaled to `styleSize` for the model's statistics (stored at up to
        /// `StyleLearning.storedImageSide`).
        case painting(RGBImage, bytes: [UInt8], styleSize: Int)
        /// A style code drawn by seed (MUNIT).
        case seed(UInt64)
    }

    /// Registers a new ready style of `model`.
    func add(model name: String, name requested: String?, from source: Source) throws -> StoredStyle {
        guard let model = models[name] else { throw ServiceError("model \(name) does not register styles") }
        if case .painting(let image, _, _) = source, min(image.width, image.height) < AtelierService.minPaintingSide {
            throw APIError.unprocessable("the style image is \(image.width)×\(image.height); both sides need at least \(AtelierService.minPaintingSide) pixels",
                                         code: "image_too_small")
        }
        let styleName = try StyleLearning.validName(requested)
        guard try store.count() < config.maxLearnedStyles else {
            throw APIError(status: 409, code: "style_limit",
                           message: "\(config.maxLearnedStyles) stored styles are kept already; DELETE /styles/{id} one first")
        }
        let data: [String: Tensor], image: RGBImage?, metadata: [String: String]
        switch source {
        case .painting(let painting, let bytes, let styleSize):
            data = try model.registrationData(for: AtelierService.painting(painting, bytes: bytes, styleSize: styleSize))
            (image, metadata) = (StyleLearning.storedImage(painting), ["model": name, "style_size": String(styleSize)])
        case .seed(let seed):
            data = try model.registrationData(seed: seed)
            (image, metadata) = (nil, ["model": name, "seed": String(seed)])
        }
        var style = try store.add(name: styleName ?? "", model: name, image: image, data: (data, metadata))
        if styleName == nil {
            try store.update(style.id) { $0.name = "style-\(style.id)" }
            style.name = "style-\(style.id)"
        }
        try model.install(style.id, name: style.name, data: data)
        return style
    }

    /// Installs the styles other replicas registered in a shared store and drops those deleted there.
    func refresh() throws {
        let stored = try store.all()
        for (name, model) in models {
            let mine = stored.filter { $0.model == name && $0.status == .ready }
            let installed = Set(model.styles.map(\.id))
            for style in mine where !installed.contains(style.id) {
                do { try model.install(style.id, name: style.name, data: store.data(style.id).tensors) } catch {
                    print("atelier: style \(style.id) could not be installed from the shared store: \(error)")
                }
            }
            for id in installed.subtracting(mine.map(\.id)) { model.remove(id) }
        }
    }

    func delete(_ id: Int) throws {
        guard let style = try store.style(id), let model = models[style.model] else {
            throw APIError.notFound("style \(id) does not exist", code: "unknown_style")
        }
        model.remove(id)
        try store.remove(id)
    }
}
