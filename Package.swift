// swift-tools-version:6.0
// Atelier: an HTTP image-stylization service. One module per layer; dependencies point one way:
//   CCodecs → ImageIO ┐
//   Tensor → Models ──┴→ Training → Service → atelier (CLI)
//   HTTP ─────────────────────────────┤
//   CLibPQ → Postgres ────────────────┘
// (Service runs training jobs for POST /styles; HTTP knows nothing of tensors, kernels nothing of HTTP;
// Postgres is a small libpq client that knows nothing of styles.)
import PackageDescription

// The GEMM micro-kernel is compiled three times (Sources/TensorAVX2 and Sources/TensorAVX512 hold
// symbolic links to Sources/Tensor/Kernels/GEMMKernel.swift) and chosen at run time from cpuid, so
// one binary runs on any x86-64 server and uses AVX2/FMA or AVX-512 where the CPU has them.
// Release kernels run without bounds checks. Debug builds (the tests) keep the checks but are
// still optimized (-O): unoptimized SIMD code is ~50× slower, which made the numerical and
// training tests take minutes.
let kernelSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]
func wideKernelSettings(_ cpu: String, defines: [String] = []) -> [SwiftSetting] {
    kernelSettings + [.unsafeFlags(["-target-cpu", cpu]), .define("ATELIER_FMA")] + defines.map { .define($0) }
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
        .target(name: "CPUFeatures"),
        .target(name: "TensorAVX2", swiftSettings: wideKernelSettings("haswell")),
        .target(name: "TensorAVX512", swiftSettings: wideKernelSettings("skylake-avx512", defines: ["ATELIER_AVX512"])),
        .target(name: "Tensor", dependencies: ["CPUFeatures", "TensorAVX2", "TensorAVX512"], swiftSettings: kernelSettings),
        .target(name: "Models", dependencies: ["Tensor", "ImageIO"]),
        .target(name: "Training", dependencies: ["Models", "Tensor", "ImageIO"]),
        .target(name: "HTTP"),
        // PostgreSQL's C client (Debian: libpq-dev), for the shared state of several replicas (ATELIER_STORE).
        .systemLibrary(name: "CLibPQ", providers: [.apt(["libpq-dev"])]),
        .target(name: "Postgres", dependencies: ["CLibPQ"]),
        .target(name: "Service", dependencies: ["HTTP", "ImageIO", "Models", "Tensor", "Training", "Postgres"]),
        .executableTarget(name: "atelier", dependencies: ["Service", "Models", "ImageIO", "Tensor", "Training"]),

        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Tensor"], resources: [.copy("Golden")]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "Tensor"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        // A throwaway schema on the test server, for both suites that talk to PostgreSQL.
        .target(name: "PostgresTestSupport", dependencies: ["Postgres"], path: "Tests/PostgresTestSupport"),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "PostgresTestSupport"]),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "HTTP", "ImageIO", "Models", "Training", "Postgres", "PostgresTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)

// libFuzzer targets (Fuzz/, one executable each; scripts/fuzz.sh, `make fuzz`). Declared only when
// ATELIER_FUZZ is set: they link only with -sanitize=fuzzer (FuzzDriver starts libFuzzer).
if Context.environment["ATELIER_FUZZ"] != nil {
    let fuzzFlags: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]
    package.targets += [
        .target(name: "FuzzDriver", path: "Fuzz/FuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["FuzzDriver", "HTTP", "ImageIO"], path: "Fuzz/FuzzSupport"),
        .executableTarget(name: "HTTPRequestFuzzer", dependencies: ["FuzzSupport"], path: "Fuzz/HTTPRequestFuzzer", swiftSettings: fuzzFlags),
        .executableTarget(name: "ChunkedBodyFuzzer", dependencies: ["FuzzSupport"], path: "Fuzz/ChunkedBodyFuzzer", swiftSettings: fuzzFlags),
        .executableTarget(name: "MultipartFuzzer", dependencies: ["FuzzSupport"], path: "Fuzz/MultipartFuzzer", swiftSettings: fuzzFlags),
        .executableTarget(name: "PNGFuzzer", dependencies: ["FuzzSupport"], path: "Fuzz/PNGFuzzer", swiftSettings: fuzzFlags),
        .executableTarget(name: "JPEGFuzzer", dependencies: ["FuzzSupport"], path: "Fuzz/JPEGFuzzer", swiftSettings: fuzzFlags),
        .executableTarget(name: "SafeTensorsFuzzer", dependencies: ["FuzzSupport", "Models"], path: "Fuzz/SafeTensorsFuzzer", swiftSettings: fuzzFlags),
        .executableTarget(name: "ONNXFuzzer", dependencies: ["FuzzSupport", "Models"], path: "Fuzz/ONNXFuzzer", swiftSettings: fuzzFlags),
        .executableTarget(name: "StylizeParametersFuzzer", dependencies: ["FuzzSupport", "Service", "HTTP"], path: "Fuzz/StylizeParametersFuzzer", swiftSettings: fuzzFlags),
    ]
    package.products += package.targets.filter { $0.type == .executable && $0.name.hasSuffix("Fuzzer") }
        .map { .executable(name: $0.name, targets: [$0.name]) }
}
