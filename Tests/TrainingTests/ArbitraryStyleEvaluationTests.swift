import XCTest
import Models
import Tensor
@testable import Training

final class ArbitraryStyleEvaluationTests: XCTestCase {
    let evaluation = ArbitraryStyleEvaluation(vgg: TrainingFixtures.perceptualLoss, layerScales: AdaINTrainerTests.layerScales)

    func testDistanceIsZeroToItselfSymmetricAndOrdersNearness() {
        let a = TrainingFixtures.image([1, 3, 32, 40], seed: 1)
        // b: a with its contrast halved (other statistics); c: farther still.
        let b = add(scale(a, by: 0.5), Tensor(shape: a.shape, repeating: 0.25))
        let c = add(scale(a, by: 0.1), Tensor(shape: a.shape, repeating: 0.45))
        let (sa, sb, sc) = (evaluation.statistics(evaluation.features(a)), evaluation.statistics(evaluation.features(b)),
                            evaluation.statistics(evaluation.features(c)))
        XCTAssertEqual(evaluation.styleDistance(sa, sa), 0)
        XCTAssertEqual(evaluation.styleDistance(sa, sb), evaluation.styleDistance(sb, sa), accuracy: 1e-6)
        XCTAssertLessThan(evaluation.styleDistance(sa, sb), evaluation.styleDistance(sa, sc))
        XCTAssertGreaterThan(evaluation.styleDistance(sa, sb), 0)
    }

    func testContentLossIsZeroForThePhotoItself() {
        let a = TrainingFixtures.image([1, 3, 32, 32], seed: 2)
        let fa = evaluation.features(a)
        XCTAssertEqual(evaluation.contentLoss(fa, photo: fa), 0)
        XCTAssertGreaterThan(evaluation.contentLoss(evaluation.features(TrainingFixtures.image([1, 3, 32, 32], seed: 3)), photo: fa), 0)
    }
}
