import XCTest
import Models
import Tensor
@testable import Training

final class PerceptualDistanceTests: XCTestCase {
    /// Zero for the same image, symmetric, larger for a more different image, and unchanged by a
    /// brightness scaling that leaves every feature vector's direction (nearly) alone.
    func testDistanceBehavesAsAMetricOfLooks() {
        let d = PerceptualDistance(vgg: TrainingFixtures.perceptualLoss)
        let a = TrainingFixtures.image([1, 3, 32, 32], seed: 1), b = TrainingFixtures.image([1, 3, 32, 32], seed: 2)
        var nearA = a
        for i in stride(from: 0, to: nearA.count, by: 97) { nearA[i] = 1 - nearA[i] }
        let (fa, fb, fn) = (d.features(a), d.features(b), d.features(nearA))
        XCTAssertEqual(d.distance(fa, fa), 0)
        XCTAssertEqual(d.distance(fa, fb), d.distance(fb, fa), accuracy: 1e-6)
        XCTAssertGreaterThan(d.distance(fa, fb), d.distance(fa, fn))
        XCTAssertGreaterThan(d.distance(fa, fn), 0)
        // Unit-length channels: each position's vector has norm 1 (or 0).
        let f = fa[PerceptualDistance.layers[0]]!
        let (c, plane) = (f.shape[1], f.shape[2] * f.shape[3])
        for p in [0, plane / 2, plane - 1] {
            let norm = (0..<c).reduce(0.0) { $0 + Double(f[$1 * plane + p]) * Double(f[$1 * plane + p]) }
            XCTAssertTrue(abs(norm - 1) < 1e-4 || norm == 0, "norm² \(norm)")
        }
    }
}
