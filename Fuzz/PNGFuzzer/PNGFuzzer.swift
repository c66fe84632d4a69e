import FuzzSupport

/// PNG bytes (CRCs repaired, see PNGChunks) into probe and decode (libpng through CCodecs).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    ImageChecks.check(PNGChunks.withFixedCRCs(Array(UnsafeBufferPointer(start: data, count: size))))
    return 0
}

/// The executable's entry point under SwiftPM's name for it (see Fuzz/FuzzDriver).
@_cdecl("PNGFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    atelier_fuzz_main(argc, argv)
}
