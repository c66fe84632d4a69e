import FuzzSupport

/// Raw bytes into the request parser, whole and split into reads: it must answer each input with
/// requests or a 4xx/5xx parse error, never crash, and parse a split input exactly like a whole one.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The split point comes from the input's last byte, so the fuzzer can steer it.
    let cut = bytes.last.map { Int($0) * bytes.count / 256 } ?? 0
    ParseTranscript.checkSplits(bytes, cut: cut)
    return 0
}

/// The executable's entry point under SwiftPM's name for it (see Fuzz/FuzzDriver).
@_cdecl("HTTPRequestFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    atelier_fuzz_main(argc, argv)
}
