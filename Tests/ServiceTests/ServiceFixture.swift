import Foundation
import HTTP
import ImageIO
@testable import Service

/// A real server on an ephemeral loopback port with the real weights (made by `make weights`).
final class ServiceFixture {
    let server: HTTPServer
    let service: AtelierService
    let client: TestClient

    static var modelsDirectory: URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return ProcessInfo.processInfo.environment["ATELIER_MODELS"].map { URL(fileURLWithPath: $0) } ?? root.appendingPathComponent("data/models")
    }

    static let registry: ModelRegistry = {
        do { return try ModelRegistry.load(from: modelsDirectory, defaultModel: "multistyle26") } catch {
            fatalError("\(error) — the service tests need the converted weights: run `make weights`")
        }
    }()

    init(registry: ModelRegistry? = nil, configure: (inout ServiceConfig) -> Void = { _ in }, server serverSetup: (inout ServerConfig) -> Void = { _ in }) throws {
        var config = ServiceConfig(dataDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("atelier-test-\(UUID())"))
        configure(&config)
        service = try AtelierService(config: config, registry: registry ?? Self.registry)
        var serverConfig = ServerConfig(host: "127.0.0.1", port: 0)
        serverSetup(&serverConfig)
        server = HTTPServer(config: serverConfig, handler: service.handle)
        client = TestClient(port: try server.start())
    }

    deinit {
        server.shutdown(gracePeriod: 1)
        server.waitUntilStopped()
        service.stop()
    }

    /// A smooth synthetic photo-like image with some texture.
    static func image(width: Int, height: Int) -> RGBImage {
        var px = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height { for x in 0..<width {
            let i = (y * width + x) * 3
            px[i] = UInt8((x * 255) / max(width - 1, 1))
            px[i + 1] = UInt8((y * 255) / max(height - 1, 1))
            px[i + 2] = UInt8(((x / 8 + y / 8) % 2) * 120 + 60)
        } }
        return RGBImage(width: width, height: height, pixels: px)
    }

    static func png(width: Int, height: Int) -> [UInt8] { try! ImageCodec.encodePNG(image(width: width, height: height)) }
    static func jpeg(width: Int, height: Int) -> [UInt8] { try! ImageCodec.encodeJPEG(image(width: width, height: height), quality: 90) }
}
