import Foundation
import FuzzSupport
import Models

/// Bytes as a safetensors file (styles read back from a store, weights from disk): a ModelError or
/// tensors whose values fill their shapes, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    do {
        let file = try SafeTensors.decode(bytes)
        for (_, tensor) in file.tensors {
            precondition(tensor.shape.reduce(1, *) == tensor.count)
        }
    } catch is ModelError {
    } catch {
        preconditionFailure("SafeTensors.decode threw a non-ModelError: \(error)")
    }
    return 0
}

/// The executable's entry point under SwiftPM's name for it (see Fuzz/FuzzDriver).
@_cdecl("SafeTensorsFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    atelier_fuzz_main(argc, argv)
}
