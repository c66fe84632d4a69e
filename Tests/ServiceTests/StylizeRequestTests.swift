import XCTest
import HTTP
@testable import Service

/// `POST /stylize`'s parameters parsed without HTTP: every name from the query or a multipart
/// field alike, unknown or repeated names refused by name, and the style combinations sorted out.
final class StylizeRequestTests: XCTestCase {
    func parameters(query: [(String, String)] = [], fields: [String: [String]] = [:], files: [String: Int] = ["image": 1]) throws -> RequestParameters {
        var upload = try Upload(HTTPRequest(method: "POST", target: "/stylize", headers: HTTPHeaders(), body: [1]))
        upload.files = files.mapValues { [[UInt8]](repeating: [1, 2, 3], count: $0) }
        upload.fields = fields
        return try RequestParameters(query: query.map { (name: $0.0, value: $0.1) }, upload: upload, route: "POST /stylize",
                                     known: StylizeRequest.textParameters, files: StylizeRequest.fileParameters, repeatable: ["style_image"])
    }

    func request(query: [(String, String)] = [], fields: [String: [String]] = [:], paintings: Int = 0, mask: Bool = false) throws -> StylizeRequest {
        var files = ["image": 1]
        if paintings > 0 { files["style_image"] = paintings }
        if mask { files["mask"] = 1 }
        return try StylizeRequest(parameters(query: query, fields: fields, files: files), paintings: paintings, hasMask: mask)
    }

    func code(_ body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch let e as APIError { return e.code } catch { return "\(error)" }
    }

    func testQueryAndFieldAreTheSame() throws {
        let q = try request(query: [("strength", "0.25"), ("preserve_color", "yes"), ("max_size", "300"), ("format", "png"), ("quality", "70")])
        let f = try request(fields: ["strength": ["0.25"], "preserve_color": ["yes"], "max_size": ["300"], "format": ["png"], "quality": ["70"]])
        XCTAssertEqual(q, f)
        XCTAssertEqual(q.strength, 0.25)
        XCTAssertTrue(q.preserveColor)
        XCTAssertEqual(q.maxSide, 300)
        XCTAssertEqual(q.format, .png)
        XCTAssertEqual(q.quality, 70)
        XCTAssertEqual(q.styles, .catalogue(try StyleBlend(parsing: "0")))
    }

    func testUnknownAndRepeatedNamesAreRefusedByName() throws {
        for (query, fields) in [([("strenght", "1")], [:]), ([], ["colour": ["1"]])] as [([(String, String)], [String: [String]])] {
            XCTAssertThrowsError(try parameters(query: query, fields: fields)) { e in
                XCTAssertEqual((e as? APIError)?.code, "unknown_parameter")
                XCTAssertTrue((e as? APIError)!.message.contains(query.first?.0 ?? fields.keys.first!))
            }
        }
        XCTAssertEqual(code { try self.parameters(files: ["image": 1, "photo": 1]) }, "unknown_parameter")
        XCTAssertEqual(code { try self.parameters(query: [("style", "1")], fields: ["style": ["2"]]) }, "duplicate_parameter")
        XCTAssertEqual(code { try self.parameters(query: [("style", "1"), ("style", "1")]) }, "duplicate_parameter")
        XCTAssertEqual(code { try self.parameters(files: ["image": 2]) }, "duplicate_parameter")
        XCTAssertNoThrow(try parameters(files: ["image": 1, "style_image": 3]))
    }

    func testPaintingsWithWeights() throws {
        XCTAssertEqual(try request(paintings: 2).styles, .paintings(weights: [0.5, 0.5]))
        XCTAssertEqual(try request(query: [("weights", "3,1")], paintings: 2).styles, .paintings(weights: [0.75, 0.25]))
        XCTAssertEqual(code { try self.request(query: [("weights", "1,1,1")], paintings: 2) }, "weights_mismatch")
        XCTAssertEqual(code { try self.request(query: [("weights", "1,-1")], paintings: 2) }, "invalid_parameter")
        XCTAssertEqual(code { try self.request(query: [("weights", "1,nan")], paintings: 2) }, "invalid_parameter")
        XCTAssertEqual(code { try self.request(query: [("weights", "1")]) }, "invalid_parameter")
        XCTAssertEqual(code { try self.request(paintings: StylizeRequest.maxPaintings + 1) }, "invalid_parameter")
        let r = try request(fields: ["alpha": ["0.6"], "style_size": ["256"]], paintings: 1)
        XCTAssertEqual(r.alpha, 0.6)
        XCTAssertEqual(r.styleSize, 256)
        XCTAssertTrue(r.usesPaintings)
        XCTAssertEqual(code { try self.request(query: [("alpha", "1.5")], paintings: 1) }, "invalid_parameter")
        XCTAssertEqual(code { try self.request(query: [("style_size", "8")], paintings: 1) }, "invalid_parameter")
        XCTAssertEqual(code { try self.request(query: [("style_size", "256")]) }, "invalid_parameter")
    }

