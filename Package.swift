// swift-tools-version:6.0
// Pixelwise: U-Net family training and pixelwise segmentation on the CPU, on oneDNN.
//
// Targets are layered; each depends only on targets above it:
//   C libraries (CDNNL, CHDF5, CPNG, CTIFF, CJPEG, CMPI, CZlib)
//   PixelwiseCore        tensors, shapes, errors
//   PixelwiseAlgorithms  distance transforms, connected components, segmentation metrics (no deps)
//   PixelwiseKernels     oneDNN primitives behind a small CPU backend
//   PixelwiseNN          layers, graph + reverse-mode autodiff, losses, optimisers, initialisers
//   PixelwiseModels      the model zoo (U-Net family, SW/SK/USK-Nets, Algorithm 1)
//   PixelwiseIO          images, HDF5 model files, data sets, augmentation
//   PixelwiseDistributed data-parallel training over MPI (Open MPI's mpirun)
//   PixelwiseCLI         the `pixelwise` command
import PackageDescription

let optimise: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "Pixelwise",
    products: [
        .executable(name: "pixelwise", targets: ["PixelwiseCLI"]),
        .library(name: "Pixelwise", targets: ["PixelwiseCore", "PixelwiseNN", "PixelwiseModels", "PixelwiseIO"]),
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
        // C code that owns the setjmp libjpeg/libpng need for errors (Swift cannot call setjmp).
        .target(name: "CJPEGShim", dependencies: ["CJPEG"], linkerSettings: [.linkedLibrary("jpeg")]),
        .target(name: "CPNGShim", dependencies: ["CPNG"], linkerSettings: [.linkedLibrary("png16")]),

        .target(name: "PixelwiseCore", swiftSettings: optimise),
        .target(name: "PixelwiseAlgorithms", swiftSettings: optimise),
        .target(name: "PixelwiseKernels", dependencies: ["PixelwiseCore", "CDNNL"], swiftSettings: optimise),
        .target(name: "PixelwiseNN", dependencies: ["PixelwiseCore", "PixelwiseKernels", "PixelwiseAlgorithms"], swiftSettings: optimise),
        .target(name: "PixelwiseModels", dependencies: ["PixelwiseNN"], swiftSettings: optimise),
        .target(name: "PixelwiseIO", dependencies: ["PixelwiseNN", "CHDF5", "CPNG", "CTIFF", "CJPEG", "CJPEGShim", "CPNGShim", "CZlib"],
                swiftSettings: optimise),
        .target(name: "PixelwiseDistributed", dependencies: ["PixelwiseNN", "CMPI"], swiftSettings: optimise),

        .executableTarget(
            name: "PixelwiseCLI",
            dependencies: [
                "PixelwiseIO", "PixelwiseModels", "PixelwiseAlgorithms", "PixelwiseDistributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: optimise),

        .testTarget(name: "PixelwiseNNTests", dependencies: ["PixelwiseNN"]),
        .testTarget(name: "PixelwiseAlgorithmsTests", dependencies: ["PixelwiseAlgorithms"]),
        .testTarget(name: "PixelwiseModelsTests", dependencies: ["PixelwiseModels"], exclude: ["Fixtures"]),
        .testTarget(name: "PixelwiseIOTests", dependencies: ["PixelwiseIO"], resources: [.copy("Fixtures")]),
        // Runs the built `pixelwise` binary as a subprocess; depending on the executable target makes
        // `swift build --build-tests` build it too.
        .testTarget(name: "PixelwiseCLITests", dependencies: ["PixelwiseCLI", "PixelwiseIO", "PixelwiseModels"]),
    ],
    // Swift 5 language mode: the kernels share raw buffers across threads by design (disjoint
    // ranges), which Swift 6's strict checking cannot express without noise at every call.
    swiftLanguageModes: [.v5]
)
