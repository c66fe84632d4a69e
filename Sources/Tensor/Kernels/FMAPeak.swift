import Dispatch
import TensorAVX2
import TensorAVX512

/// The machine's float multiply-add peak, measured: what `atelier bench` and `atelier profile`
/// hold each kernel's GFLOP/s against. One thread, then `threads` at once (the kernels' worker
/// count), each running `FMAPeakKernel` of the GEMM's variant for about `seconds`.
public enum FMAPeak {
    public struct Rate: Sendable {
        public let oneThread: Double, allThreads: Double, threads: Int
    }

    public static func measure(threads: Int = Parallel.maxThreads, seconds: Double = 0.1, variant: GEMM.Variant = GEMM.variant) -> Rate {
        let (run, flops): ((Int, Float) -> Float, Int) = switch variant {
        case .portable: (FMAPeakKernel.run, FMAPeakKernel.flopsPerIteration)
        case .avx2: (TensorAVX2.FMAPeakKernel.run, TensorAVX2.FMAPeakKernel.flopsPerIteration)
        case .avx512: (TensorAVX512.FMAPeakKernel.run, TensorAVX512.FMAPeakKernel.flopsPerIteration)
        }
        // Calibrate the count on one thread (after a warm-up that lets the clock settle), then
        // take the best of three so a moment of other work on the machine does not set the figure.
        sink(run(1_000_000, 1))
        var iterations = 1_000_000
        while iterations < 1 << 32, elapsed({ sink(run(iterations, 1)) }) < seconds / 4 { iterations *= 2 }
        func rate(_ workers: Int) -> Double {
            let best = (0..<3).map { _ in
                elapsed { Parallel.run(tasks: workers) { w, _ in sink(run(iterations, Float(w + 1))) } }   // on the kernels' threads
            }.min()!
            return Double(workers) * Double(iterations) * Double(flops) / best / 1e9
        }
        return Rate(oneThread: rate(1), allThreads: rate(max(1, threads)), threads: max(1, threads))
    }

    private static func elapsed(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Keeps a result observable (the optimizer may not drop the loop that made it).
    @inline(never) private static func sink(_ x: Float) { if x == .infinity { print("", terminator: "") } }
}
