import XCTest
@testable import Tensor

final class GEMMTests: XCTestCase {
    /// Packed GEMM against the plain triple loop, on shapes that are and are not multiples of the tile.
    func testPackedMatchesReferenceOnShapeSweep() {
        var rng = SeededValues(seed: 1)
        for (m, n, k) in [(1, 1, 1), (8, 16, 4), (3, 5, 7), (9, 17, 33), (32, 100, 288), (13, 31, 2), (64, 47, 75)] {
            let a = (0..<(m * k)).map { _ in rng.next() }, b = (0..<(k * n)).map { _ in rng.next() }
            let expected = GEMM.reference(m: m, n: n, k: k, a: a, b: b)
            var pa = [Float](repeating: .nan, count: GEMM.packedASize(m: m, k: k))
            var pb = [Float](repeating: .nan, count: GEMM.packedBSize(k: k, n: n))
            var c = [Float](repeating: .nan, count: m * n)
            GEMM.packA(a, m: m, k: k, lda: k, into: &pa)
            GEMM.packB(b, k: k, n: n, ldb: n, into: &pb)
            GEMM.multiplyPacked(m: m, n: n, k: k, packedA: pa, packedB: pb, c: &c, ldc: n)
            assertClose(Tensor(shape: [m, n], values: c), Tensor(shape: [m, n], values: expected),
                        tolerance: 1e-4 * Float(k), "m=\(m) n=\(n) k=\(k)")
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
        var c = [Float](repeating: 1, count: m * n)
        GEMM.multiplyPacked(m: m, n: n, k: k, packedA: pa, packedB: pb, c: &c, ldc: n, bias: bias, accumulate: true)
        let ref = GEMM.reference(m: m, n: n, k: k, a: a, b: b)
        for i in 0..<m { for j in 0..<n {
            XCTAssertEqual(c[i * n + j], ref[i * n + j] + bias[i] + 1, accuracy: 1e-4)
        } }
    }
}
