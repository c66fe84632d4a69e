import Dispatch
import Synchronization
import XCTest
@testable import Tensor

final class KernelThreadPoolTests: XCTestCase {
    /// Every index of every region runs exactly once, over many back-to-back regions of different
    /// sizes and lengths (helpers arriving early, late, or not at all), and the pool is free after.
    func testEveryIndexRunsOnceInEveryRegion() {
        let pool = KernelThreadPool(helpers: 3)
        let counts = Mutex([Int](repeating: 0, count: 8))
        for region in 0..<3000 {
            let workers = 2 + region % 7
            counts.withLock { $0 = [Int](repeating: 0, count: 8) }
            let ran = pool.run(workers: workers) { i in
                counts.withLock { $0[i] += 1 }
                if region % 3 == 0 { usleep(UInt32(region % 200)) }   // some regions take a while
            }
            XCTAssertTrue(ran, "region \(region)")
            XCTAssertEqual(counts.withLock { $0 }, (0..<8).map { $0 < workers ? 1 : 0 }, "region \(region)")
        }
    }

    /// A region that starts while one is open (a kernel called from inside a kernel, or another
    /// request's) is refused, and the caller runs it elsewhere; a pool without helpers refuses all.
    func testRefusesARegionWhileOneIsOpenAndWithoutHelpers() {
        let pool = KernelThreadPool(helpers: 1)
        let nested = Atomic<Int>(0)
        XCTAssertTrue(pool.run(workers: 2) { _ in
            if !pool.run(workers: 2, { _ in }) { nested.add(1, ordering: .relaxed) }
        })
        XCTAssertEqual(nested.load(ordering: .relaxed), 2)
        XCTAssertFalse(KernelThreadPool(helpers: 0).run(workers: 2) { _ in XCTFail("ran without helpers") })
        XCTAssertTrue(pool.run(workers: 2) { _ in }, "free again after the nested refusals")
    }

    /// Kernels called from several threads at once (requests served together): each gets every
    /// task once, whether its regions ran on the pool or fell back to concurrentPerform.
    func testParallelRunFromSeveralThreadsAtOnce() {
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for round in 0..<300 {
                let tasks = 1 + (caller * 7 + round) % 40
                let seen = Mutex([Int](repeating: 0, count: tasks))
                Parallel.run(claiming: tasks) { _, next in
                    while let t = next() { seen.withLock { $0[t] += 1 } }
                }
                if seen.withLock({ $0 }) != [Int](repeating: 1, count: tasks) { failures.add(1, ordering: .relaxed) }
            }
        }
        XCTAssertEqual(failures.load(ordering: .relaxed), 0)
    }
}
