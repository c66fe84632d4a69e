import FuzzSupport
import HTTP

/// The input's first line is the Content-Type (with its boundary), the rest the body: parsing
/// must give parts or a MultipartError, and every part's body must be a slice of the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
    let contentType = String(decoding: bytes[..<newline], as: UTF8.self)
    let body = Array(bytes[min(newline + 1, bytes.count)...])
    do {
        let parts = try Multipart.parse(body: body, contentType: contentType)
        precondition(parts.count <= Multipart.defaultMaxParts)
        for part in parts {
            precondition(!part.name.isEmpty && part.body.count <= body.count)
        }
    } catch is MultipartError {
    } catch {
        preconditionFailure("Multipart.parse threw a non-MultipartError: \(error)")
    }
    return 0
}

/// The executable's entry point under SwiftPM's name for it (see Fuzz/FuzzDriver).
@_cdecl("MultipartFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    atelier_fuzz_main(argc, argv)
}
