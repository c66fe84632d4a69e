import Foundation
import Models

// Temporary entry point while the service layer is built; replaced by the full CLI.
let args = CommandLine.arguments
if args.count == 5 && args[1] == "import-weights" {
    let model = try ONNXModel(contentsOf: URL(fileURLWithPath: args[3]))
    let tensors = args[2] == "vgg16" ? try WeightImport.vgg16ConvBase(onnx: model) : try WeightImport.multiStyle26(onnx: model)
    try SafeTensors.write(tensors, to: URL(fileURLWithPath: args[4]))
    print("imported \(tensors.count) tensors to \(args[4])")
}
