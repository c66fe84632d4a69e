import XCTest
@testable import Tensor

final class BufferCacheTests: XCTestCase {
    /// A freed large buffer serves a later request up to 1/8 smaller, is not handed out twice, and
    /// goes back to the cache at its real size.
    func testReusesTheSmallestBufferThatFits() {
        BufferCache.purge()
        defer { BufferCache.purge() }
        let big = 4 << 20
        let a = BufferCache.allocate(bytes: big)
        XCTAssertEqual(a.capacity, big)
        BufferCache.release(a.pointer, bytes: a.capacity)
        let b = BufferCache.allocate(bytes: big - big / 10)
        XCTAssertEqual(b.pointer, a.pointer, "within 1/8: reused")
        XCTAssertEqual(b.capacity, big)
        let c = BufferCache.allocate(bytes: big - big / 10)
        XCTAssertNotEqual(c.pointer, b.pointer, "never handed out twice")
        BufferCache.release(b.pointer, bytes: b.capacity)
        let d = BufferCache.allocate(bytes: big / 2)
        XCTAssertNotEqual(d.pointer, b.pointer, "a buffer twice the size is not used for half")
        BufferCache.release(c.pointer, bytes: c.capacity)
        BufferCache.release(d.pointer, bytes: d.capacity)

        // Tensors of nearby sizes share a buffer and keep their own element counts.
        do { XCTAssertEqual(Tensor(zeros: [1, 1, 1024, 1100]).count, 1024 * 1100) }   // allocated and released
        let u = Tensor(zeros: [1, 1, 1024, 1024])
        XCTAssertEqual(u.count, 1024 * 1024)
        XCTAssertEqual(u.scalars.reduce(0, +), 0)
    }
}
