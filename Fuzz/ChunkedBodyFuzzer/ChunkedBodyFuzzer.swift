import FuzzSupport

/// A fixed chunked request head followed by the fuzzer's bytes, so every mutation lands in chunk
/// sizes, extensions, chunk data and trailers. Checked like HTTPRequestFuzzer.
let head = Array("POST /stylize?style=1 HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChunkedBody(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    let cut = head.count + (body.first.map { Int($0) * body.count / 256 } ?? 0)
    ParseTranscript.checkSplits(head + body, cut: cut)
    return 0
}

/// The executable's entry point under SwiftPM's name for it (see Fuzz/FuzzDriver).
@_cdecl("ChunkedBodyFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    atelier_fuzz_main(argc, argv)
}
