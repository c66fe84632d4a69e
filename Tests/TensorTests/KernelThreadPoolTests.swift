import CPUFeatures
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

/// `atelier_move_off_cpu`, which a helper uses when it finds itself on its caller's CPU.
final class MoveOffCPUTests: XCTestCase {
    func testAThreadMovesOffItsCPUAndCanMoveBack() throws {
        let cpu = Int(atelier_current_cpu())
        try XCTSkipIf(cpu < 0, "no sched_getcpu here")
        try XCTSkipIf(ProcessInfo.processInfo.activeProcessorCount < 2, "one CPU: there is nowhere to move")
        let result = Mutex<[Int]>([])
        let thread = Thread {
            let first = Int(atelier_current_cpu())
            guard atelier_move_off_cpu(Int32(first)) == 0 else { result.withLock { $0 = [-2] }; return }
            let second = Int(atelier_current_cpu())
            // Off the second one now: the first is allowed again.
            let third = atelier_move_off_cpu(Int32(second)) == 0 ? Int(atelier_current_cpu()) : -2
            result.withLock { $0 = [first, second, third] }
        }
        thread.start()
        let deadline = Date().addingTimeInterval(5)
        while result.withLock({ $0.isEmpty }) && Date() < deadline { usleep(1000) }
        let cpus = result.withLock { $0 }
        XCTAssertEqual(cpus.count, 3, "the thread reported \(cpus)")
        guard cpus.count == 3 else { return }
        XCTAssertNotEqual(cpus[1], cpus[0])
        XCTAssertNotEqual(cpus[2], cpus[1])
        XCTAssertEqual(atelier_move_off_cpu(-1), 0, "no CPU to leave: every allowed CPU")
    }
}
