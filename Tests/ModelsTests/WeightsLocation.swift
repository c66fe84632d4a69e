import Foundation

/// Where the converted weights live for tests: $ATELIER_MODELS, else data/models in the package.
/// They are made by `make weights` (scripts/fetch_weights.sh), which `make test` runs first, so a
/// missing file is a set-up failure and the tests that need it fail rather than skip.
enum WeightsLocation {
    static var modelsDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["ATELIER_MODELS"] { return URL(fileURLWithPath: dir) }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent("data/models")
    }

    static func file(_ name: String) throws -> URL {
        let url = modelsDirectory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw NSError(domain: "Atelier", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(url.path) is missing: run `make weights` first"])
        }
        return url
    }
}
