import Foundation
import ImageIO
import Models
import Tensor
import XCTest
@testable import Service

/// What every `StyleRepository` must do, checked the same way against each store
/// (LocalStyleStoreTests, PostgresStyleStoreTests). `open` gives a handle on the one store under
/// test: a second handle is what another replica (Postgres) or another thread (folder) would use.
struct StyleStoreContract {
    let open: () throws -> StyleRepository

    static let settings = TrainingSettings.preset(.quick)

    static func tensors(_ seed: Float) -> [String: Tensor] {
        ["mu": Tensor(shape: [1, 4], values: [seed, 1, 2, 3]), "sigma": Tensor(shape: [2, 2], values: [0.5, 0.25, seed, 8])]
    }

    func addUpdateAndList(file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try open()
        XCTAssertEqual(try store.count(), 0, file: file, line: line)
        let trained = try store.add(name: "waves", image: ServiceFixture.image(width: 80, height: 64), settings: Self.settings)
        let registered = try store.add(name: "", model: "adain", image: nil, data: (Self.tensors(1), ["model": "adain"]))
        XCTAssertGreaterThanOrEqual(trained.id, StoredStyle.firstID, file: file, line: line)
        XCTAssertGreaterThan(registered.id, trained.id, "ids increase", file: file, line: line)
        XCTAssertEqual(trained.status, .training, file: file, line: line)
        XCTAssertEqual(registered.status, .ready, file: file, line: line)

        try store.update(registered.id) { $0.name = "style-\(registered.id)" }
        try store.update(trained.id) { $0.status = .ready; $0.finalLoss = 1.5; $0.trainedIterations = 99; $0.jobID = "job-1" }
        try store.update(999_999) { $0.name = "nobody" }   // not stored: nothing happens

        let listed = try store.all()
        XCTAssertEqual(listed.map(\.id), [trained.id, registered.id], file: file, line: line)
        XCTAssertEqual(try store.count(), 2, file: file, line: line)
        let t = try XCTUnwrap(try store.style(trained.id), file: file, line: line)
        XCTAssertEqual([t.name, t.model, t.jobID], ["waves", "stylebank", "job-1"], file: file, line: line)
        XCTAssertEqual(t.status, .ready, file: file, line: line)
        XCTAssertEqual(t.settings, Self.settings, file: file, line: line)
        XCTAssertEqual(t.finalLoss, 1.5, file: file, line: line)
        XCTAssertEqual(t.trainedIterations, 99, file: file, line: line)
        XCTAssertEqual(Int(t.createdAt.timeIntervalSinceNow.magnitude) < 60, true, file: file, line: line)
        XCTAssertEqual(try store.style(registered.id)?.name, "style-\(registered.id)", file: file, line: line)
        XCTAssertEqual(try store.style(registered.id)?.model, "adain", file: file, line: line)
        XCTAssertNil(try store.style(999_999), file: file, line: line)

        // Another handle (replica or thread) sees the same records.
        XCTAssertEqual(try open().all(), listed, file: file, line: line)
    }

    func filesRoundTrip(file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try open()
        let image = ServiceFixture.image(width: 96, height: 70)
        let trained = try store.add(name: "a", image: image, settings: Self.settings)
        let registered = try store.add(name: "b", model: "adain", image: nil, data: (Self.tensors(7), ["model": "adain", "style_size": "256"]))

        let back = try store.image(trained.id)
        XCTAssertEqual([back.width, back.height], [96, 70], file: file, line: line)
        XCTAssertEqual(back.pixels, image.pixels, "PNG is lossless", file: file, line: line)
        XCTAssertNil(try store.file(.image, of: registered.id), "a style drawn without a painting has no image", file: file, line: line)

        let data = try store.data(registered.id)
        XCTAssertEqual(data.tensors["sigma"]?.scalars, Self.tensors(7)["sigma"]?.scalars, file: file, line: line)
        XCTAssertEqual(data.tensors["mu"]?.shape, [1, 4], file: file, line: line)
        XCTAssertEqual(data.metadata, ["model": "adain", "style_size": "256", "style": String(registered.id)], file: file, line: line)

        XCTAssertNil(try store.checkpoint(trained.id), file: file, line: line)
        try store.writeCheckpoint(trained.id, (Self.tensors(3), ["iteration": "40"]))
        XCTAssertEqual(try store.checkpoint(trained.id)?.metadata["iteration"], "40", file: file, line: line)
        XCTAssertEqual(try store.checkpoint(trained.id)?.tensors["mu"]?.scalars, [3, 1, 2, 3], file: file, line: line)
        try store.writeBank(trained.id, weights: Self.tensors(2), autoencoder: "ae-1")
        let bank = try store.bank(trained.id)
        XCTAssertEqual(bank.autoencoder, "ae-1", file: file, line: line)
        XCTAssertEqual(bank.weights["sigma"]?.scalars, [0.5, 0.25, 2, 8], "F16 holds these exactly", file: file, line: line)
        try store.deleteFile(.checkpoint, of: trained.id)
        try store.deleteFile(.checkpoint, of: trained.id)   // gone already: nothing happens
        XCTAssertNil(try store.checkpoint(trained.id), file: file, line: line)
        XCTAssertNotNil(try open().file(.data, of: trained.id), "another handle reads the bank", file: file, line: line)
    }

