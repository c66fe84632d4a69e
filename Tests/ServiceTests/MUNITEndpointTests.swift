import XCTest
import HTTP
import ImageIO
import Models
import Tensor
import Training
@testable import Service

/// `POST /stylize?model=munit`: seeds, samples, example paintings, direction, stored style codes.
/// The generators are small with fresh seeded weights (the trained ones are not needed to test
/// the route; what they look like is the evaluation's business).
final class MUNITEndpointTests: XCTestCase {
    static func model() throws -> MUNITModel {
        var arch = MUNITArchitecture()
        (arch.width, arch.residualBlocks, arch.mlpWidth) = (8, 1, 32)
        let p = arch.initialParameters(seed: 11)
        return MUNITModel(photo: try MUNITGenerator(architecture: arch, domain: "a", parameters: p),
                          painting: try MUNITGenerator(architecture: arch, domain: "b", parameters: p), iteration: 0)
    }

    static func registry() throws -> ModelRegistry {
        let base = ServiceFixture.registry
        return ModelRegistry(models: base.models.values.filter { $0.name != "munit" } + [try model()], defaultModel: base.defaultModel)
    }

    var fixture: ServiceFixture!
    override func setUpWithError() throws { fixture = try ServiceFixture(registry: Self.registry()) }
    override func tearDown() { fixture = nil }

    let photo = ServiceFixture.png(width: 50, height: 38)

    func post(_ query: String, paintings: [[UInt8]] = [], fields: [(String, String)] = []) throws -> TestClient.Response {
        try fixture.client.multipart("/stylize" + query, files: [("image", "photo.png", "image/png", photo)]
                                        + paintings.map { ("style_image", "painting.png", "image/png", $0) }, fields: fields)
    }

    func testTheSameSeedGivesTheSameBytesAndOtherSeedsOthers() throws {
        let a = try post("?model=munit&seed=7&format=png")
        XCTAssertEqual(a.status, 200, String(decoding: a.body, as: UTF8.self))
        XCTAssertEqual(a.headers["x-seed"], "7")
        XCTAssertEqual(a.headers["x-model"], "munit")
        let out = try ImageCodec.decode(a.body)
        XCTAssertEqual([out.width, out.height], [50, 38])
        XCTAssertEqual(try post("?model=munit&format=png", fields: [("seed", "7")]).body, a.body, "seed as a field is the query parameter")
        XCTAssertNotEqual(try post("?model=munit&seed=8&format=png").body, a.body)
        // seed= alone picks the model that draws codes; no style at all draws a seed and says which.
        XCTAssertEqual(try post("?seed=7&format=png").body, a.body)
        let drawn = try post("?model=munit&format=png")
        XCTAssertEqual(drawn.status, 200)
        let seed = try XCTUnwrap(drawn.headers["x-seed"])
        XCTAssertEqual(try post("?model=munit&format=png&seed=\(seed)").body, drawn.body)
    }

    /// samples=N: N parts of a multipart/mixed body with consecutive seeds, each the image that
    /// seed gives alone; layout=grid: one image of ⌈√N⌉ columns.
    func testSamplesComeAsMultipartPartsOrAGrid() throws {
        let r = try post("?model=munit&seed=3&samples=3&format=png")
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        let type = try XCTUnwrap(r.headers["content-type"])
        XCTAssertTrue(type.hasPrefix("multipart/mixed; boundary="), type)
        XCTAssertEqual(r.headers["x-seed"], "3,4,5")
        let boundary = String(type.dropFirst("multipart/mixed; boundary=".count))
        let parts = try Self.parts(r.body, boundary: boundary)
        XCTAssertEqual(parts.map(\.seed), ["3", "4", "5"])
        for p in parts { XCTAssertEqual(p.body, try post("?model=munit&format=png&seed=\(p.seed)").body) }
        XCTAssertNotEqual(parts[0].body, parts[1].body)

        let grid = try post("?model=munit&seed=3&samples=3&layout=grid&format=png")
        XCTAssertEqual(grid.headers["content-type"], "image/png")
        let g = try ImageCodec.decode(grid.body)
        XCTAssertEqual([g.width, g.height], [100, 76])
    }

    /// The parts of a multipart/mixed body: each one's X-Seed and body.
    static func parts(_ body: [UInt8], boundary: String) throws -> [(seed: String, body: [UInt8])] {
        let text = String(decoding: body, as: UTF8.self)   // headers only are read as text
        var out: [(String, [UInt8])] = []
        let delimiter = Array("--\(boundary)".utf8)
        var starts: [Int] = []
        var i = 0
        while i + delimiter.count <= body.count {
            if Array(body[i..<(i + delimiter.count)]) == delimiter { starts.append(i); i += delimiter.count } else { i += 1 }
        }
        XCTAssertTrue(text.hasSuffix("--\(boundary)--\r\n"))
        for (k, s) in starts.dropLast().enumerated() {
            let partStart = s + delimiter.count + 2, partEnd = starts[k + 1] - 2
            let part = Array(body[partStart..<partEnd])
            guard let split = (0..<(part.count - 3)).first(where: { part[$0] == 13 && part[$0 + 1] == 10 && part[$0 + 2] == 13 && part[$0 + 3] == 10 }) else {
                struct Malformed: Error {}
                throw Malformed()
            }
            let head = String(decoding: part[..<split], as: UTF8.self)
            let seed = head.split(separator: "\r\n").first { $0.hasPrefix("X-Seed: ") }.map { String($0.dropFirst(8)) } ?? ""
            out.append((seed, Array(part[(split + 4)...])))
        }
        return out
    }

