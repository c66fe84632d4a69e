import Foundation
import XCTest
@testable import Tensor

final class GEMMTests: XCTestCase {
    /// Packed GEMM against the plain triple loop, on shapes that are and are not multiples of the tile.
    func testPackedMatchesReferenceOnShapeSweep() {
        for variant in GEMM.Variant.allCases where variant.isSupported {
            checkShapeSweep(variant)
        }
    }

    /// cpuid-based detection agrees with the kernel's own view in /proc/cpuinfo, and the widest
    /// supported variant is the one in use (unless ATELIER_KERNELS picks another).
    func testDetectionMatchesProcCpuinfo() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        XCTAssertEqual(GEMM.Variant.avx2.isSupported, flags.isSuperset(of: ["avx2", "fma"]))
        XCTAssertEqual(GEMM.Variant.avx512.isSupported, flags.isSuperset(of: ["avx512f", "avx512dq", "avx512bw", "avx512vl"]))
        if ProcessInfo.processInfo.environment["ATELIER_KERNELS"] == nil {
            XCTAssertEqual(GEMM.variant, GEMM.Variant.allCases.last { $0.isSupported })
        }
    }

    private func checkShapeSweep(_ variant: GEMM.Variant) {
        var rng = SeededValues(seed: 1)
        for (m, n, k) in [(1, 1, 1), (8, 16, 4), (3, 5, 7), (9, 17, 33), (32, 100, 288), (13, 31, 2), (64, 47, 75)] {
            let a = (0..<(m * k)).map { _ in rng.next() }, b = (0..<(k * n)).map { _ in rng.next() }
            let expected = GEMM.reference(m: m, n: n, k: k, a: a, b: b)
            var pa = [Float](repeating: .nan, count: GEMM.packedASize(m: m, k: k))
            var pb = [Float](repeating: .nan, count: GEMM.packedBSize(k: k, n: n))
            var c = [Float](repeating: .nan, count: m * n)
            GEMM.packA(a, m: m, k: k, lda: k, into: &pa)
            GEMM.packB(b, k: k, n: n, ldb: n, into: &pb)
            GEMM.multiplyPacked(m: m, n: n, k: k, packedA: pa, packedB: pb, c: &c, ldc: n, variant: variant)
            assertClose(Tensor(shape: [m, n], values: c), Tensor(shape: [m, n], values: expected),
                        tolerance: 1e-4 * Float(k), "\(variant) m=\(m) n=\(n) k=\(k)")
        }
    }

    func testBiasAndAccumulate() {
        var rng = SeededValues(seed: 2)
        let (m, n, k) = (5, 19, 6)
        let a = (0..<(m * k)).map { _ in rng.next() }, b = (0..<(k * n)).map { _ in rng.next() }
        let bias = (0..<m).map { Float($0) }
        var pa = [Float](repeating: 0, count: GEMM.packedASize(m: m, k: k))
        var pb = [Float](repeating: 0, count: GEMM.packedBSize(k: k, n: n))
        GEMM.packA(a, m: m, k: k, lda: k, into: &pa)
        GEMM.packB(b, k: k, n: n, ldb: n, into: &pb)
        let ref = GEMM.reference(m: m, n: n, k: k, a: a, b: b)
        for variant in GEMM.Variant.allCases where variant.isSupported {
            var c = [Float](repeating: 1, count: m * n)
            GEMM.multiplyPacked(m: m, n: n, k: k, packedA: pa, packedB: pb, c: &c, ldc: n, bias: bias, accumulate: true, variant: variant)
            for i in 0..<m { for j in 0..<n {
                XCTAssertEqual(c[i * n + j], ref[i * n + j] + bias[i] + 1, accuracy: 1e-4, "\(variant)")
            } }
        }
    }
}