    func delete(file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try open()
        let kept = try store.add(name: "kept", image: ServiceFixture.image(width: 64, height: 64), settings: Self.settings)
        let gone = try store.add(name: "gone", image: ServiceFixture.image(width: 64, height: 64), settings: Self.settings)
        try store.writeCheckpoint(gone.id, (Self.tensors(1), [:]))
        try store.remove(gone.id)
        try store.remove(gone.id)   // gone already: nothing happens
        XCTAssertNil(try store.style(gone.id), file: file, line: line)
        for kind in StyleFile.allCases { XCTAssertNil(try store.file(kind, of: gone.id), "\(kind)", file: file, line: line) }
        // A job finishing after the delete must not bring files back.
        try store.writeBank(gone.id, weights: Self.tensors(1), autoencoder: "ae")
        XCTAssertNil(try store.file(.data, of: gone.id), file: file, line: line)
        XCTAssertEqual(try store.all().map(\.id), [kept.id], file: file, line: line)
        XCTAssertNotNil(try store.file(.image, of: kept.id), file: file, line: line)
        let next = try store.add(name: "next", model: "stylebank", image: nil, settings: Self.settings)
        XCTAssertGreaterThan(next.id, gone.id, "a deleted style's id is never handed out again", file: file, line: line)
    }

    /// Adds from two handles at once: every id distinct, every style kept.
    func concurrentAddsGetUniqueIDs(file: StaticString = #filePath, line: UInt = #line) throws {
        let handles = [try open(), try open()]
        let perHandle = 12
        let lock = NSLock()
        var ids: [Int] = [], errors: [String] = []
        DispatchQueue.concurrentPerform(iterations: 2 * perHandle) { i in
            do {
                let style = try handles[i % 2].add(name: "s\(i)", model: "adain", image: nil, data: (Self.tensors(Float(i)), [:]))
                lock.withLock { ids.append(style.id) }
            } catch { lock.withLock { errors.append("\(error)") } }
        }
        XCTAssertEqual(errors, [], file: file, line: line)
        XCTAssertEqual(Set(ids).count, 2 * perHandle, "ids are unique: \(ids.sorted())", file: file, line: line)
        XCTAssertEqual(try handles[0].count(), 2 * perHandle, file: file, line: line)
        // Each style kept its own data under its own id.
        for style in try handles[1].all() {
            XCTAssertEqual(try handles[0].data(style.id).metadata["style"], String(style.id), file: file, line: line)
        }
    }

    /// Read-change-write updates from two handles at once: none is lost.
    func concurrentUpdatesAreNotLost(file: StaticString = #filePath, line: UInt = #line) throws {
        let handles = [try open(), try open()]
        let style = try handles[0].add(name: "counter", model: "stylebank", image: nil, settings: Self.settings)
        let updates = 20
        let lock = NSLock()
        var errors: [String] = []
        DispatchQueue.concurrentPerform(iterations: updates) { i in
            do { try handles[i % 2].update(style.id) { $0.trainedIterations = ($0.trainedIterations ?? 0) + 1 } } catch {
                lock.withLock { errors.append("\(error)") }
            }
        }
        XCTAssertEqual(errors, [], file: file, line: line)
        XCTAssertEqual(try handles[1].style(style.id)?.trainedIterations, updates, file: file, line: line)
    }
}
