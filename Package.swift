// swift-tools-version:6.0
// Atelier: an HTTP image-stylization service. One module per layer; dependencies point one way:
//   CCodecs → ImageIO ┐
//   Tensor → Models   ├→ Service → atelier (CLI)
//   HTTP ─────────────┘
import Foundation
import PackageDescription

// The kernels' instruction set. The default build runs on any x86-64 server (SSE2 baseline).
// `ATELIER_CPU=haswell make build` (AVX2 + FMA), `skylake-avx512` (AVX-512) or `native` builds
// the tensor kernels for a wider CPU (LLVM CPU names); such a binary dies with SIGILL on older ones.
let cpu = ProcessInfo.processInfo.environment["ATELIER_CPU"].flatMap { $0.isEmpty ? nil : $0 }
let fmaCPUs: Set<String> = ["native", "haswell", "broadwell", "skylake", "skylake-avx512", "icelake-server", "sapphirerapids", "znver2", "znver3", "znver4", "znver5"]
var kernelSettings: [SwiftSetting] = [
    // Bounds checks stay on in debug builds (tests); release kernels run unchecked.
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
]
if let cpu {
    kernelSettings.append(.unsafeFlags(["-target-cpu", cpu]))
    if fmaCPUs.contains(cpu) { kernelSettings.append(.define("ATELIER_FMA")) }
}

let package = Package(
    name: "Atelier",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "atelier", targets: ["atelier"]),
    ],
    targets: [
        // libpng / libjpeg / zlib behind a small C shim: both libraries report errors with
        // setjmp/longjmp, which Swift cannot do, so the shim owns the jump buffers.
        .target(
            name: "CCodecs",
            linkerSettings: [.linkedLibrary("png"), .linkedLibrary("jpeg"), .linkedLibrary("z")]
        ),
        .target(name: "ImageIO", dependencies: ["CCodecs"]),
        .target(name: "Tensor", swiftSettings: kernelSettings),
        .target(name: "Models", dependencies: ["Tensor"]),
        .target(name: "HTTP"),
        .target(name: "Service", dependencies: ["HTTP", "ImageIO", "Models", "Tensor"]),
        .executableTarget(name: "atelier", dependencies: ["Service", "Models", "ImageIO", "Tensor"]),

        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Tensor"], resources: [.copy("Golden")]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "HTTP", "ImageIO", "Models"]),
    ],
    swiftLanguageModes: [.v5]
)
