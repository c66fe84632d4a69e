// swift-tools-version:6.0
// Atelier: an HTTP image-stylization service. One module per layer; dependencies point one way:
//   CCodecs → ImageIO ┐
//   Tensor → Models   ├→ Service → atelier (CLI)
//   HTTP ─────────────┘
import PackageDescription

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
        .target(name: "Tensor"),
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
