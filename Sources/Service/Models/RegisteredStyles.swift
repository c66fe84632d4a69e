import Foundation

/// The stored styles of a `RegistrableStyleModel`: id → name and what the model took from the
/// painting (AdaIN's μ/σ, Magenta's embedding). Safe to share between threads.
final class RegisteredStyles<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var table: [Int: (name: String, value: Value)] = [:]

    /// The styles as `GET /styles` lists them, by id.
    func infos(model: String) -> [StyleInfo] {
        lock.withLock { table.keys.sorted().map { StyleInfo(id: $0, name: table[$0]!.name, model: model) } }
    }

    func set(_ id: Int, name: String, value: Value) { lock.withLock { table[id] = (name, value) } }

    func remove(_ id: Int) { _ = lock.withLock { table.removeValue(forKey: id) } }

    /// The values of a blend's styles with their weights, in id order; a 404 for a style gone meanwhile.
    func weighted(_ blend: [Int: Float]) throws -> [(value: Value, weight: Float)] {
        let snapshot = lock.withLock { table }
        return try blend.keys.sorted().map { id in
            guard let style = snapshot[id] else { throw APIError.notFound("style \(id) does not exist", code: "unknown_style") }
            return (style.value, blend[id]!)
        }
    }
}
