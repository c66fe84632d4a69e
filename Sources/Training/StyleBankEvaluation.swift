import Models
import Tensor

/// The training losses of a finished StyleBank on a fixed grid of photos × styles, as served (F16
/// weights, output clamped to 0…1): the field's usual comparison of stylization networks (AdaIN
/// reports content and style losses averaged over such a grid). Unlike the per-step losses of a
/// run, which depend on which crop and style each step drew, these can compare two snapshots.
public struct StyleBankEvaluation {
    public struct StyleResult: Sendable {
        public let style: Int
        /// Means over the photos, weighted as in training (content relu4_2; style Grams at the four style layers).
        public let content: Float, styleLoss: Float
        /// Mean relu2_2 MSE to the photo, unweighted: how much of its edges and flat areas survive.
        public let shallowContent: Float
        public var total: Float { content + styleLoss }
    }
    public let styles: [StyleResult]
    /// Mean squared error of the auto-encoder's reconstruction D(E(x)) over the photos.
    public let identity: Float
    /// The content loss (weighted) of that reconstruction: roughly the floor the stylized outputs'
    /// content loss can reach through this auto-encoder.
    public let identityContent: Float
    /// Its relu2_2 MSE (unweighted).
    public let identityShallowContent: Float
    /// The photos' relu4_2 and relu2_2 features, against which any network's outputs on them can be scored.
    public let contentTargets: [[String: Tensor]]
    static let contentLayers = [PerceptualLoss.shallowContentLayer, PerceptualLoss.contentLayer]

    public var meanContent: Float { styles.map(\.content).reduce(0, +) / Float(max(styles.count, 1)) }
    public var meanStyle: Float { styles.map(\.styleLoss).reduce(0, +) / Float(max(styles.count, 1)) }
    public var meanShallowContent: Float { styles.map(\.shallowContent).reduce(0, +) / Float(max(styles.count, 1)) }

    /// `photos`: [1, 3, H, W] images (H, W multiples of 4); `styleImages`: style id → [1, 3, H, W], all in 0…1.
    public init(network: StyleBankNetwork, photos: [Tensor], styleImages: [Int: Tensor], loss: PerceptualLoss,
                contentWeight: Float, styleWeight: Float) {
        let layers = Set(PerceptualLoss.styleLayers + Self.contentLayers)
        let contentTargets = photos.map { loss.forward($0, layers: Set(Self.contentLayers)).features }
        self.contentTargets = contentTargets
        let encoded = photos.map(network.encode)   // E(x) once per photo, for every style and the identity
        var results: [StyleResult] = []
        for (id, image) in styleImages.sorted(by: { $0.key < $1.key }) {
            let grams = loss.styleTargets(image)
            var content: Float = 0, style: Float = 0, shallow: Float = 0
            for (code, target) in zip(encoded, contentTargets) {
                let features = loss.forward(network.decode(network.banks[id]!(code)), layers: layers).features
                let score = Self.contentScore(features, target, weight: contentWeight)
                (content, shallow) = (content + score.content, shallow + score.shallow)
                for layer in PerceptualLoss.styleLayers {
                    style += styleWeight * styleLoss(features: features[layer]!, targetGram: grams[layer]!).value
                }
            }
            let n = Float(photos.count)
            results.append(StyleResult(style: id, content: content / n, styleLoss: style / n, shallowContent: shallow / n))
        }
        styles = results
        let reconstructed = encoded.map(network.decode)
        identity = zip(reconstructed, photos).map { mseLoss($0, $1).value }.reduce(0, +) / Float(max(photos.count, 1))
        (identityContent, identityShallowContent) = Self.meanContentLoss(reconstructed, targets: contentTargets, loss: loss, weight: contentWeight)
    }

    /// The weighted relu4_2 content loss and the unweighted relu2_2 MSE of one output's features.
    static func contentScore(_ features: [String: Tensor], _ target: [String: Tensor], weight: Float) -> (content: Float, shallow: Float) {
        let (deep, shallow) = (PerceptualLoss.contentLayer, PerceptualLoss.shallowContentLayer)
        return (weight * mseLoss(features[deep]!, target[deep]!).value, mseLoss(features[shallow]!, target[shallow]!).value)
    }

    /// The means of `contentScore` of `outputs` against the photos' features `targets` (also how
    /// another network's outputs on the same photos are scored, for reference).
    public static func meanContentLoss(_ outputs: [Tensor], targets: [[String: Tensor]], loss: PerceptualLoss, weight: Float)
        -> (content: Float, shallow: Float) {
        var (content, shallow): (Float, Float) = (0, 0)
        for (output, target) in zip(outputs, targets) {
            let score = contentScore(loss.forward(output, layers: Set(contentLayers)).features, target, weight: weight)
            (content, shallow) = (content + score.content, shallow + score.shallow)
        }
        let n = Float(max(outputs.count, 1))
        return (content / n, shallow / n)
    }
}
