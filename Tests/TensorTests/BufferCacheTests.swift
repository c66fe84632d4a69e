import XCTest
@testable import Tensor

final class BufferCacheTests: XCTestCase {
    /// A freed large buffer serves a later request up to 1/8 smaller, is not handed out twice, and
    /// goes back to the cache at its real size.
    func testReusesTheSmallestBufferThatFits() {
        BufferCache.purge()
        // Buffers other tests keep alive count against the budget; this test is about matching.
        let savedBudget = BufferCache.budgetBytes
        BufferCache.budgetBytes = .max / 2
        defer { BufferCache.budgetBytes = savedBudget; BufferCache.purge() }
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

final class BufferCacheBudgetTests: XCTestCase {
    /// The cache gives way to buffers in use: while they and the cache would pass the budget, the
    /// oldest cached buffers are freed, so caching never raises the process's peak past it.
    func testCacheShrinksAsBuffersInUseGrow() {
        BufferCache.purge()
        let (savedLimit, savedBudget) = (BufferCache.limitBytes, BufferCache.budgetBytes)
        defer { BufferCache.limitBytes = savedLimit; BufferCache.budgetBytes = savedBudget; BufferCache.purge() }
        let mb = 1 << 20
        // The budget counts every large buffer in use, those other tests keep alive included.
        let base = BufferCache.usage.live
        BufferCache.limitBytes = 8 * mb
        BufferCache.budgetBytes = base + 12 * mb
        let a = BufferCache.allocate(bytes: 4 * mb), b = BufferCache.allocate(bytes: 4 * mb)
        XCTAssertEqual(BufferCache.usage.live - base, 8 * mb)
        BufferCache.release(a.pointer, bytes: a.capacity)
        BufferCache.release(b.pointer, bytes: b.capacity)
        XCTAssertEqual(BufferCache.usage.cached, 8 * mb, "both kept: within the limit and the budget")
        let c = BufferCache.allocate(bytes: 6 * mb)   // no 4 MB buffer serves 6 MB: a fresh one, over the budget with both cached
        XCTAssertEqual(BufferCache.usage.cached, 4 * mb, "the oldest cached buffer was freed for it")
        let d = BufferCache.allocate(bytes: 4 * mb)
        XCTAssertEqual(d.pointer, b.pointer, "the newer one is still there to reuse")
        XCTAssertEqual(BufferCache.usage.cached, 0)
        BufferCache.release(c.pointer, bytes: c.capacity)
        BufferCache.release(d.pointer, bytes: d.capacity)
        XCTAssertLessThanOrEqual(BufferCache.usage.cached, 8 * mb, "never past the limit")
        XCTAssertEqual(BufferCache.usage.live, base)
    }

    /// Buffers in use are counted back down when tensors go: a network's worth of large
    /// activations made and dropped leaves the count where it was (a drift upwards would shrink
    /// the cache for good).
    func testBuffersInUseAreCountedBackDown() {
        let base = BufferCache.usage.live
        do {
            var rng = SeededValues(seed: 9)
            let x = rng.tensor([1, 8, 96, 96])                           // under 1 MB: malloc's
            let up = UpsampledConv(weight: rng.tensor([16, 8, 3, 3]))(x)   // 16×192×192 floats: 2.4 MB
            var y = Conv2D(weight: rng.tensor([32, 16, 3, 3]))(up)
            addInPlace(&y, Conv2D(weight: rng.tensor([32, 16, 3, 3]))(up))
            XCTAssertGreaterThan(BufferCache.usage.live, base)
        }
        XCTAssertEqual(BufferCache.usage.live, base)
    }
}
