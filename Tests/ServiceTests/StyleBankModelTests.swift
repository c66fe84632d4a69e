import XCTest
import ImageIO
import Models
import Tensor
@testable import Service

/// A trained StyleBank in the models folder is picked up by the registry and served by id.
final class StyleBankModelTests: XCTestCase {
    func testRegistryLoadsStyleBankAndStylizesByID() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-sb-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let source = ProcessInfo.processInfo.environment["ATELIER_MODELS"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("data/models")
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("multistyle26.safetensors"),
                                                   withDestinationURL: source.appendingPathComponent("multistyle26.safetensors"))
        let weights = StyleBankArchitecture.paper.initialWeights(styles: [0, 5], seed: 0)
        let file = dir.appendingPathComponent("stylebank.safetensors")
        let styles = #"[{"id":0,"name":"candy","source":"candy.jpg"},{"id":5,"name":"udnie","source":"udnie.jpg"}]"#
        // Weights of another architecture version (v1 had a sigmoid output) are refused by name.
        try SafeTensors.write(weights, to: file, dtype: .f16, metadata: ["styles": styles, "architecture": "stylebank-v1"])
        XCTAssertThrowsError(try ModelRegistry.load(from: dir, defaultModel: "multistyle26")) {
            XCTAssertTrue("\($0)".contains("stylebank-v1"), "\($0)")
        }
        try SafeTensors.write(weights, to: file, dtype: .f16, metadata: ["styles": styles, "architecture": StyleBankArchitecture.version])

        let registry = try ModelRegistry.load(from: dir, defaultModel: "multistyle26")
        let bank = try XCTUnwrap(registry.models["stylebank"])
        XCTAssertEqual(bank.styles.map(\.id), [0, 5])
        XCTAssertEqual(bank.styles.map(\.name), ["candy", "udnie"])
        XCTAssertEqual(registry.defaultModel, "multistyle26")

        // A new style's bank starts from the mean of the built-in ones.
        let model = try XCTUnwrap(bank as? StyleBankModel)
        for part in ["weight", "gamma", "beta"] {
            let a = weights["bank.0.\(part)"]!.scalars, b = weights["bank.5.\(part)"]!.scalars
            let mean = try XCTUnwrap(model.meanBank?[part]).scalars
            for i in stride(from: 0, to: a.count, by: 97) { XCTAssertEqual(mean[i], (Float(Float16(a[i])) + Float(Float16(b[i]))) / 2, accuracy: 1e-6) }
        }

        let stylizer = OfflineStylizer(registry: registry, config: ServiceConfig(dataDirectory: dir))
        let photo = ServiceFixture.image(width: 37, height: 29)
        let out = try stylizer.run(photo, model: "stylebank", style: "5:0.3,0:0.7")
        XCTAssertEqual([out.width, out.height], [37, 29])
        XCTAssertThrowsError(try stylizer.run(photo, model: "stylebank", style: "1"))
    }
}
