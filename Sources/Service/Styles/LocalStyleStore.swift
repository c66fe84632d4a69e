import Foundation
import Models

/// The stored styles in the data folder, `<data>/styles/` (the default store; one process):
///   index.json               every style's record and the next id to hand out
///   <id>.png                 the style image, as it is trained on
///   <id>.safetensors         the learned bank (F16), once ready; for a registered style its data (AdaIN's μ/σ)
///   <id>.checkpoint.safetensors  bank + Adam state while training (for resuming)
///
/// Every file is written atomically (write, fsync, rename; `AtomicFile`), data files before the
/// index that names them, so a crash at any point leaves a consistent store: at worst an
/// orphaned file, never an index entry without its data. Records live in memory, so only one
/// process may use a folder; several replicas share a `PostgresStyleStore` instead.
final class LocalStyleStore: StyleRepository, @unchecked Sendable {
    let directory: URL
    private let lock = NSLock()
    private var entries: [Int: StoredStyle] = [:]
    private var nextID = StoredStyle.firstID

    private struct Index: Codable {
        var nextID: Int
        var styles: [StoredStyle]
        enum CodingKeys: String, CodingKey { case nextID = "next_id", styles }
    }

    init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        AtomicFile.removeLeftovers(in: directory)   // of writes a crash cut short
        guard let data = FileManager.default.contents(atPath: indexURL.path) else { return }
        let index: Index
        do { index = try JSONDecoder.file.decode(Index.self, from: data) } catch {
            throw ServiceError("\(indexURL.path) is unreadable (\(error)); move it aside to start with no learned styles")
        }
        nextID = max(index.nextID, StoredStyle.firstID)
        for s in index.styles { entries[s.id] = s }
    }

    var indexURL: URL { directory.appendingPathComponent("index.json") }

    func url(_ kind: StyleFile, of id: Int) -> URL {
        switch kind {
        case .image: return directory.appendingPathComponent("\(id).png")
        case .data: return directory.appendingPathComponent("\(id).safetensors")
        case .checkpoint: return directory.appendingPathComponent("\(id).checkpoint.safetensors")
        }
    }

    /// The folder is there (records live in memory; nothing else can be out of reach).
    func checkReachable() throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ServiceError("the styles folder \(directory.path) is gone")
        }
    }

    func all() -> [StoredStyle] { lock.withLock { entries.values.sorted { $0.id < $1.id } } }
    func count() -> Int { lock.withLock { entries.count } }
    func style(_ id: Int) -> StoredStyle? { lock.withLock { entries[id] } }

    func add(name: String, model: String, settings: TrainingSettings?, files: (Int) throws -> [StyleFile: Data]) throws -> StoredStyle {
        try lock.withLock {
            let id = nextID
            for (kind, bytes) in try files(id) { try AtomicFile.write(bytes, to: url(kind, of: id)) }
            let style = StoredStyle(id: id, name: name, model: model, status: settings == nil ? .ready : .training,
                                    settings: settings, createdAt: Date())
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
        for kind in StyleFile.allCases { try? FileManager.default.removeItem(at: url(kind, of: id)) }
    }

    func file(_ kind: StyleFile, of id: Int) -> Data? {
        guard style(id) != nil else { return nil }
        return FileManager.default.contents(atPath: url(kind, of: id).path)
    }

    /// Written outside the lock (a checkpoint takes a while; lookups must not wait for it), and
    /// taken back should `remove` have forgotten the style meanwhile.
    func write(_ kind: StyleFile, of id: Int, _ bytes: Data) throws {
        guard style(id) != nil else { return }
        try AtomicFile.write(bytes, to: url(kind, of: id))
        if style(id) == nil { try? FileManager.default.removeItem(at: url(kind, of: id)) }
    }

    func deleteFile(_ kind: StyleFile, of id: Int) throws {
        let path = url(kind, of: id).path
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
    }

    private func saveIndex() throws {
        let index = Index(nextID: nextID, styles: entries.values.sorted { $0.id < $1.id })
        try AtomicFile.write(JSONEncoder.file.encode(index), to: indexURL)
    }
}
