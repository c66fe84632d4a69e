import XCTest
import Tensor

/// Deterministic pseudo-random values (SplitMix64), so failures reproduce.
struct SeededValues {
    var random: SplitMix64
    init(seed: UInt64) { random = SplitMix64(seed: seed) }
    mutating func next() -> Float {
        Float(random.next() >> 40) / Float(1 << 24) * 2 - 1   // uniform in [-1, 1)
    }
    mutating func tensor(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in next() })
    }
}

func assertClose(_ a: Tensor, _ b: Tensor, tolerance: Float, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, message, file: file, line: line)
    guard a.shape == b.shape else { return }
    let av = a.scalars, bv = b.scalars
    var worst: Float = 0, at = 0
    for i in 0..<av.count where abs(av[i] - bv[i]) > worst { worst = abs(av[i] - bv[i]); at = i }
    XCTAssertLessThanOrEqual(worst, tolerance, "\(message): max |diff| \(worst) at \(at) (\(av.isEmpty ? 0 : av[at]) vs \(bv.isEmpty ? 0 : bv[at]))", file: file, line: line)
}
