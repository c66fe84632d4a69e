import Foundation
import XCTest
@testable import Service

/// The style store contract against the data-folder store. Its "second handle" is the same
/// store object: one process owns a folder, so concurrency there is between threads.
final class LocalStyleStoreTests: XCTestCase {
    private var directory: URL!
    private var store: LocalStyleStore!
    private var contract: StyleStoreContract!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-store-\(UUID())")
        store = try LocalStyleStore(directory: directory)
        contract = StyleStoreContract { [unowned self] in store }
    }

    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    func testAddUpdateAndList() throws { try contract.addUpdateAndList() }
    func testFilesRoundTrip() throws { try contract.filesRoundTrip() }
    func testDelete() throws { try contract.delete() }
    func testConcurrentAddsGetUniqueIDs() throws { try contract.concurrentAddsGetUniqueIDs() }
    func testConcurrentUpdatesAreNotLost() throws { try contract.concurrentUpdatesAreNotLost() }

    /// A restart reads the index back: same records, files, and the ids go on from where they were.
    func testAReopenedFolderHasTheSameStyles() throws {
        let a = try store.add(name: "a", image: ServiceFixture.image(width: 64, height: 64), settings: StyleStoreContract.settings)
        try store.remove(try store.add(name: "b", model: "stylebank", image: nil, settings: StyleStoreContract.settings).id)
        let reopened = try LocalStyleStore(directory: directory)
        // (The index keeps creation times to the second.)
        XCTAssertEqual(reopened.all().map { [String($0.id), $0.name, $0.status.rawValue] }, [[String(a.id), "a", "training"]])
        XCTAssertEqual(reopened.style(a.id)?.settings, StyleStoreContract.settings)
        XCTAssertEqual(try reopened.image(a.id).width, 64)
        XCTAssertEqual(try reopened.add(name: "c", model: "stylebank", image: nil, settings: StyleStoreContract.settings).id, a.id + 2)
    }

    func testWithoutAStoreURLStylesLiveInTheDataFolder() throws {
        let opened = try StyleStores.open(ServiceConfig(dataDirectory: directory))
        XCTAssertEqual((opened as? LocalStyleStore)?.directory.standardizedFileURL.path, directory.appendingPathComponent("styles").standardizedFileURL.path)
    }

    func testAStoreURLThatIsNotPostgresIsRefused() throws {
        var config = ServiceConfig(dataDirectory: directory)
        config.storeURL = "mysql://user:secret@localhost/db"
        XCTAssertThrowsError(try StyleStores.open(config)) { error in
            XCTAssertTrue("\(error)".contains("postgres://"), "\(error)")
            XCTAssertFalse("\(error)".contains("secret"), "\(error)")
        }
    }
}
