import Foundation
import ImageIO
import Models
import Service
import Tensor
import Training

/// Configuration shared by the commands: flags first, then ATELIER_* environment, then defaults.
enum ServiceSetup {
    static let environment = ProcessInfo.processInfo.environment

    static func config(_ a: Arguments) -> ServiceConfig {
        let data = a.options["data"] ?? environment["ATELIER_DATA"] ?? "data"
        let models = a.options["models"] ?? environment["ATELIER_MODELS"]
        var config = ServiceConfig(dataDirectory: URL(fileURLWithPath: data), modelsDirectory: models.map { URL(fileURLWithPath: $0) })
        if let s = a.options["store"] ?? environment["ATELIER_STORE"], !s.isEmpty { config.storeURL = s }
        if let m = environment["ATELIER_MAX_PIXELS"].flatMap(Int.init), m > 0 { config.maxInputPixels = m }
        if let m = a.options["default-model"] ?? environment["ATELIER_DEFAULT_MODEL"] { config.defaultModel = m }
        if let m = environment["ATELIER_DEFAULT_ARBITRARY_MODEL"] { config.defaultArbitraryModel = m }
        if let p = a.options["training-photos"] ?? environment["ATELIER_TRAINING_PHOTOS"] {
            config.trainingPhotosDirectory = URL(fileURLWithPath: p)
        }
        return config
    }

    /// Our VGG16 as a differentiable loss network, from the models folder (`make weights`).
    static func perceptualLoss(_ config: ServiceConfig) throws -> PerceptualLoss {
        try PerceptualLoss(vggWeights: SafeTensors.load(config.modelsDirectory.appendingPathComponent("vgg16.safetensors")).tensors)
    }

    static func readImage(_ path: String, maxPixels: Int) throws -> RGBImage {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
        return try ImageCodec.decode([UInt8](data), maxPixels: maxPixels)
    }

    /// A painting file, decoded, with its bytes (its cache key).
    static func readPainting(_ path: String) throws -> (image: RGBImage, bytes: [UInt8]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
        return (try ImageCodec.decode([UInt8](data)), [UInt8](data))
    }

    static func writeImage(_ image: RGBImage, to path: String, quality: Int) throws {
        let lower = path.lowercased()
        let bytes = lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") ? try ImageCodec.encodeJPEG(image, quality: quality) : try ImageCodec.encodePNG(image)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw CLIError("cannot write \(path)") }
    }
}
