import FuzzSupport
import Models

/// Bytes as an ONNX model, then through the imports that turn one into our weights (`atelier
/// import`): each step gives its result or a ModelError, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    expectModelError { () throws -> Void in
        let model = try ONNXModel(bytes: bytes)
        expectModelError { _ = try QuantizedGraphImport.convert(model) }
        expectModelError { _ = try WeightImport.multiStyle26(onnx: model) }
        expectModelError { _ = try WeightImport.vgg16ConvBase(onnx: model) }
    }
    return 0
}

func expectModelError(_ body: () throws -> Void) {
    do { try body() } catch is ModelError {} catch {
        preconditionFailure("threw a non-ModelError: \(error)")
    }
}

/// The executable's entry point under SwiftPM's name for it (see Fuzz/FuzzDriver).
@_cdecl("ONNXFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    atelier_fuzz_main(argc, argv)
}
