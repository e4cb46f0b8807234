// swift-tools-version:6.0
// Pixelwise: U-Net family training and pixelwise segmentation on the CPU, on oneDNN.
//
// Targets are layered; each depends only on targets above it:
//   C libraries (CDNNL, CHDF5, CPNG, CTIFF, CJPEG, CMPI, CZlib, CBlosc, CZstd) and three small C
//   shims: CJPEGShim and CPNGShim (the setjmp their error handling needs), CHDF5Shim (a damaged
//   HDF5 file's metadata walked in a child process before libhdf5 reads it in ours); CKernels, the
//   Winograd transforms and the tensor layout transpose in C, one clone per instruction set (Swift
//   builds for baseline x86-64)
//   PixelwiseCore        tensors, shapes, errors
//   PixelwiseAlgorithms  distance transforms, connected components, segmentation metrics (no deps)
//   PixelwiseKernels     oneDNN primitives behind a small CPU backend
//   PixelwiseNN          layers, graph + reverse-mode autodiff, losses, optimisers, initialisers
//   PixelwiseModels      the model zoo (U-Net family, SW/SK/USK-Nets, Algorithm 1)
//   PixelwiseIO          images, HDF5 model files, data sets, augmentation
//   PixelwiseWorkflow    recipes, training sessions, segmenter, evaluation: what the CLI does, as a library
//   PixelwiseDistributed data-parallel training and blockwise segmentation over MPI (Open MPI's mpirun)
//   PixelwiseCLI         the `pixelwise` command
import PackageDescription

let optimise: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "Pixelwise",
    products: [
        .executable(name: "pixelwise", targets: ["PixelwiseCLI"]),
        .executable(name: "pixelwise-benchmarks", targets: ["PixelwiseBenchmarks"]),
        .library(name: "Pixelwise", targets: ["PixelwiseCore", "PixelwiseNN", "PixelwiseModels", "PixelwiseIO", "PixelwiseWorkflow"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng16"),
        .systemLibrary(name: "CTIFF", path: "Sources/CTIFF", pkgConfig: "libtiff-4"),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG"),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib"),
        // Chunk codecs of zarr / N5 stores (docs/chunked.md).
        .systemLibrary(name: "CBlosc", path: "Sources/CBlosc", pkgConfig: "blosc"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd"),
        // C code that owns the setjmp libjpeg/libpng need for errors (Swift cannot call setjmp).
        .target(name: "CJPEGShim", dependencies: ["CJPEG"], linkerSettings: [.linkedLibrary("jpeg")]),
        .target(name: "CPNGShim", dependencies: ["CPNG"], linkerSettings: [.linkedLibrary("png16")]),
        // Walks an HDF5 file's metadata in a forked child before libhdf5 reads it in-process.
        .target(name: "CHDF5Shim", dependencies: ["CHDF5"]),
        // Winograd transforms and the layout transpose, compiled per instruction set (AVX-512, AVX2, baseline; ckernels.h).
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),

        .target(name: "PixelwiseCore", dependencies: ["CKernels"], swiftSettings: optimise),
        .target(name: "PixelwiseAlgorithms", swiftSettings: optimise),
        .target(name: "PixelwiseKernels", dependencies: ["PixelwiseCore", "CDNNL", "CKernels"], swiftSettings: optimise),
        .target(name: "PixelwiseNN", dependencies: ["PixelwiseCore", "PixelwiseKernels", "PixelwiseAlgorithms"], swiftSettings: optimise),
        .target(name: "PixelwiseModels", dependencies: ["PixelwiseNN"], swiftSettings: optimise),
        .target(name: "PixelwiseIO", dependencies: ["PixelwiseNN", "CHDF5", "CHDF5Shim", "CPNG", "CTIFF", "CJPEG", "CJPEGShim", "CPNGShim", "CZlib", "CBlosc", "CZstd"],
                swiftSettings: optimise),
        // The workflow's `ProcessGroup` and `BlockScheduling` over MPI; the workflow itself knows no MPI.
        .target(name: "PixelwiseDistributed", dependencies: ["PixelwiseNN", "PixelwiseWorkflow", "CMPI"], swiftSettings: optimise),
        // Not on MPI: a session takes any `ProcessGroup` (the CLI passes `MPIProcessGroup`).
        .target(name: "PixelwiseWorkflow",
                dependencies: ["PixelwiseCore", "PixelwiseKernels", "PixelwiseAlgorithms", "PixelwiseNN", "PixelwiseModels", "PixelwiseIO",
                               .product(name: "Yams", package: "Yams")],
                swiftSettings: optimise),

        .executableTarget(
            name: "PixelwiseCLI",
            dependencies: [
                "PixelwiseWorkflow", "PixelwiseIO", "PixelwiseModels", "PixelwiseAlgorithms", "PixelwiseDistributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimise),

        // Component timings, kept out of the unit suite (docs/performance.md); whole models: `pixelwise bench`.
        .executableTarget(
            name: "PixelwiseBenchmarks",
            dependencies: ["PixelwiseIO", "PixelwiseAlgorithms", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: optimise),

        // One test target per source target; folders inside each mirror the source folders. Helpers
        // shared by several test targets (random data, comparisons, finite differences, the
        // double-precision reference operations, scratch folders) live in PixelwiseTestSupport, a
        // regular target only test targets depend on.
        .target(name: "PixelwiseTestSupport", dependencies: ["PixelwiseCore"], path: "Tests/PixelwiseTestSupport"),
        .testTarget(name: "PixelwiseCoreTests", dependencies: ["PixelwiseCore", "PixelwiseTestSupport"]),
        .testTarget(name: "PixelwiseAlgorithmsTests", dependencies: ["PixelwiseAlgorithms", "PixelwiseTestSupport"]),
        .testTarget(name: "PixelwiseKernelsTests", dependencies: ["PixelwiseKernels", "PixelwiseTestSupport"]),
        .testTarget(name: "PixelwiseNNTests", dependencies: ["PixelwiseNN", "PixelwiseTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "PixelwiseModelsTests", dependencies: ["PixelwiseModels", "PixelwiseTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "PixelwiseIOTests", dependencies: ["PixelwiseIO", "PixelwiseTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PixelwiseDistributedTests", dependencies: ["PixelwiseDistributed"]),
        // Runs the built `pixelwise` binary as a subprocess; depending on the executable target makes
        // `swift build --build-tests` build it too.
        .testTarget(name: "PixelwiseCLITests", dependencies: ["PixelwiseCLI", "PixelwiseIO", "PixelwiseModels", "PixelwiseTestSupport"]),
        // Compares the segmenter with the built `pixelwise` binary, so it depends on the executable too.
        .testTarget(name: "PixelwiseWorkflowTests", dependencies: ["PixelwiseWorkflow", "PixelwiseCLI", "PixelwiseTestSupport"]),
    ],
    // Swift 5 language mode: the kernels share raw buffers across threads by design (disjoint
    // ranges), which Swift 6's strict checking cannot express without noise at every call.
    swiftLanguageModes: [.v5]
)
