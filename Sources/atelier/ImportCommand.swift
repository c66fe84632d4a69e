import Foundation
import Models
import Tensor

enum ImportCommand {
    static func run(_ args: ArraySlice<String>) throws {
        let a = try Arguments(args, flagNames: [])
        guard a.positional.count == 3 else {
            throw CLIError("usage: atelier import-weights multistyle26|vgg16|magenta-predict|magenta-transform MODEL.onnx OUT.safetensors")
        }
        let model = try ONNXModel(contentsOf: URL(fileURLWithPath: a.positional[1]))
        let tensors: [String: Tensor]
        switch a.positional[0] {
        case "magenta-predict", "magenta-transform":
            let converted = try QuantizedGraphImport.convert(model)
            try converted.graph.write(weights: converted.weights, to: URL(fileURLWithPath: a.positional[2]),
                                      metadata: ["source": URL(fileURLWithPath: a.positional[1]).lastPathComponent, "kind": a.positional[0]])
            print("imported \(converted.graph.ops.count) ops and \(converted.weights.count) tensors from \(a.positional[1]) to \(a.positional[2])")
            return
        case "multistyle26": tensors = try WeightImport.multiStyle26(onnx: model)
        case "vgg16": tensors = try WeightImport.vgg16ConvBase(onnx: model)
        default: throw CLIError("unknown weights kind '\(a.positional[0])' (multistyle26, vgg16, magenta-predict or magenta-transform)")
        }
        try SafeTensors.write(tensors, to: URL(fileURLWithPath: a.positional[2]),
                              metadata: ["source": URL(fileURLWithPath: a.positional[1]).lastPathComponent, "kind": a.positional[0]])
        print("imported \(tensors.count) tensors from \(a.positional[1]) to \(a.positional[2])")
    }
}
