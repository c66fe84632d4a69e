import XCTest
import HTTP
import ImageIO
import Models
import Tensor
import Training
@testable import Service

/// `POST /styles` end to end over HTTP: real training jobs (a few steps at 64² against a randomly
/// initialized auto-encoder and the real VGG16), the job lifecycle, restarts and the errors.
final class StyleLearningTests: XCTestCase {
    var root: URL!
    var data: URL { root.appendingPathComponent("data") }
    var photos: URL { root.appendingPathComponent("photos") }

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-learn-\(UUID())")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        for i in 0..<3 {
            let png = try ImageCodec.encodePNG(ServiceFixture.image(width: 80 + 16 * i, height: 72))
            try Data(png).write(to: photos.appendingPathComponent("photo\(i).png"))
        }
    }
    override func tearDown() { try? FileManager.default.removeItem(at: root) }

    static let modelsDirectory = ProcessInfo.processInfo.environment["ATELIER_MODELS"].map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("data/models")

    /// multistyle26 plus a StyleBank with built-in styles 0 and 1 (random weights; the same every call).
    /// `seed` picks the auto-encoder's random weights (another seed: "an upgrade shipped new weights").
    static func registry(withStyleBank: Bool = true, seed: UInt64 = 1) throws -> ModelRegistry {
        var models: [StyleModel] = [ServiceFixture.registry.models["multistyle26"]!]
        if withStyleBank {
            // One residual block on each side, as the shipped layout has (two), so learning runs through them.
            let weights = StyleBankArchitecture(encoderResiduals: 1, decoderResiduals: 1).initialWeights(styles: [0, 1], seed: seed)
            models.append(try StyleBankModel(weights: weights, styles: [(0, "a"), (1, "b")]))
        }
        return ModelRegistry(models: models, defaultModel: "multistyle26")
    }

    func makeFixture(registry: ModelRegistry? = nil, _ configure: (inout ServiceConfig) -> Void = { _ in }) throws -> ServiceFixture {
        let registry = try registry ?? Self.registry()
        return try ServiceFixture(registry: registry) { [self] config in
            config.dataDirectory = data
            config.modelsDirectory = Self.modelsDirectory
            config.trainingPhotosDirectory = photos
            config.checkpointSeconds = 0
            configure(&config)
        }
    }

    func postStyle(_ client: TestClient, fields: [(String, String)] = [("iterations", "3"), ("size", "64")],
                   image: [UInt8] = ServiceFixture.png(width: 90, height: 70)) throws -> TestClient.Response {
        try client.multipart("/styles", files: [("image", "painting.png", "image/png", image)], fields: fields)
    }

    func waitForJob(_ client: TestClient, _ id: String, until done: ([String: Any]) -> Bool, timeout: TimeInterval = 120) throws -> [String: Any] {
        let end = Date().addingTimeInterval(timeout)
        while true {
            let job = try XCTUnwrap(client.request("GET", "/jobs/\(id)").json)
            if done(job) || Date() > end { return job }
            usleep(50_000)
        }
    }

    func stylize(_ client: TestClient, _ query: String) throws -> TestClient.Response {
        try client.request("POST", "/stylize?\(query)", headers: [("Content-Type", "image/png")], body: ServiceFixture.png(width: 40, height: 32))
    }

    func testLearnUseRestartAndDeleteAStyle() throws {
        var fixture: ServiceFixture? = try makeFixture()
        var client = fixture!.client
        let created = try postStyle(client, fields: [("name", "Blue period"), ("iterations", "3"), ("size", "64")])
        XCTAssertEqual(created.status, 202, String(decoding: created.body, as: UTF8.self))
        let style = try XCTUnwrap(created.json?["style"] as? [String: Any])
        let job = try XCTUnwrap(created.json?["job"] as? [String: Any])
        let id = try XCTUnwrap(style["id"] as? Int)
        let jobID = try XCTUnwrap(job["id"] as? String)
        XCTAssertGreaterThanOrEqual(id, StoredStyle.firstID)
        XCTAssertEqual(style["name"] as? String, "Blue period")
        XCTAssertEqual(style["model"] as? String, "stylebank")
        XCTAssertEqual(style["status"] as? String, "training")
        XCTAssertEqual(created.headers["location"], "/jobs/\(jobID)")

        let finished = try waitForJob(client, jobID) { ($0["status"] as? String).map { ["succeeded", "failed", "cancelled"].contains($0) } ?? false }
        XCTAssertEqual(finished["status"] as? String, "succeeded", "\(finished)")
        XCTAssertEqual(finished["kind"] as? String, "train-style")
        XCTAssertEqual(finished["iteration"] as? Int, 3)
        XCTAssertEqual(finished["progress"] as? Double, 1)
        XCTAssertEqual(finished["style_id"] as? Int, id)
        XCTAssertNotNil(finished["loss"] as? Double)

        let listed = try XCTUnwrap(client.request("GET", "/styles").json?["styles"] as? [[String: Any]])
        XCTAssertTrue(listed.contains { $0["id"] as? Int == id && $0["status"] as? String == "ready" })
        let detail = try client.request("GET", "/styles/\(id)")
        XCTAssertEqual(detail.status, 200)
        XCTAssertEqual((detail.json?["settings"] as? [String: Any])?["iterations"] as? Int, 3)
        let image = try client.request("GET", "/styles/\(id)/image")
        XCTAssertEqual(image.status, 200)
        XCTAssertEqual(image.headers["content-type"], "image/png")
        XCTAssertEqual(try ImageCodec.probe(image.body).width, 90)

        // A learned id needs no model=: it is unique across models.
        let before = try stylize(client, "style=\(id)&format=png")
        XCTAssertEqual(before.status, 200)
        XCTAssertEqual(try stylize(client, "style=\(id):0.5,0:0.5&model=stylebank").status, 200, "blends with built-in banks")

        // Restart on the same data folder: the style is there and stylizes identically.
        fixture = nil
        fixture = try makeFixture()
        client = fixture!.client
        let after = try stylize(client, "style=\(id)&format=png")
        XCTAssertEqual(after.status, 200)
        XCTAssertEqual(after.body, before.body, "the bank served before the restart is the one stored (F16)")

        XCTAssertEqual(try client.request("DELETE", "/styles/\(id)").status, 204)
        XCTAssertEqual(try stylize(client, "style=\(id)").errorCode, "unknown_style")
        XCTAssertEqual(try stylize(client, "style=\(id)&model=stylebank").status, 404)
        XCTAssertEqual(try client.request("GET", "/styles/\(id)").status, 404)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("styles").path)
        XCTAssertEqual(leftovers, ["index.json"], "a deleted style leaves no files")
    }

    func testAStyleLearnedForOtherStyleBankWeightsIsLearnedAgain() throws {
        var fixture: ServiceFixture? = try makeFixture()
        let created = try postStyle(fixture!.client)
        let id = try XCTUnwrap((created.json?["style"] as? [String: Any])?["id"] as? Int)
        let jobID = try XCTUnwrap((created.json?["job"] as? [String: Any])?["id"] as? String)
        XCTAssertEqual(try waitForJob(fixture!.client, jobID) { $0["status"] as? String == "succeeded" }["status"] as? String, "succeeded")

        // Restart with other auto-encoder weights: the old bank would decode to noise.
        fixture = nil
        fixture = try makeFixture(registry: try Self.registry(seed: 100))
        let client = fixture!.client
        let style = try XCTUnwrap(client.request("GET", "/styles/\(id)").json?["style"] as? [String: Any])
        XCTAssertEqual(style["status"] as? String, "training", "\(style)")
        let newJob = try XCTUnwrap(style["job_id"] as? String)
        XCTAssertNotEqual(newJob, jobID)
        XCTAssertEqual(try waitForJob(client, newJob) { $0["status"] as? String == "succeeded" }["status"] as? String, "succeeded")
        XCTAssertEqual(try stylize(client, "style=\(id)").status, 200)
        let model = try XCTUnwrap(Self.registry(seed: 100).models["stylebank"] as? StyleBankModel)
        let store = try LocalStyleStore(directory: data.appendingPathComponent("styles"))
        XCTAssertEqual(try store.bank(id).autoencoder, model.autoencoderFingerprint)
        XCTAssertNotEqual(model.autoencoderFingerprint, (try Self.registry().models["stylebank"] as? StyleBankModel)?.autoencoderFingerprint)
    }

    /// A new style is learned with the loss weights the built-in banks were trained with (the
    /// weight file's record), at the request's size and batch.
    func testNewStylesUseTheBankLossWeights() throws {
        let weights = StyleBankArchitecture(encoderResiduals: 0, decoderResiduals: 0).initialWeights(styles: [0], seed: 1)
        let recorded = LossWeights(content: 1, style: 2.5, tv: 3e-5, shallowContent: 0.5)
        let model = try StyleBankModel(weights: weights, styles: [(0, "a")], lossWeights: recorded)
        let settings = TrainingSettings.preset(.quick)
        let config = StyleLearning.trainingConfig(settings, lossWeights: model.lossWeights, seed: 1000)
        XCTAssertEqual(config.lossWeights, recorded)
        XCTAssertEqual(config.shallowContentWeight, 0.5, "a new style is learned with the bank's relu2_2 content term too")
        XCTAssertEqual(config.cropSize, settings.size)
        XCTAssertEqual(config.batchSize, settings.batch)
        XCTAssertEqual(config.seed, 1000)
        XCTAssertEqual(try StyleBankModel(weights: weights, styles: [(0, "a")]).lossWeights, LossWeights(StyleBankTrainingConfig()))
    }

    /// A painting is stored at up to 1024 px on its shorter side and trained at the bank's style
    /// size, scaled up or down as `atelier train` scales the built-in ones; a panorama's longer
    /// side is held to twice the style size.
    func testNewStylesAreScaledToTheBankStyleSize() {
        func image(_ w: Int, _ h: Int) -> RGBImage { RGBImage(width: w, height: h, pixels: [UInt8](repeating: 128, count: w * h * 3)) }
        let stored = StyleLearning.storedImage(image(3000, 2000))
        XCTAssertEqual([stored.width, stored.height], [1536, 1024])
        XCTAssertEqual([StyleLearning.storedImage(image(400, 300)).width, StyleLearning.storedImage(image(400, 300)).height], [400, 300])
        let up = StyleLearning.trainingImage(image(400, 300), styleSize: 768)
        XCTAssertEqual([up.width, up.height], [1024, 768])
        let down = StyleLearning.trainingImage(stored, styleSize: 384)
        XCTAssertEqual([down.width, down.height], [576, 384])
        let panorama = StyleLearning.trainingImage(image(4000, 500), styleSize: 768)
        XCTAssertEqual(max(panorama.width, panorama.height), 1536)
    }

    func testATimeBudgetEndsTrainingWithTheStepsDone() throws {
        let fixture = try makeFixture()
        let client = fixture.client
        let created = try postStyle(client, fields: [("iterations", "20000"), ("size", "64"), ("seconds", "3")])
        XCTAssertEqual(created.status, 202, String(decoding: created.body, as: UTF8.self))
        let id = try XCTUnwrap((created.json?["style"] as? [String: Any])?["id"] as? Int)
        let jobID = try XCTUnwrap((created.json?["job"] as? [String: Any])?["id"] as? String)
        let finished = try waitForJob(client, jobID) { ($0["status"] as? String).map { ["succeeded", "failed", "cancelled"].contains($0) } ?? false }
        XCTAssertEqual(finished["status"] as? String, "succeeded", "\(finished)")
        let steps = try XCTUnwrap(finished["iteration"] as? Int)
        XCTAssertGreaterThan(steps, 0)
        XCTAssertLessThan(steps, 20000, "the budget, not the step count, ended it")
        XCTAssertEqual(finished["progress"] as? Double, 1)
        let detail = try XCTUnwrap(client.request("GET", "/styles/\(id)").json)
        XCTAssertEqual(detail["trained_iterations"] as? Int, steps)
        XCTAssertEqual((detail["settings"] as? [String: Any])?["seconds"] as? Int, 3)
        XCTAssertEqual((detail["style"] as? [String: Any])?["status"] as? String, "ready")
        XCTAssertLessThan(try XCTUnwrap(detail["training_seconds"] as? Double), 60)
        XCTAssertEqual(try stylize(client, "style=\(id)").status, 200)
    }

    func testPresetsBudgetsAndOverrides() throws {
        let standard = try TrainingSettings.from(preset: nil, iterations: nil, size: nil)
        XCTAssertEqual(standard, TrainingSettings.preset(.standard))
        XCTAssertNotNil(standard.seconds, "the default preset is bounded by time")
        XCTAssertNil(try TrainingSettings.from(preset: "standard", iterations: "50", size: nil).seconds,
                     "an explicit step count is trained in full")
        XCTAssertEqual(try TrainingSettings.from(preset: "quick", iterations: "50", size: nil, seconds: "40").seconds, 40)
        XCTAssertThrowsError(try TrainingSettings.from(preset: nil, iterations: nil, size: nil, seconds: "0"))
        XCTAssertThrowsError(try TrainingSettings.from(preset: nil, iterations: nil, size: nil, seconds: "soon"))
        // A record written before budgets existed has no `seconds`: it decodes as no budget.
        let old = #"{"preset":"standard","iterations":300,"size":192,"batch":1}"#
        XCTAssertNil(try JSONDecoder().decode(TrainingSettings.self, from: Data(old.utf8)).seconds)

        let fixture = try makeFixture { $0.maxJobSeconds = 100 }
        let tooLong = try postStyle(fixture.client, fields: [("seconds", "101")])
        XCTAssertEqual(tooLong.status, 400)
        XCTAssertTrue(String(decoding: tooLong.body, as: UTF8.self).contains("at most 100"))
    }

    func testTrainingStyleAnswers409AndCancelRemovesIt() throws {
        let fixture = try makeFixture()
        let client = fixture.client
        let created = try postStyle(client, fields: [("iterations", "20000"), ("size", "64")])
        XCTAssertEqual(created.status, 202)
        let id = try XCTUnwrap((created.json?["style"] as? [String: Any])?["id"] as? Int)
        let jobID = try XCTUnwrap((created.json?["job"] as? [String: Any])?["id"] as? String)
        XCTAssertEqual((created.json?["style"] as? [String: Any])?["name"] as? String, "style-\(id)")

        let busy = try stylize(client, "style=\(id)")
        XCTAssertEqual(busy.status, 409)
        XCTAssertEqual(busy.errorCode, "style_not_ready")
        _ = try waitForJob(client, jobID) { ($0["iteration"] as? Int ?? 0) >= 1 }
        let running = try XCTUnwrap(client.request("GET", "/jobs/\(jobID)").json)
        XCTAssertEqual(running["status"] as? String, "running")
        XCTAssertNotNil(running["eta_seconds"] as? Double)

        XCTAssertEqual(try client.request("DELETE", "/jobs/\(jobID)").status, 202)
        let cancelled = try waitForJob(client, jobID) { $0["status"] as? String == "cancelled" }
        XCTAssertEqual(cancelled["status"] as? String, "cancelled")
        XCTAssertEqual(try client.request("GET", "/styles/\(id)").status, 404, "a cancelled style is removed")
        XCTAssertEqual(try client.request("DELETE", "/jobs/\(jobID)").errorCode, "job_finished")
    }

    /// One client may have `maxJobsPerClient` jobs queued or running; the next is 429 and leaves no style.
    func testJobsPerClientAreBounded() throws {
        let fixture = try makeFixture { $0.maxJobsPerClient = 1 }
        let long = [("iterations", "20000"), ("size", "64")]
        let first = try postStyle(fixture.client, fields: long)
        XCTAssertEqual(first.status, 202)
        let second = try postStyle(fixture.client, fields: long)
        XCTAssertEqual(second.status, 429)
        XCTAssertEqual(second.errorCode, "too_many_jobs")
        XCTAssertEqual(second.headers["retry-after"], "60")
        let styles = try XCTUnwrap(fixture.client.request("GET", "/styles").json?["styles"] as? [[String: Any]])
        XCTAssertEqual(styles.filter { ($0["id"] as? Int ?? 0) >= StoredStyle.firstID }.count, 1, "the refused style is not kept")
        let jobID = try XCTUnwrap((first.json?["job"] as? [String: Any])?["id"] as? String)
        XCTAssertEqual(try fixture.client.request("DELETE", "/jobs/\(jobID)").status, 202)
    }

    func testFullJobQueueAnswers503() throws {
        let fixture = try makeFixture { $0.jobQueueCapacity = 1; $0.maxJobsPerClient = 10 }
        let client = fixture.client
        let long = [("iterations", "20000"), ("size", "64")]
        let first = try postStyle(client, fields: long), second = try postStyle(client, fields: long)
        XCTAssertEqual([first.status, second.status], [202, 202])
        let third = try postStyle(client, fields: long)
        XCTAssertEqual(third.status, 503)
        XCTAssertEqual(third.errorCode, "job_queue_full")
        XCTAssertNotNil(third.headers["retry-after"])
        let styles = try XCTUnwrap(client.request("GET", "/styles").json?["styles"] as? [[String: Any]])
        XCTAssertEqual(styles.filter { ($0["id"] as? Int ?? 0) >= StoredStyle.firstID }.count, 2, "the refused style is not kept")

        // Cancelling the queued job removes its style at once and frees its queue slot.
        let queuedStyle = try XCTUnwrap((second.json?["style"] as? [String: Any])?["id"] as? Int)
        let queuedJob = try XCTUnwrap((second.json?["job"] as? [String: Any])?["id"] as? String)
        let cancelled = try client.request("DELETE", "/jobs/\(queuedJob)")
        XCTAssertEqual(cancelled.json?["status"] as? String, "cancelled")
        XCTAssertEqual(try client.request("GET", "/styles/\(queuedStyle)").status, 404)
        let again = try postStyle(client, fields: long)
        XCTAssertEqual(again.status, 202)
        for r in [first, again] {
            let id = try XCTUnwrap((r.json?["style"] as? [String: Any])?["id"] as? Int)
            XCTAssertEqual(try client.request("DELETE", "/styles/\(id)").status, 204, "deleting a training style cancels its job")
        }
    }

    func testAFailedJobMarksTheStyleFailed() throws {
        try Data("not a jpeg".utf8).write(to: photos.appendingPathComponent("broken.jpg"))
        for f in try FileManager.default.contentsOfDirectory(atPath: photos.path) where f.hasSuffix(".png") {
            try FileManager.default.removeItem(at: photos.appendingPathComponent(f))
        }
        let fixture = try makeFixture()
        let client = fixture.client
        let created = try postStyle(client)
        let id = try XCTUnwrap((created.json?["style"] as? [String: Any])?["id"] as? Int)
        let jobID = try XCTUnwrap((created.json?["job"] as? [String: Any])?["id"] as? String)
        let job = try waitForJob(client, jobID) { $0["status"] as? String == "failed" }
        XCTAssertEqual(job["status"] as? String, "failed")
        XCTAssertTrue((job["error"] as? String ?? "").contains("no usable"), "\(job)")
        let used = try stylize(client, "style=\(id)")
        XCTAssertEqual(used.status, 409)
        XCTAssertEqual(used.errorCode, "style_failed")
        XCTAssertEqual(try client.request("DELETE", "/styles/\(id)").status, 204)
    }

    func testShutdownMidTrainingResumesFromTheCheckpoint() throws {
        var fixture: ServiceFixture? = try makeFixture()
        let created = try postStyle(fixture!.client, fields: [("iterations", "12"), ("size", "64")])
        let id = try XCTUnwrap((created.json?["style"] as? [String: Any])?["id"] as? Int)
        let jobID = try XCTUnwrap((created.json?["job"] as? [String: Any])?["id"] as? String)
        _ = try waitForJob(fixture!.client, jobID) { ($0["iteration"] as? Int ?? 0) >= 2 }
        fixture = nil   // graceful stop mid-training
        let checkpoint = data.appendingPathComponent("styles/\(id).checkpoint.safetensors")
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint.path))
        let saved = try SafeTensors.load(checkpoint)
        let savedIteration = try XCTUnwrap(saved.metadata["iteration"].flatMap(Int.init))
        XCTAssertGreaterThanOrEqual(savedIteration, 1)
        XCTAssertTrue(saved.tensors.keys.allSatisfy { !$0.contains("encoder.") && !$0.contains("decoder.") }, "only the new bank is checkpointed")

        fixture = try makeFixture()
        let client = fixture!.client
        let old = try XCTUnwrap(client.request("GET", "/jobs/\(jobID)").json)
        XCTAssertEqual(old["status"] as? String, "failed")
        XCTAssertTrue((old["error"] as? String ?? "").hasPrefix("interrupted"))
        let style = try XCTUnwrap(client.request("GET", "/styles/\(id)").json?["style"] as? [String: Any])
        let newJob = try XCTUnwrap(style["job_id"] as? String)
        XCTAssertNotEqual(newJob, jobID, "the style was queued again")
        let done = try waitForJob(client, newJob) { $0["status"] as? String == "succeeded" }
        XCTAssertEqual(done["status"] as? String, "succeeded", "\(done)")
        XCTAssertEqual(try stylize(client, "style=\(id)").status, 200)
    }

    /// `kill -9` mid-training, simulated by copying the data folder of a live service (the files as
    /// a crash would leave them) and starting a second service on the copy.
    func testCrashImageResumesTheStyleAndFailsTheOldJob() throws {
        let live = try makeFixture()
        let created = try postStyle(live.client, fields: [("iterations", "12"), ("size", "64")])
        let id = try XCTUnwrap((created.json?["style"] as? [String: Any])?["id"] as? Int)
        let jobID = try XCTUnwrap((created.json?["job"] as? [String: Any])?["id"] as? String)
        _ = try waitForJob(live.client, jobID) { ($0["iteration"] as? Int ?? 0) >= 2 }
        let crashed = root.appendingPathComponent("crashed")
        try Self.copyLive(data, to: crashed)
        XCTAssertTrue(try String(contentsOf: crashed.appendingPathComponent("jobs.json"), encoding: .utf8).contains("\"running\""))

        let restarted = try makeFixture { $0.dataDirectory = crashed }
        let client = restarted.client
        let old = try XCTUnwrap(client.request("GET", "/jobs/\(jobID)").json)
        XCTAssertEqual(old["status"] as? String, "failed")
        XCTAssertEqual(old["error"] as? String, "interrupted: the service stopped while this job was running")
        let style = try XCTUnwrap(client.request("GET", "/styles/\(id)").json?["style"] as? [String: Any])
        let resumed = try XCTUnwrap(style["job_id"] as? String)
        XCTAssertNotEqual(resumed, jobID)
        XCTAssertEqual(try waitForJob(client, resumed) { $0["status"] as? String == "succeeded" }["status"] as? String, "succeeded")
        XCTAssertEqual(try stylize(client, "style=\(id)").status, 200)
    }

    /// Copies a data folder while its training job keeps writing into it, as a crash would leave it:
    /// a file that an atomic rename moves away between listing and copying (a checkpoint's temporary
    /// file) is skipped, as `copyItem` of the whole folder would fail on it.
    static func copyLive(_ source: URL, to destination: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: destination, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: source.path) {
            let from = source.appendingPathComponent(name), to = destination.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: from.path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue { try copyLive(from, to: to); continue }
            guard let bytes = fm.contents(atPath: from.path) else { continue }   // renamed away meanwhile
            try bytes.write(to: to)
        }
    }

    func testBadRequests() throws {
        let fixture = try makeFixture()
        let client = fixture.client
        XCTAssertEqual(try client.multipart("/styles", files: [], fields: [("name", "x")]).errorCode, "missing_image")
        XCTAssertEqual(try postStyle(client, fields: [("preset", "turbo")]).status, 400)
        XCTAssertEqual(try postStyle(client, fields: [("iterations", "0")]).status, 400)
        XCTAssertEqual(try postStyle(client, fields: [("size", "66")]).status, 400)
        XCTAssertEqual(try postStyle(client, fields: [("name", String(repeating: "n", count: 65))]).status, 400)
        XCTAssertEqual(try postStyle(client, image: ServiceFixture.png(width: 40, height: 200)).errorCode, "image_too_small")
        XCTAssertEqual(try postStyle(client, image: Array("GIF89a".utf8)).status, 415)
        XCTAssertEqual(try client.request("DELETE", "/styles/0?model=stylebank").errorCode, "builtin_style")
        XCTAssertEqual(try client.request("DELETE", "/styles/3").errorCode, "builtin_style")
        XCTAssertEqual(try client.request("GET", "/styles/0/image?model=stylebank").headers["content-type"], "image/png", "a built-in style's preview")
        XCTAssertEqual(try client.request("GET", "/styles/0/image?size=2").errorCode, "unknown_parameter")
        XCTAssertEqual(try client.request("GET", "/styles/abc").status, 404)
        XCTAssertEqual(try client.request("GET", "/styles/99999").errorCode, "unknown_style")
        XCTAssertEqual(try client.request("GET", "/jobs/nope").errorCode, "unknown_job")
        XCTAssertEqual(try client.request("PUT", "/jobs/nope").status, 405)
        XCTAssertEqual(try XCTUnwrap(client.request("GET", "/jobs").json?["jobs"] as? [Any]).count, 0, "no request above started a job")
    }

    func testWithoutAStyleBankOrTrainingPhotosLearningIsUnavailable() throws {
        let plain = try makeFixture(registry: Self.registry(withStyleBank: false))
        XCTAssertEqual(try postStyle(plain.client).status, 503)
        XCTAssertEqual(try postStyle(plain.client).errorCode, "training_unavailable")

        let noPhotos = try makeFixture { $0.trainingPhotosDirectory = self.root.appendingPathComponent("missing") }
        let r = try postStyle(noPhotos.client)
        XCTAssertEqual(r.errorCode, "training_unavailable")
        XCTAssertTrue(String(decoding: r.body, as: UTF8.self).contains("training photos"))
    }

    func testRouterMatchesParametersAndPrefersLiterals() {
        var router = Router()
        router.add("GET", "/styles/{id}") { _, _ in }
        router.add("GET", "/styles/{id}/image") { _, _ in }
        router.add("GET", "/styles/special") { _, _ in }
        XCTAssertEqual(router.match("/styles/12")?.parameters, ["id": "12"])
        XCTAssertEqual(router.match("/styles/12/image")?.route.pattern, "/styles/{id}/image")
        XCTAssertEqual(router.match("/styles/special")?.route.pattern, "/styles/special")
        XCTAssertNil(router.match("/styles/"))
        XCTAssertNil(router.match("/styles"))
        XCTAssertNil(router.match("/styles/1/image/x"))
    }
}
