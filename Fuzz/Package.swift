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
    ],
    targets: [
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver", .product(name: "Pixelwise", package: "Pixelwise")]),
        .executableTarget(name: "fuzz-png", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-jpeg", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-bmp", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-tiff", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-hdf5", dependencies: ["FuzzSupport"]),
        // The training recipe's YAML loader (`pixelwise train --config`, `Recipe.load`).
        .executableTarget(name: "fuzz-yaml", dependencies: ["FuzzSupport"]),
        // zarr v2/v3 and N5 metadata and chunks (`FILE.zarr/PATH`, `FILE.n5/PATH`; ChunkedFuzzing).
        .executableTarget(name: "fuzz-chunked", dependencies: ["FuzzSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
