import XCTest
import ImageIO
@testable import Service

/// `GET /` (the web page) and the previews of built-in styles its style picker shows, over real
/// HTTP. What the page does in a browser is tested by scripts/test_web_page.py (`make test`).
final class WebPageTests: XCTestCase {
    func testPageIsServedWithItsControls() throws {
        let fixture = try ServiceFixture()
        let page = try fixture.client.request("GET", "/")
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.headers["content-type"], "text/html; charset=utf-8")
        XCTAssertNotNil(page.headers["content-security-policy"])
        let html = String(decoding: page.body, as: UTF8.self)
        for element in [#"<input id="photo" name="photo" type="file""#, #"id="drop""#, #"id="styles""#,
                        #"<input id="strength" type="range""#, #"<input id="preserve-color" type="checkbox">"#,
                        #"<button id="stylize" type="submit""#, #"<img id="result""#, #"<a id="download""#,
                        #"<form id="learn-form""#, #"<input id="painting" type="file""#, #"<select id="preset">"#,
                        #"<progress id="progress""#, #"<input id="token" type="password""#, #"role="alert""#,
                        #"<meta name="viewport""#] {
            XCTAssertTrue(html.contains(element), "the page lacks \(element)")
        }
        // The presets are written from TrainingSettings, so the page cannot drift from them.
        XCTAssertTrue(html.contains(#"<option value="quick">quick: 100 steps, ≤ 1 min 30 s</option>"#))
        XCTAssertTrue(html.contains(#"<option value="standard" selected>standard: 400 steps, ≤ 4 min 30 s</option>"#))
        XCTAssertFalse(html.contains("/*STYLE*/") || html.contains("/*SCRIPT*/"), "style sheet and script are inlined")
        XCTAssertTrue(html.contains("fetch(path") && html.contains(":focus-visible"))

        XCTAssertEqual(try fixture.client.request("HEAD", "/").status, 200)
        XCTAssertEqual(try fixture.client.request("GET", "/?debug=1").errorCode, "unknown_parameter")
        XCTAssertEqual(try fixture.client.request("POST", "/").status, 405)
        XCTAssertEqual(try fixture.client.request("GET", "/index.html").status, 404)
    }

    /// With tokens the page still loads (it holds no data) while the API it calls needs them.
    func testPageIsOpenWhenReadsNeedAToken() throws {
        let fixture = try ServiceFixture { $0.access = AccessPolicy(writeToken: "w", readToken: "r") }
        XCTAssertEqual(try fixture.client.request("GET", "/").status, 200)
        XCTAssertEqual(try fixture.client.request("GET", "/styles").status, 401)
        XCTAssertEqual(try fixture.client.request("GET", "/styles", headers: [("Authorization", "Bearer r")]).status, 200)
    }

    /// Built-in styles keep no painting; their image is a preview the model paints, the same on
    /// every call, and different from style to style.
    func testBuiltInStylesHavePreviews() throws {
        let fixture = try ServiceFixture()
        var previews: [[UInt8]] = []
        for (model, id) in [("multistyle26", 3), ("multistyle26", 4), ("stylebank", 3)] where ServiceFixture.registry.models[model] != nil {
            let r = try fixture.client.request("GET", "/styles/\(id)/image?model=\(model)")
            XCTAssertEqual(r.status, 200, "\(model) \(id): \(String(decoding: r.body, as: UTF8.self))")
            XCTAssertEqual(r.headers["content-type"], "image/png")
            let image = try ImageCodec.decode(r.body)
            XCTAssertEqual([image.width, image.height], [StyleSwatches.side, StyleSwatches.side])
            XCTAssertEqual(try fixture.client.request("GET", "/styles/\(id)/image?model=\(model)").body, r.body, "kept after the first call")
            previews.append(r.body)
        }
        XCTAssertGreaterThanOrEqual(previews.count, 2)
        XCTAssertEqual(Set(previews).count, previews.count, "each style paints its own preview")
        XCTAssertEqual(try fixture.client.request("GET", "/styles/99/image?model=multistyle26").errorCode, "unknown_style")
    }

    /// The scene previews are painted from has the shapes and colours a photo has, not a flat field.
    func testSwatchSceneHasSkyGroundAndShapes() {
        let scene = SwatchScene.draw(side: 64)
        XCTAssertEqual([scene.width, scene.height], [64, 64])
        let sky = scene.pixel(x: 10, y: 2), ground = scene.pixel(x: 60, y: 62), sun = scene.pixel(x: 46, y: 17)
        XCTAssertGreaterThan(sky[2], sky[0], "blue sky at the top")
        XCTAssertGreaterThan(ground[1], ground[2], "green ground at the bottom")
        XCTAssertGreaterThan(sun[0], 200, "a bright sun")
        XCTAssertGreaterThan(Set(stride(from: 0, to: scene.pixels.count, by: 3).map { scene.pixels[$0] }).count, 20)
    }
}
