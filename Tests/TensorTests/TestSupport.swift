import XCTest
import Tensor

/// Deterministic pseudo-random values (SplitMix64), so failures reproduce.
struct SeededValues {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> Float {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 24) * 2 - 1   // uniform in [-1, 1)
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
