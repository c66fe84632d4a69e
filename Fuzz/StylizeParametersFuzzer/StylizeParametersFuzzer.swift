import FuzzSupport
import HTTP
import Service

/// A `POST /stylize` as three parts: the request target (the query: style blends, strength, seeds,
/// …), a line with the Content-Type, then the body (a raw image or a multipart form with the image,
/// mask and paintings). Checked as the route checks it before choosing a model; the answer must be
/// 200 or a 4xx, never a crash or a 500.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStylizeParameters(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let lines = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
    let target = "/stylize" + String(decoding: lines[0], as: UTF8.self)
    var headers = HTTPHeaders()
    if lines.count > 1 { headers.add(name: "Content-Type", value: String(decoding: lines[1], as: UTF8.self)) }
    let body = lines.count > 2 ? Array(lines[2]) : []
    let request = HTTPRequest(method: "POST", target: target, headers: headers, body: body)
    let status = StylizeRequestCheck.status(of: request, maxInputPixels: 1 << 20)
    precondition(status == 200 || (400..<500).contains(status), "POST /stylize answered \(status) for \(request.target)")
    return 0
}

/// The executable's entry point under SwiftPM's name for it (see Fuzz/FuzzDriver).
@_cdecl("StylizeParametersFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    atelier_fuzz_main(argc, argv)
}
