import Foundation
import Models
import Training
import Tensor

/// The loaded models, by name. Built once at start-up; read-only afterwards.
public final class ModelRegistry: @unchecked Sendable {
    public let models: [String: StyleModel]
    public let defaultModel: String
    /// The model a request with a painting (`style_image`) and no `model` goes to.
    public let defaultArbitraryModel: String?

    public init(models: [StyleModel], defaultModel: String, defaultArbitraryModel: String = "magenta") {
        self.models = Dictionary(uniqueKeysWithValues: models.map { ($0.name, $0) })
        self.defaultModel = models.contains { $0.name == defaultModel } ? defaultModel : (models.first?.name ?? defaultModel)
        self.defaultArbitraryModel = models.first { $0.name == defaultArbitraryModel }?.name ?? models.first { $0.isArbitrary }?.name
    }

    /// One model family the registry can load: the weight files it needs in the models folder and
    /// how to build it from them. A new family is a new entry here (and its files in Models and
    /// Training), not a branch in the routes.
    public struct Loader {
        public let name: String
        public let files: [String]
        /// A required model's files missing stops the service from starting.
        public let required: Bool
        public let load: (_ file: (String) -> URL) throws -> StyleModel
    }

    public static let loaders: [Loader] = [
        Loader(name: "multistyle26", files: ["multistyle26.safetensors"], required: true) {
            try MultiStyle26Model(weightsFile: $0("multistyle26.safetensors"))
        },
        Loader(name: "stylebank", files: ["stylebank.safetensors"], required: false) {
            try StyleBankModel(weightsFile: $0("stylebank.safetensors"))
        },
        Loader(name: "adain", files: ["vgg16.safetensors", "adain-decoder.safetensors"], required: false) {
            try AdaINModel(vggFile: $0("vgg16.safetensors"), decoderFile: $0("adain-decoder.safetensors"))
        },
        Loader(name: "magenta", files: ["magenta-predict.safetensors", "magenta-transform.safetensors"], required: false) {
            try MagentaModel(predictFile: $0("magenta-predict.safetensors"), transformFile: $0("magenta-transform.safetensors"))
        },
        Loader(name: "munit", files: [MUNITExport.fileName], required: false) {
            try MUNITModel(weightsFile: $0(MUNITExport.fileName))
        },
    ]

    /// Loads every model whose weight files are present in `directory` (`make weights` installs
    /// the converted and the committed ones).
    public static func load(from directory: URL, defaultModel: String, defaultArbitraryModel: String = "magenta",
                            loaders: [Loader] = loaders) throws -> ModelRegistry {
        let file = { (name: String) in directory.appendingPathComponent(name) }
        var models: [StyleModel] = []
        for loader in loaders {
            let missing = loader.files.filter { !FileManager.default.fileExists(atPath: file($0).path) }
            if !missing.isEmpty {
                if loader.required {
                    throw ServiceError("no \(missing.joined(separator: ", ")) in \(directory.path): run `make weights` (scripts/fetch_weights.sh)")
                }
                continue
            }
            models.append(try loader.load(file))
        }
        return ModelRegistry(models: models, defaultModel: defaultModel, defaultArbitraryModel: defaultArbitraryModel)
    }

    public func model(named name: String?) -> StyleModel? { models[name ?? defaultModel] }

    /// Every style of every model, models in name order.
    public var allStyles: [StyleInfo] { models.keys.sorted().flatMap { models[$0]!.styles } }
}

/// A start-up or configuration failure of the service.
public struct ServiceError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
