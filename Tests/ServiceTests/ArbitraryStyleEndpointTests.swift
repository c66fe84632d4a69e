import XCTest
import ImageIO
import Models
import Tensor
@testable import Service

/// `POST /stylize` with paintings (`style_image`) on the AdaIN model. The decoder here has fresh
/// seeded weights (the trained one is not needed to test the route); the encoder is our VGG16.
final class ArbitraryStyleEndpointTests: XCTestCase {
    static let registry: ModelRegistry = {
        do { return try freshRegistry() } catch { fatalError("\(error): run `make weights`") }
    }()

    var fixture: ServiceFixture!
    override func setUpWithError() throws { fixture = try ServiceFixture(registry: Self.registry) }
    override func tearDown() { fixture = nil }

    let photo = ServiceFixture.png(width: 60, height: 44)
    /// A painting unlike the photo: stripes in two colours.
    static func painting(width: Int = 64, height: Int = 64, phase: Int = 0) -> [UInt8] {
        var px = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height { for x in 0..<width {
            let on = ((x + y + phase) / 5) % 2 == 0
            px[(y * width + x) * 3 + 0] = on ? 230 : 20
            px[(y * width + x) * 3 + 1] = on ? 200 : 40
            px[(y * width + x) * 3 + 2] = on ? 30 : 160
        } }
        return try! ImageCodec.encodePNG(RGBImage(width: width, height: height, pixels: px))
    }

    func post(_ query: String = "", paintings: [[UInt8]] = [painting()], fields: [(String, String)] = [], mask: [UInt8]? = nil) throws -> TestClient.Response {
        var files: [(field: String, filename: String, type: String, bytes: [UInt8])] = [("image", "photo.png", "image/png", photo)]
        files += paintings.map { ("style_image", "painting.png", "image/png", $0) }
        if let mask { files.append(("mask", "mask.png", "image/png", mask)) }
        return try fixture.client.multipart("/stylize" + query, files: files, fields: fields)
    }

    func testPaintingGivesAnImageOfThePhotosSizeFromAdaIN() throws {
        let r = try post("?format=png")
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        XCTAssertEqual(r.headers["x-model"], "adain")
        let out = try ImageCodec.decode(r.body)
        XCTAssertEqual([out.width, out.height], [60, 44])
    }

    func testAlphaWeightsAndSeveralPaintingsChangeTheResult() throws {
        func pixels(_ query: String, _ paintings: [[UInt8]], fields: [(String, String)] = []) throws -> [UInt8] {
            let r = try post("?format=png&" + query, paintings: paintings, fields: fields)
            XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
            return try ImageCodec.decode(r.body).pixels
        }
        let other = Self.painting(phase: 3).map { $0 }
        let a = try pixels("", [Self.painting()]), half = try pixels("alpha=0.5", [Self.painting()])
        let fieldHalf = try pixels("", [Self.painting()], fields: [("alpha", "0.5")])
        XCTAssertNotEqual(a, half)
        XCTAssertEqual(half, fieldHalf, "alpha as a multipart field is the query parameter")
        let mixed = try pixels("weights=0.7,0.3", [Self.painting(), try ImageCodec.encodePNG(ServiceFixture.image(width: 64, height: 64))])
        XCTAssertNotEqual(mixed, a)
        XCTAssertEqual(try post("?weights=1,1,1", paintings: [Self.painting(), other]).errorCode, "weights_mismatch")
    }

    func testBadPaintingsAndCombinationsAreRefused() throws {
        XCTAssertEqual(try post("?style=3").errorCode, "conflicting_styles")
        XCTAssertEqual(try post("?model=multistyle26").errorCode, "model_takes_no_style_image")
        XCTAssertEqual(try post("?model=nosuch").status, 404)
        XCTAssertEqual(try post(paintings: [Array("not an image".utf8)]).status, 415)
        let tiny = try post(paintings: [Self.painting(width: 20, height: 20)])
        XCTAssertEqual(tiny.status, 422)
        XCTAssertEqual(tiny.errorCode, "image_too_small")
        XCTAssertEqual(try post(fields: [("strenght", "0.5")]).errorCode, "unknown_parameter")
        let noImage = try fixture.client.multipart("/stylize", files: [("style_image", "p.png", "image/png", Self.painting())])
        XCTAssertEqual(noImage.errorCode, "missing_image")
        // alpha is for the arbitrary-style models.
        let multistyle = try fixture.client.multipart("/stylize?model=multistyle26&alpha=0.5", files: [("image", "p.png", "image/png", photo)])
        XCTAssertEqual(multistyle.status, 400)
    }

