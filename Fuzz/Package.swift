// swift-tools-version:6.0
// Coverage-guided fuzz targets for Pixelwise's file readers (libFuzzer through Swift's
// `-sanitize=fuzzer`). A package of its own, so the fuzz build (instrumented, with its own
// build folder) never touches the normal build. Built and run by `scripts/fuzz` (`make fuzz`,
// and a short run of each target in `make test`); see docs/reliability.md.
//
// Each `fuzz-*` target's main.swift hands its reader to libFuzzer's `LLVMFuzzerRunDriver`
// (SwiftPM gives executables their own `main`), so the targets link only with `-sanitize=fuzzer`.
import PackageDescription

let package = Package(
    name: "PixelwiseFuzz",
    dependencies: [
        .package(name: "Pixelwise", path: ".."),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver", .product(name: "Pixelwise", package: "Pixelwise")]),
        .executableTarget(name: "fuzz-png", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-jpeg", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-bmp", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-tiff", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-hdf5", dependencies: ["FuzzSupport"]),
        // The CLI's YAML configuration loader, compiled from its source file (symlinked: an
        // executable target cannot be imported from another package).
        .target(name: "CLIConfiguration", dependencies: [.product(name: "Pixelwise", package: "Pixelwise"), .product(name: "Yams", package: "Yams")]),
        .executableTarget(name: "fuzz-yaml", dependencies: ["FuzzSupport", "CLIConfiguration"]),
    ],
    swiftLanguageModes: [.v5]
)
