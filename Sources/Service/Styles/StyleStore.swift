import Foundation
import ImageIO
import Models
import Tensor

/// A style a user taught the service (`POST /styles`), as the store keeps it: learned by a
/// training job (StyleBank) or registered at once from its painting (AdaIN).
struct StoredStyle: Codable, Equatable {
    let id: Int
    var name: String
    /// The model it belongs to; records written before other models had stored styles are StyleBank's.
    var model: String = "stylebank"
    var status: StyleInfo.Status
    var error: String?
    var jobID: String?
    /// How it is trained; nil for a registered style (no training).
    var settings: TrainingSettings?
    let createdAt: Date
    var trainingSeconds: Double?
    var finalLoss: Double?
    /// Steps trained: the settings' `iterations`, or fewer where the time budget ran out first.
    var trainedIterations: Int?

    enum CodingKeys: String, CodingKey {
        case id, name, model, status, error, settings
        case jobID = "job_id", createdAt = "created_at", trainingSeconds = "training_seconds", finalLoss = "final_loss"
        case trainedIterations = "trained_iterations"
    }

    init(id: Int, name: String, model: String, status: StyleInfo.Status, settings: TrainingSettings?, createdAt: Date) {
        (self.id, self.name, self.model, self.status, self.settings, self.createdAt) = (id, name, model, status, settings, createdAt)
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? "stylebank"
        status = try c.decode(StyleInfo.Status.self, forKey: .status)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        jobID = try c.decodeIfPresent(String.self, forKey: .jobID)
        settings = try c.decodeIfPresent(TrainingSettings.self, forKey: .settings)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        trainingSeconds = try c.decodeIfPresent(Double.self, forKey: .trainingSeconds)
        finalLoss = try c.decodeIfPresent(Double.self, forKey: .finalLoss)
        trainedIterations = try c.decodeIfPresent(Int.self, forKey: .trainedIterations)
    }

    var info: StyleInfo { StyleInfo(id: id, name: name, model: model, status: status, jobID: jobID, error: error) }
}

/// The learned styles on disk, in `<data>/styles/`:
///   index.json               every style's record and the next id to hand out
///   <id>.png                 the style image, as it is trained on
///   <id>.safetensors         the learned bank (F16), once ready; for a registered style its data (AdaIN's μ/σ)
///   <id>.checkpoint.safetensors  bank + Adam state while training (for resuming)
///
/// Every file is written atomically (write, fsync, rename; `AtomicFile`), data files before the
/// index that names them, so a crash at any point leaves a consistent store: at worst an
/// orphaned file, never an index entry without its data. Callers serialize through the lock.
final class StyleStore: @unchecked Sendable {
    /// User style ids start here, so they never collide with any model's built-in ids and
    /// `/stylize?style=1000` finds its model without `model=`.
    static let firstID = 1000

    let directory: URL
    private let lock = NSLock()
    private var entries: [Int: StoredStyle] = [:]
    private var nextID = StyleStore.firstID

    private struct Index: Codable {
        var nextID: Int
        var styles: [StoredStyle]
        enum CodingKeys: String, CodingKey { case nextID = "next_id", styles }
    }

    init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        guard let data = FileManager.default.contents(atPath: indexURL.path) else { return }
        let index: Index
        do { index = try JSONDecoder.file.decode(Index.self, from: data) } catch {
            throw ServiceError("\(indexURL.path) is unreadable (\(error)); move it aside to start with no learned styles")
        }
        nextID = max(index.nextID, Self.firstID)
        for s in index.styles { entries[s.id] = s }
    }

    var indexURL: URL { directory.appendingPathComponent("index.json") }
    func imageURL(_ id: Int) -> URL { directory.appendingPathComponent("\(id).png") }
    func bankURL(_ id: Int) -> URL { directory.appendingPathComponent("\(id).safetensors") }
    func checkpointURL(_ id: Int) -> URL { directory.appendingPathComponent("\(id).checkpoint.safetensors") }

    var all: [StoredStyle] { lock.withLock { entries.values.sorted { $0.id < $1.id } } }
    var count: Int { lock.withLock { entries.count } }
    func style(_ id: Int) -> StoredStyle? { lock.withLock { entries[id] } }

    /// Stores a new style image and its record (status training) under a fresh id.
    func add(name: String, image: RGBImage, settings: TrainingSettings) throws -> StoredStyle {
        try add(name: name, model: "stylebank", image: image, settings: settings)
    }

    /// Stores a new style image and its record under a fresh id: `training` with settings, else
    /// `ready` with `data` (a registered style's tensors, written before the record names them).
    /// A style drawn from a seed has no image.
    func add(name: String, model: String, image: RGBImage?, settings: TrainingSettings? = nil,
             data: (tensors: [String: Tensor], metadata: [String: String])? = nil) throws -> StoredStyle {
        try lock.withLock {
            let id = nextID
            if let image { try AtomicFile.write(Data(ImageCodec.encodePNG(image)), to: imageURL(id)) }
            if let data { try SafeTensors.write(data.tensors, to: bankURL(id), metadata: data.metadata.merging(["style": String(id)]) { a, _ in a }) }
            let style = StoredStyle(id: id, name: name, model: model, status: data == nil ? .training : .ready, settings: settings, createdAt: Date())
            entries[id] = style
            nextID += 1
            try saveIndex()
            return style
        }
    }

    func update(_ id: Int, _ change: (inout StoredStyle) -> Void) throws {
        try lock.withLock {
            guard var s = entries[id] else { return }
            change(&s)
            entries[id] = s
            try saveIndex()
        }
    }

    /// Forgets the style, then deletes its files.
    func remove(_ id: Int) throws {
        try lock.withLock {
            guard entries.removeValue(forKey: id) != nil else { return }
            try saveIndex()
        }
        for url in [imageURL(id), bankURL(id), checkpointURL(id)] { try? FileManager.default.removeItem(at: url) }
    }

    func image(_ id: Int) throws -> RGBImage {
        guard let data = FileManager.default.contents(atPath: imageURL(id).path) else {
            throw ServiceError("style \(id)'s image \(imageURL(id).lastPathComponent) is missing")
        }
        return try ImageCodec.decode([UInt8](data), maxPixels: .max)
    }

    /// `autoencoder`: the fingerprint of the auto-encoder the bank was learned against.
    func writeBank(_ id: Int, weights: [String: Tensor], autoencoder: String) throws {
        try SafeTensors.write(weights, to: bankURL(id), dtype: .f16,
                              metadata: ["style": String(id), "architecture": StyleBankArchitecture.version, "autoencoder": autoencoder])
    }

    /// A registered style's tensors and metadata.
    func data(_ id: Int) throws -> (tensors: [String: Tensor], metadata: [String: String]) { try SafeTensors.load(bankURL(id)) }

    /// The bank's weights and the auto-encoder fingerprint it was learned against (nil if unrecorded).
    func bank(_ id: Int) throws -> (weights: [String: Tensor], autoencoder: String?) {
        let file = try SafeTensors.load(bankURL(id))
        return (file.tensors, file.metadata["autoencoder"])
    }

    private func saveIndex() throws {
        let index = Index(nextID: nextID, styles: entries.values.sorted { $0.id < $1.id })
        try AtomicFile.write(JSONEncoder.file.encode(index), to: indexURL)
    }
}
