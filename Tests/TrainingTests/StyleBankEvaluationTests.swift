import XCTest
import Models
import Tensor
@testable import Training

final class StyleBankEvaluationTests: XCTestCase {
    /// Each style's numbers are the weighted training losses of the served (clamped) output,
    /// averaged over the photos; identity is the auto-encoder's reconstruction error.
    func testLossesAreTheTrainingLossesOfTheServedOutput() throws {
        let weights = StyleBankArchitecture(encoderResiduals: 1, decoderResiduals: 0).initialWeights(styles: [2, 5], seed: 6)
        let network = try StyleBankNetwork(weights: weights, styles: [2, 5])
        let photos = [TrainingFixtures.image([1, 3, 24, 28], seed: 1), TrainingFixtures.image([1, 3, 20, 20], seed: 2)]
        let styleImages = [2: TrainingFixtures.image([1, 3, 32, 32], seed: 3), 5: TrainingFixtures.image([1, 3, 36, 32], seed: 4)]
        let loss = TrainingFixtures.perceptualLoss
        let result = StyleBankEvaluation(network: network, photos: photos, styleImages: styleImages, loss: loss,
                                         contentWeight: 2, styleWeight: 7)
        XCTAssertEqual(result.styles.map(\.style), [2, 5])
        for s in result.styles {
            var content = 0.0, style = 0.0, shallow = 0.0
            let (deep, low) = (PerceptualLoss.contentLayer, PerceptualLoss.shallowContentLayer)
            for photo in photos {
                let y = network(photo, blend: [s.style: 1])
                let fy = loss.forward(y, layers: Set(PerceptualLoss.styleLayers + [deep])).features
                let fx = loss.forward(photo, layers: [deep, low]).features
                content += 2 * Double(mseLoss(fy[deep]!, fx[deep]!).value)
                shallow += Double(mseLoss(fy[low]!, fx[low]!).value)
                let targets = loss.styleTargets(styleImages[s.style]!)
                for layer in PerceptualLoss.styleLayers { style += 7 * Double(styleLoss(features: fy[layer]!, targetGram: targets[layer]!).value) }
            }
            XCTAssertEqual(Double(s.content), content / 2, accuracy: 1e-4 * content)
            XCTAssertEqual(Double(s.styleLoss), style / 2, accuracy: 1e-4 * style)
            XCTAssertEqual(Double(s.shallowContent), shallow / 2, accuracy: 1e-4 * shallow, "relu2_2 is unweighted")
            XCTAssertGreaterThan(s.styleLoss, 0)
        }
        let identity = photos.map { Double(mseLoss(network.decode(network.encode($0)), $0).value) }.reduce(0, +) / 2
        XCTAssertEqual(Double(result.identity), identity, accuracy: 1e-6)
        XCTAssertEqual(result.meanStyle, (result.styles[0].styleLoss + result.styles[1].styleLoss) / 2, accuracy: 1e-3 * result.meanStyle)
    }
}