    func testSecondRequestWithTheSamePaintingHitsTheCache() throws {
        func counts() throws -> (hits: Int, misses: Int) {
            let text = String(decoding: try fixture.client.request("GET", "/metrics").body, as: UTF8.self)
            func value(_ name: String) -> Int {
                text.split(separator: "\n").first { $0.hasPrefix("\(name){model=\"adain\"}") }.flatMap { Int($0.split(separator: " ").last!) } ?? -1
            }
            return (value("atelier_style_statistics_cache_hits_total"), value("atelier_style_statistics_cache_misses_total"))
        }
        let before = try counts()
        let painting = Self.painting(phase: 7)
        XCTAssertEqual(try post(paintings: [painting]).status, 200)
        XCTAssertEqual(try post(paintings: [painting]).status, 200)
        XCTAssertEqual(try post("?style_size=128", paintings: [painting]).status, 200)  // another scale: another entry
        XCTAssertEqual(try post("?style_size=256", paintings: [painting]).status, 200)  // the default, named: the first entry
        let after = try counts()
        XCTAssertEqual(after.misses - before.misses, 2)
        XCTAssertEqual(after.hits - before.hits, 2)
    }

    func testOnePaintingPerMaskRegion() throws {
        var px = [UInt8](repeating: 0, count: 60 * 44 * 3)
        for i in stride(from: 0, to: px.count, by: 3) where (i / 3) % 60 >= 30 { px[i] = 255; px[i + 1] = 255; px[i + 2] = 255 }
        let mask = try ImageCodec.encodePNG(RGBImage(width: 60, height: 44, pixels: px))
        let r = try post("?format=png", paintings: [Self.painting(), Self.painting(phase: 4)], mask: mask)
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        let mismatch = try post(paintings: [Self.painting()], mask: mask)
        XCTAssertEqual(mismatch.errorCode, "mask_style_mismatch")
    }

    /// Without the trained decoder installed, a painting gets a 503 that says what is missing.
    func testWithoutAdaINPaintingsAre503() throws {
        let plain = try ServiceFixture(registry: ModelRegistry(models: ServiceFixture.registry.models.values.filter { !$0.isArbitrary },
                                                                defaultModel: "multistyle26"))
        let r = try plain.client.multipart("/stylize", files: [("image", "p.png", "image/png", photo), ("style_image", "s.png", "image/png", Self.painting())])
        XCTAssertEqual(r.status, 503)
        XCTAssertEqual(r.errorCode, "model_unavailable")
    }

    func register(_ fixture: ServiceFixture, _ painting: [UInt8], query: String = "?model=adain&name=stripes") throws -> TestClient.Response {
        try fixture.client.multipart("/styles" + query, files: [("image", "painting.png", "image/png", painting)])
    }

    /// `POST /styles?model=adain`: 201 and ready at once; the style works by id, in blends and
    /// masks, keeps its painting, survives a restart and goes away with DELETE.
    func testRegisteredStylesAreReadyAtOnceAndSurviveRestarts() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-adain-\(UUID())")
        defer { try? FileManager.default.removeItem(at: data) }
        fixture = try ServiceFixture(registry: Self.registry) { $0.dataDirectory = data }
        let r = try register(fixture, Self.painting())
        XCTAssertEqual(r.status, 201, String(decoding: r.body, as: UTF8.self))
        let style = r.json?["style"] as? [String: Any]
        XCTAssertEqual(style?["status"] as? String, "ready")
        XCTAssertEqual(style?["model"] as? String, "adain")
        XCTAssertEqual(style?["name"] as? String, "stripes")
        let id = try XCTUnwrap(style?["id"] as? Int)
        let second = try XCTUnwrap((try register(fixture, Self.painting(phase: 2), query: "?model=adain").json?["style"] as? [String: Any])?["id"] as? Int)

        func stylize(_ query: String) throws -> TestClient.Response {
            try fixture.client.multipart("/stylize?format=png&" + query, files: [("image", "photo.png", "image/png", photo)])
        }
        let byID = try stylize("style=\(id)")
        XCTAssertEqual(byID.status, 200, String(decoding: byID.body, as: UTF8.self))
        XCTAssertEqual(byID.headers["x-model"], "adain")
        // The stored statistics are the painting's: the same image as sending the painting itself.
        let direct = try post("?format=png", paintings: [Self.painting()])
        XCTAssertEqual(byID.body, direct.body)
        XCTAssertEqual(try stylize("style=\(id):0.5,\(second):0.5&alpha=0.7").status, 200)
        var maskPixels = [UInt8](repeating: 0, count: 60 * 44 * 3)
        for i in stride(from: 0, to: maskPixels.count, by: 3) where (i / 3) / 60 >= 22 { maskPixels[i] = 255 }
        let masked = try fixture.client.multipart("/stylize?styles=\(id),\(second)", files: [
            ("image", "photo.png", "image/png", photo), ("mask", "m.png", "image/png", try ImageCodec.encodePNG(RGBImage(width: 60, height: 44, pixels: maskPixels)))])
        XCTAssertEqual(masked.status, 200, String(decoding: masked.body, as: UTF8.self))
        XCTAssertEqual(try fixture.client.request("GET", "/styles/\(id)/image").headers["content-type"], "image/png")
        let listed = (try fixture.client.request("GET", "/styles").json?["styles"] as? [[String: Any]]) ?? []
        XCTAssertTrue(listed.contains { $0["id"] as? Int == id && $0["model"] as? String == "adain" })

