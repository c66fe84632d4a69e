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
        public var total: Float { content + styleLoss }
    }
    public let styles: [StyleResult]
    /// Mean squared error of the auto-encoder's reconstruction D(E(x)) over the photos.
    public let identity: Float
    /// The content loss (weighted) of that reconstruction: roughly the floor the stylized outputs'
    /// content loss can reach through this auto-encoder.
    public let identityContent: Float
    /// The photos' relu4_2 features, against which any network's outputs on them can be scored.
    public let contentTargets: [Tensor]

    public var meanContent: Float { styles.map(\.content).reduce(0, +) / Float(max(styles.count, 1)) }
    public var meanStyle: Float { styles.map(\.styleLoss).reduce(0, +) / Float(max(styles.count, 1)) }

    /// `photos`: [1, 3, H, W] images (H, W multiples of 4); `styleImages`: style id → [1, 3, H, W], all in 0…1.
    public init(network: StyleBankNetwork, photos: [Tensor], styleImages: [Int: Tensor], loss: PerceptualLoss,
                contentWeight: Float, styleWeight: Float) {
        let contentLayer = PerceptualLoss.contentLayer, layers = Set(PerceptualLoss.styleLayers + [contentLayer])
        let contentTargets = photos.map { loss.forward($0, layers: [contentLayer]).features[contentLayer]! }
        self.contentTargets = contentTargets
        let encoded = photos.map(network.encode)   // E(x) once per photo, for every style and the identity
        var results: [StyleResult] = []
        for (id, image) in styleImages.sorted(by: { $0.key < $1.key }) {
            let grams = loss.styleTargets(image)
            var content: Float = 0, style: Float = 0
            for (code, target) in zip(encoded, contentTargets) {
                let features = loss.forward(network.decode(network.banks[id]!(code)), layers: layers).features
                content += contentWeight * mseLoss(features[contentLayer]!, target).value
                for layer in PerceptualLoss.styleLayers {
                    style += styleWeight * styleLoss(features: features[layer]!, targetGram: grams[layer]!).value
                }
            }
            results.append(StyleResult(style: id, content: content / Float(photos.count), styleLoss: style / Float(photos.count)))
        }
        styles = results
        let reconstructed = encoded.map(network.decode)
        identity = zip(reconstructed, photos).map { mseLoss($0, $1).value }.reduce(0, +) / Float(max(photos.count, 1))
        identityContent = Self.meanContentLoss(reconstructed, targets: contentTargets, loss: loss, weight: contentWeight)
    }

    /// The mean weighted content loss of `outputs` against the photos' relu4_2 features `targets`
    /// (also how another network's outputs on the same photos are scored, for reference).
    public static func meanContentLoss(_ outputs: [Tensor], targets: [Tensor], loss: PerceptualLoss, weight: Float) -> Float {
        let layer = PerceptualLoss.contentLayer
        let total = zip(outputs, targets).map { weight * mseLoss(loss.forward($0, layers: [layer]).features[layer]!, $1).value }.reduce(0, +)
        return total / Float(max(outputs.count, 1))
    }
}