    func testAnExamplePaintingAndTheOtherDirection() throws {
        let painting = ArbitraryStyleEndpointTests.painting()
        let guided = try post("?model=munit&format=png", paintings: [painting])
        XCTAssertEqual(guided.status, 200, String(decoding: guided.body, as: UTF8.self))
        XCTAssertNil(guided.headers["x-seed"])
        XCTAssertNotEqual(guided.body, try post("?model=munit&format=png", paintings: [ArbitraryStyleEndpointTests.painting(phase: 3), painting]).body)
        let back = try post("?model=munit&format=png&seed=7&direction=b2a")
        XCTAssertEqual(back.status, 200)
        XCTAssertNotEqual(back.body, try post("?model=munit&format=png&seed=7").body)
    }

    func testBadSeedsSamplesAndCombinationsAreRefused() throws {
        XCTAssertEqual(try post("?model=munit&seed=-1").status, 400)
        XCTAssertEqual(try post("?model=munit&seed=x").status, 400)
        XCTAssertEqual(try post("?model=munit&samples=17").status, 400)
        XCTAssertEqual(try post("?model=munit&samples=0").status, 400)
        XCTAssertEqual(try post("?model=munit&layout=grid").status, 400, "layout without samples")
        XCTAssertEqual(try post("?model=munit&samples=2&layout=row").status, 400)
        XCTAssertEqual(try post("?model=munit&direction=up").status, 400)
        XCTAssertEqual(try post("?model=munit&seed=1&style=3").errorCode, "conflicting_styles")
        XCTAssertEqual(try post("?model=munit&seed=1", paintings: [ArbitraryStyleEndpointTests.painting()]).errorCode, "conflicting_styles")
        XCTAssertEqual(try post("?model=multistyle26&seed=1").errorCode, "model_takes_no_seed")
        XCTAssertEqual(try post("?model=multistyle26&direction=a2b").errorCode, "model_takes_no_seed")
        XCTAssertEqual(try post("?model=munit&style=0").errorCode, "unknown_style")
    }

    /// `POST /styles?model=munit` with a seed or a painting: 201, ready at once; usable by id, in
    /// blends (interpolated codes) and masks; the seed style equals stylizing with that seed.
    func testStoredStyleCodes() throws {
        let bySeed = try fixture.client.request("POST", "/styles?model=munit&seed=7&name=seven")
        XCTAssertEqual(bySeed.status, 201, String(decoding: bySeed.body, as: UTF8.self))
        let id = try XCTUnwrap((bySeed.json?["style"] as? [String: Any])?["id"] as? Int)
        let byPainting = try fixture.client.multipart("/styles?model=munit", files: [("image", "p.png", "image/png", ArbitraryStyleEndpointTests.painting())])
        XCTAssertEqual(byPainting.status, 201, String(decoding: byPainting.body, as: UTF8.self))
        let other = try XCTUnwrap((byPainting.json?["style"] as? [String: Any])?["id"] as? Int)

        XCTAssertEqual(try post("?format=png&style=\(id)").body, try post("?model=munit&format=png&seed=7").body)
        XCTAssertEqual(try post("?format=png&style=\(other)").body, try post("?model=munit&format=png", paintings: [ArbitraryStyleEndpointTests.painting()]).body)
        let blend = try post("?format=png&style=\(id):0.5,\(other):0.5")
        XCTAssertEqual(blend.status, 200)
        // A seed style has no painting: its image is the model's preview of it.
        let preview = try fixture.client.request("GET", "/styles/\(id)/image")
        XCTAssertEqual(preview.headers["content-type"], "image/png", String(decoding: preview.body, as: UTF8.self))
        XCTAssertEqual(try fixture.client.request("POST", "/styles?model=magenta&seed=7").errorCode, "model_takes_no_seed")
        XCTAssertEqual(try fixture.client.request("POST", "/styles?seed=7").errorCode, "model_takes_no_seed")
        XCTAssertEqual(try fixture.client.multipart("/styles?model=munit&seed=7", files: [("image", "p.png", "image/png", photo)]).errorCode, "conflicting_styles")
        XCTAssertEqual(try fixture.client.request("DELETE", "/styles/\(id)").status, 204)
    }
}