        // A restart on the same data folder serves the same style, byte for byte.
        fixture = nil
        fixture = try ServiceFixture(registry: ArbitraryStyleEndpointTests.freshRegistry()) { $0.dataDirectory = data }
        XCTAssertEqual(try stylize("style=\(id)").body, byID.body)
        XCTAssertEqual(try fixture.client.request("DELETE", "/styles/\(id)").status, 204)
        XCTAssertEqual(try stylize("style=\(id)").status, 404)
        XCTAssertEqual(try stylize("style=\(second)").status, 200)
    }

    func testRegistrationRefusesTrainingSettingsAndOtherModels() throws {
        XCTAssertEqual(try register(fixture, Self.painting(), query: "?model=adain&preset=quick").status, 400)
        XCTAssertEqual(try register(fixture, Self.painting(), query: "?model=multistyle26").errorCode, "model_cannot_learn")
        XCTAssertEqual(try register(fixture, Self.painting(), query: "?model=nosuch").status, 404)
        XCTAssertEqual(try register(fixture, Self.painting(width: 20, height: 20), query: "?model=adain").errorCode, "image_too_small")
        XCTAssertEqual(try register(fixture, Self.painting(), query: "?model=adain&style_size=9").status, 400)
        XCTAssertEqual(try register(fixture, Self.painting(), query: "?model=adain&colour=red").errorCode, "unknown_parameter")
    }

    /// A registry with a new AdaIN model (no styles installed), as after a restart.
    static func freshRegistry() throws -> ModelRegistry {
        let vgg = ServiceFixture.modelsDirectory.appendingPathComponent("vgg16.safetensors")
        let adain = try AdaINModel(vggWeights: SafeTensors.load(vgg).tensors, decoderWeights: AdaINArchitecture.initialWeights(seed: 3))
        let base = ServiceFixture.registry
        return ModelRegistry(models: base.models.values.filter { !$0.isArbitrary } + [adain], defaultModel: base.defaultModel)
    }
}

/// `model=magenta`: Magenta's pretrained arbitrary network, imported by `make weights`.
final class MagentaEndpointTests: XCTestCase {
    var fixture: ServiceFixture!
    override func setUpWithError() throws { fixture = try ServiceFixture() }
    override func tearDown() { fixture = nil }

    func testPaintingsAndRegisteredStylesWithMagenta() throws {
        XCTAssertNotNil(ServiceFixture.registry.models["magenta"], "make weights imports magenta-predict/-transform")
        let photo = ServiceFixture.png(width: 50, height: 38)
        let r = try fixture.client.multipart("/stylize?model=magenta&format=png", files: [
            ("image", "p.png", "image/png", photo), ("style_image", "s.png", "image/png", ArbitraryStyleEndpointTests.painting())])
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        XCTAssertEqual(r.headers["x-model"], "magenta")
        let out = try ImageCodec.decode(r.body)
        XCTAssertEqual([out.width, out.height], [50, 38])
        let half = try fixture.client.multipart("/stylize?model=magenta&format=png&alpha=0.3", files: [
            ("image", "p.png", "image/png", photo), ("style_image", "s.png", "image/png", ArbitraryStyleEndpointTests.painting())])
        XCTAssertEqual(half.status, 200)
        XCTAssertNotEqual(half.body, r.body)
        // Without model=, a painting goes to the default arbitrary-style model: magenta.
        let unnamed = try fixture.client.multipart("/stylize?format=png", files: [
            ("image", "p.png", "image/png", photo), ("style_image", "s.png", "image/png", ArbitraryStyleEndpointTests.painting())])
        XCTAssertEqual(unnamed.headers["x-model"], "magenta")

        let created = try fixture.client.multipart("/styles?model=magenta", files: [("image", "s.png", "image/png", ArbitraryStyleEndpointTests.painting())])
        XCTAssertEqual(created.status, 201, String(decoding: created.body, as: UTF8.self))
        let id = try XCTUnwrap((created.json?["style"] as? [String: Any])?["id"] as? Int)
        let byID = try fixture.client.multipart("/stylize?format=png&style=\(id)", files: [("image", "p.png", "image/png", photo)])
        XCTAssertEqual(byID.headers["x-model"], "magenta")
        XCTAssertEqual(byID.body, r.body, "the stored embedding is the painting's")
    }
}
