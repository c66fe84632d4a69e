import Foundation
import ImageIO
import Models
import Tensor

/// The files a stored style may have besides its record.
enum StyleFile: String, CaseIterable, Sendable {
    /// The style image as trained on (PNG).
    case image
    /// Safetensors: the learned bank (F16) once ready, or a registered style's data (AdaIN's μ/σ).
    case data
    /// Safetensors: bank + optimizer state while training, for resuming.
    case checkpoint
}

/// A style's tensors and the string metadata stored beside them (a safetensors file's contents).
typealias StyleTensors = (tensors: [String: Tensor], metadata: [String: String])

/// Where the service keeps the styles users add (`POST /styles`): their records, with ids unique
/// across models (from `StoredStyle.firstID`), and each style's files. `LocalStyleStore` keeps
/// them in the data folder (one process); `PostgresStyleStore` in a database that several
/// replicas share (`ATELIER_STORE=postgres://…`).
///
/// Contract (Tests/ServiceTests/StyleStoreContract.swift runs it against both): `add` writes the
/// files before the record names them, so a reader never finds a record whose files are missing;
/// `update` applies its change atomically (no concurrent update is lost); changing or writing a
/// file of a style that is gone does nothing; `remove` takes the record and its files.
protocol StyleRepository: AnyObject, Sendable {
    /// Every record, by id.
    func all() throws -> [StoredStyle]
    func count() throws -> Int
    func style(_ id: Int) throws -> StoredStyle?
    /// Stores a new record under a fresh id, with the files `files` makes for that id:
    /// `training` when it has settings, else `ready`.
    func add(name: String, model: String, settings: TrainingSettings?, files: (_ id: Int) throws -> [StyleFile: Data]) throws -> StoredStyle
    func update(_ id: Int, _ change: (inout StoredStyle) -> Void) throws
    /// Forgets the style and its files; nothing when it is not stored.
    func remove(_ id: Int) throws
    func file(_ kind: StyleFile, of id: Int) throws -> Data?
    func write(_ kind: StyleFile, of id: Int, _ bytes: Data) throws
    func deleteFile(_ kind: StyleFile, of id: Int) throws
    /// Throws when the store cannot be reached now (`/readyz`): a cheap check, bounded to a few seconds.
    func checkReachable() throws
}

/// What the service stores, in the formats both stores share: PNG images, safetensors data.
extension StyleRepository {
    /// Stores a new StyleBank style image and its record (status training) under a fresh id.
    func add(name: String, image: RGBImage, settings: TrainingSettings) throws -> StoredStyle {
        try add(name: name, model: "stylebank", image: image, settings: settings)
    }

    /// Stores a new style image and its record under a fresh id: `training` with settings, else
    /// `ready` with `data` (a registered style's tensors). A style drawn from a seed has no image.
    func add(name: String, model: String, image: RGBImage?, settings: TrainingSettings? = nil,
             data: StyleTensors? = nil) throws -> StoredStyle {
        let png = try image.map { Data(try ImageCodec.encodePNG($0)) }
        return try add(name: name, model: model, settings: settings) { id in
            var files: [StyleFile: Data] = [:]
            files[.image] = png
            files[.data] = data.map { SafeTensors.encode($0.tensors, metadata: $0.metadata.merging(["style": String(id)]) { a, _ in a }) }
            return files
        }
    }

    func image(_ id: Int) throws -> RGBImage {
        guard let png = try file(.image, of: id) else { throw ServiceError("style \(id)'s image is missing") }
        return try ImageCodec.decode([UInt8](png), maxPixels: .max)
    }

    /// `autoencoder`: the fingerprint of the auto-encoder the bank was learned against.
    func writeBank(_ id: Int, weights: [String: Tensor], autoencoder: String) throws {
        try write(.data, of: id, SafeTensors.encode(weights, dtype: .f16, metadata: [
            "style": String(id), "architecture": StyleBankArchitecture.version, "autoencoder": autoencoder]))
    }

    /// A registered style's tensors and metadata.
    func data(_ id: Int) throws -> StyleTensors {
        guard let bytes = try file(.data, of: id) else { throw ServiceError("style \(id) has no stored data") }
        return try SafeTensors.decode(bytes, source: "style \(id)'s data")
    }

    /// The bank's weights and the auto-encoder fingerprint it was learned against (nil if unrecorded).
    func bank(_ id: Int) throws -> (weights: [String: Tensor], autoencoder: String?) {
        let file = try data(id)
        return (file.tensors, file.metadata["autoencoder"])
    }

    func writeCheckpoint(_ id: Int, _ checkpoint: StyleTensors) throws {
        try write(.checkpoint, of: id, SafeTensors.encode(checkpoint.tensors, metadata: checkpoint.metadata))
    }

    /// The training checkpoint, or nil when there is none.
    func checkpoint(_ id: Int) throws -> StyleTensors? {
        try file(.checkpoint, of: id).map { try SafeTensors.decode($0, source: "style \(id)'s checkpoint") }
    }
}
