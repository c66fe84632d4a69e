import Foundation

/// The loaded models, by name. Built once at start-up; read-only afterwards.
public final class ModelRegistry: @unchecked Sendable {
    public let models: [String: StyleModel]
    public let defaultModel: String

    public init(models: [StyleModel], defaultModel: String) {
        self.models = Dictionary(uniqueKeysWithValues: models.map { ($0.name, $0) })
        self.defaultModel = models.contains { $0.name == defaultModel } ? defaultModel : (models.first?.name ?? defaultModel)
    }

    /// Loads every model whose weights are present in `directory`: multistyle26 (required, from
    /// `make weights`) and a trained StyleBank (`stylebank.safetensors`) when there is one.
    public static func load(from directory: URL, defaultModel: String) throws -> ModelRegistry {
        let file = directory.appendingPathComponent("multistyle26.safetensors")
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ServiceError("no weights in \(directory.path): run `make weights` (scripts/fetch_weights.sh)")
        }
        var models: [StyleModel] = [try MultiStyle26Model(weightsFile: file)]
        let bank = directory.appendingPathComponent("stylebank.safetensors")
        if FileManager.default.fileExists(atPath: bank.path) { models.append(try StyleBankModel(weightsFile: bank)) }
        return ModelRegistry(models: models, defaultModel: defaultModel)
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