    func testStylesAndPaintingsDoNotMix() throws {
        XCTAssertEqual(code { try self.request(query: [("style", "3")], paintings: 1) }, "conflicting_styles")
        XCTAssertEqual(code { try self.request(query: [("styles", "3,4")], paintings: 2, mask: true) }, "conflicting_styles")
        XCTAssertEqual(try request(paintings: 3, mask: true).styles, .paintingRegions(count: 3))
        XCTAssertEqual(code { try self.request(query: [("weights", "1,1")], paintings: 2, mask: true) }, "invalid_parameter")
    }

    func testMaskRules() throws {
        XCTAssertEqual(try request(query: [("styles", "3, 7")], mask: true).styles, .regions([3, 7]))
        XCTAssertEqual(try request(query: [("styles", "3,7"), ("feather", "4")], mask: true).feather, 4)
        XCTAssertEqual(code { try self.request(query: [("styles", "3,7")]) }, "invalid_parameter")
        XCTAssertEqual(code { try self.request(mask: true) }, "invalid_parameter")
        XCTAssertEqual(code { try self.request(query: [("style", "3")], mask: true) }, "invalid_parameter")
        XCTAssertEqual(code { try self.request(query: [("feather", "4")]) }, "invalid_parameter")
        XCTAssertEqual(code { try self.request(query: [("styles", "3,x")], mask: true) }, "invalid_parameter")
    }

    func testRangesAreChecked() {
        for (name, value) in [("strength", "2"), ("strength", "nan"), ("preserve_color", "maybe"), ("max_size", "5"), ("max_size", "99999"),
                              ("quality", "0"), ("format", "gif"), ("feather", "-1"), ("style", "3:0"), ("style", "x")] {
            XCTAssertEqual(code { try self.request(query: [(name, value)], mask: name == "feather") }, "invalid_parameter", "\(name)=\(value)")
        }
    }

    /// MUNIT's parameters: seeds and samples draw codes; layout and direction; what conflicts.
    func testSeedsSamplesLayoutAndDirection() throws {
        let r = try request(query: [("seed", "42"), ("samples", "4"), ("layout", "grid"), ("direction", "b2a")])
        XCTAssertEqual(r.styles, .drawn(seed: 42))
        XCTAssertEqual([r.samples], [4])
        XCTAssertEqual(r.layout, .grid)
        XCTAssertEqual(r.reverse, true)
        XCTAssertTrue(r.usesCodes)
        XCTAssertEqual(try request(fields: ["seed": ["42"], "samples": ["4"], "layout": ["grid"], "direction": ["b2a"]]), r)
        XCTAssertEqual(try request(query: [("samples", "3")]).styles, .drawn(seed: nil))
        XCTAssertEqual(try request(query: [("direction", "a2b")]).reverse, false)
        XCTAssertTrue(try request(query: [("direction", "a2b")]).usesCodes, "an explicit direction still needs a model that has one")
        XCTAssertFalse(try request().usesCodes)
        XCTAssertFalse(try request().namesStyle)
        XCTAssertTrue(try request(query: [("style", "0")]).namesStyle)

        XCTAssertEqual(code { try self.request(query: [("seed", "1"), ("style", "3")]) }, "conflicting_styles")
        XCTAssertEqual(code { try self.request(query: [("seed", "1")], paintings: 1) }, "conflicting_styles")
        XCTAssertEqual(code { try self.request(query: [("samples", "2"), ("styles", "1,2")], mask: true) }, "conflicting_styles")
        XCTAssertEqual(code { try self.request(query: [("seed", "1")], mask: true) }, "invalid_parameter")
        XCTAssertEqual(code { try self.request(query: [("layout", "grid")]) }, "invalid_parameter")
        for bad in [("seed", "-1"), ("seed", "9007199254740992"), ("samples", "0"), ("samples", "17"), ("direction", "sideways")] {
            XCTAssertEqual(code { try self.request(query: [bad]) }, "invalid_parameter", "\(bad)")
        }
    }
}
