import XCTest
import Tensor

final class ConvTests: XCTestCase {
    /// The tiled im2col+GEMM convolution against the 7-loop definition over a sweep of shapes:
    /// odd sizes, strides 1 and 2, 1×1 to 9×9 kernels, channel counts off the tile width, batches.
    func testConvMatchesReferenceOnShapeSweep() {
        // Every kernel variant this CPU has; stride 1 takes the implicit-GEMM path, stride 2 im2col.
        let saved = GEMM.variant
        defer { GEMM.variant = saved }
        for variant in GEMM.Variant.allCases where variant.isSupported {
            GEMM.variant = variant
            checkShapeSweep("\(variant)")
        }
    }

    private func checkShapeSweep(_ label: String) {
        var rng = SeededValues(seed: 3)
        let cases: [(n: Int, cin: Int, cout: Int, h: Int, w: Int, k: Int, s: Int, bias: Bool)] = [
            (1, 1, 1, 1, 1, 1, 1, false),
            (1, 3, 32, 17, 23, 9, 1, false),
            (1, 32, 32, 11, 13, 3, 2, false),
            (2, 5, 7, 9, 8, 3, 1, true),
            (1, 4, 3, 21, 19, 9, 1, false),
            (1, 16, 9, 40, 37, 3, 1, true),    // several GEMM tiles per image
            (3, 2, 17, 6, 31, 1, 1, true),
            (1, 8, 4, 10, 10, 3, 2, true),
            (2, 3, 12, 5, 50, 3, 1, false),    // rows of 48 pixels: three full blocks, no tail
            (1, 2, 5, 4, 18, 3, 1, true),      // one full block and a 0-pixel tail
            (1, 40, 24, 8, 8, 1, 1, true),     // 1×1 layers run over the whole plane: 64 pixels
            (2, 19, 33, 7, 9, 1, 1, false),    // 63 pixels: a tail in every image
            (1, 64, 20, 33, 35, 1, 1, true),   // several spans per image
            (1, 4, 3, 12, 150, 9, 1, true),    // 3 output channels, rows of 142: two 64-pixel short tiles, a wide one, a tail
            (1, 6, 1, 5, 70, 3, 1, false),     // 1 output channel
            (1, 5, 4, 4, 200, 3, 1, true),     // 4 output channels
            (1, 3, 11, 6, 80, 3, 1, true),     // a full panel, then one of 3 rows
        ]
        for c in cases {
            let x = rng.tensor([c.n, c.cin, c.h, c.w])
            let w = rng.tensor([c.cout, c.cin, c.k, c.k])
            let b = c.bias ? rng.tensor([c.cout]) : nil
            let fast = Conv2D(weight: w, bias: b, stride: c.s)(x)
            let ref = Conv2D.reference(x, weight: w, bias: b, stride: c.s)
            assertClose(fast, ref, tolerance: 2e-5 * Float(c.cin * c.k * c.k), "\(label) \(c)")
            // ReLU fused into the stores.
            assertClose(Conv2D(weight: w, bias: b, stride: c.s)(x, relu: true), relu(ref),
                        tolerance: 2e-5 * Float(c.cin * c.k * c.k), "\(label) relu \(c)")
        }
    }

    func testSingleThreadAndMultiThreadAgree() {
        var rng = SeededValues(seed: 4)
        let x = rng.tensor([1, 6, 33, 35]), w = rng.tensor([10, 6, 3, 3])
        let conv = Conv2D(weight: w)
        let saved = Parallel.maxThreads
        Parallel.maxThreads = 1
        let one = conv(x)
        Parallel.maxThreads = 4
        let four = conv(x)
        Parallel.maxThreads = saved
        XCTAssertEqual(one.scalars, four.scalars)
    }
}

final class ParallelTests: XCTestCase {
    /// A thread's limit caps the workers its kernels use, only on that thread, and is restored.
    func testThreadLimitIsPerThreadAndScoped() {
        let all = Parallel.threadsForCurrentThread
        Parallel.withThreadLimit(1) {
            XCTAssertEqual(Parallel.threadsForCurrentThread, 1)
            var seen = Set<Int>()
            Parallel.run(tasks: 8) { _, workers in seen.insert(workers) }
            XCTAssertEqual(seen, [1])
            final class Box: @unchecked Sendable { var threads = 0 }
            let other = DispatchSemaphore(value: 0), box = Box()
            Thread { box.threads = Parallel.threadsForCurrentThread; other.signal() }.start()
            other.wait()
            XCTAssertEqual(box.threads, Parallel.maxThreads)
        }
        XCTAssertEqual(Parallel.threadsForCurrentThread, all)
    }

    /// Jobs sharing the cores split them: alone a job has them all; with a second one each has
    /// half (at least one); a thread outside takes no part; the count falls back when they end.
    func testJobsSharingCoresSplitThem() {
        let saved = Parallel.maxThreads
        defer { Parallel.maxThreads = saved }
        Parallel.maxThreads = 4
        final class Box: @unchecked Sendable { var threads = 0 }
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        Parallel.sharingCores {
            XCTAssertEqual(Parallel.threadsForCurrentThread, 4)
            let other = Box()
            Thread {
                Parallel.sharingCores {
                    other.threads = Parallel.threadsForCurrentThread
                    inside.signal()
                    release.wait()
                }
                done.signal()
            }.start()
            inside.wait()
            XCTAssertEqual(other.threads, 2)
            XCTAssertEqual(Parallel.threadsForCurrentThread, 2)
            Parallel.withThreadLimit(1) { XCTAssertEqual(Parallel.threadsForCurrentThread, 1) }
            let outside = Box()
            let checked = DispatchSemaphore(value: 0)
            Thread { outside.threads = Parallel.threadsForCurrentThread; checked.signal() }.start()
            checked.wait()
            XCTAssertEqual(outside.threads, 4)
            release.signal()
            done.wait()
            XCTAssertEqual(Parallel.threadsForCurrentThread, 4)
        }
        XCTAssertEqual(Parallel.jobsSharingCoresNow, 0)
        Parallel.sharingCores { Parallel.sharingCores { XCTAssertEqual(Parallel.threadsForCurrentThread, 4) } }   // one job, counted once
    }

    /// A job that reserves cores (training inside the service) runs on them alone, and kernels
    /// called from other threads meanwhile use the rest, at least one; all of them again after.
    func testReservedCoresAreLeftToTheirJob() {
        let saved = Parallel.maxThreads
        defer { Parallel.maxThreads = saved }
        Parallel.maxThreads = 4
        final class Box: @unchecked Sendable { var threads = 0 }
        let reserved = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let trainer = Box()
        Thread {
            Parallel.reservingCores(3) {
                trainer.threads = Parallel.threadsForCurrentThread
                reserved.signal()
                release.wait()
            }
            done.signal()
        }.start()
        reserved.wait()
        XCTAssertEqual(trainer.threads, 3)
        XCTAssertEqual(Parallel.threadsForCurrentThread, 1)
        Parallel.maxThreads = 8
        XCTAssertEqual(Parallel.threadsForCurrentThread, 5)
        Parallel.maxThreads = 4
        release.signal()
        done.wait()
        XCTAssertEqual(Parallel.reservedCoresNow, 0)
        XCTAssertEqual(Parallel.threadsForCurrentThread, 4)
    }
}
