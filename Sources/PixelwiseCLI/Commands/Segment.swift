import ArgumentParser
import Foundation
import PixelwiseIO
import PixelwiseModels
import PixelwiseCore
import PixelwiseKernels
import PixelwiseNN

/// `pixelwise segment`: label every pixel of images and stacks of any size with a trained model.
struct Segment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment images, folders and TIFF stacks of any size with a trained model.",
        discussion: """
        For NAME.ext writes OUT/NAME.png: the class label image (class values as in training, e.g. \
        0 background, 255 foreground), or with --probabilities the foreground probability as 8-bit \
        0–255. Multi-page TIFF stacks come back as multi-page TIFFs (float32 with --float). \
        An HDF5 volume is named FILE.h5:/DATASET (e.g. sample_A.h5:/volumes/raw, [D,H,W] or [H,W]); \
        it is read slice by slice and written as OUT/FILE_DATASET.tif (e.g. sample_A_volumes_raw.tif).
        """)

    @Option(help: "A model file written by `pixelwise train` (RUN_DIR/model.h5).")
    var model: String
    @Argument(help: "Image files, folders of images, multi-page TIFF stacks, or HDF5 volumes as FILE.h5:/DATASET.")
    var inputs: [String]
    @Option(help: "Output folder (created if missing).")
    var out: String
    @Flag(help: "Write the foreground probability (8-bit 0–255) instead of class labels.")
    var probabilities = false
    @Flag(name: .customLong("float"), help: "Write float32 TIFF probability maps (implies --probabilities).")
    var floatOutput = false
    @Flag(help: "Test-time augmentation: average the 8 rotations and flips (8× slower).")
    var tta = false
    @Option(help: "Input tile side in pixels (default: the largest that fits --memory).")
    var tile: Int?
    @Option(help: "Fraction of a tile shared with its neighbours, 0–0.5; overlaps are blended.")
    var overlap: Double = 0.125
    @Option(help: "Memory budget for one tile's feature maps, in MB.")
    var memory: Int = 1024
    @Option(help: "Write every intermediate feature map of the first tile to this folder (float TIFF, one page per channel).")
    var dumpBlobs: String?
    @Option(help: "Inference precision: fp32, or bf16 (faster on CPUs with AMX/AVX-512-BF16; probabilities within ≈1 % of fp32).")
    var precision: Precision = .float32
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard (0...0.5).contains(overlap) else { throw ValidationError("--overlap must be between 0 and 0.5") }
        guard memory > 0 else { throw ValidationError("--memory must be positive") }
        if let tile, tile < 8 { throw ValidationError("--tile must be at least 8") }
    }

    func run() throws {
        compute.apply()
        let graph = try ModelFile.read(from: model).makeGraph(path: model)
        guard graph.spatialRank == 2 else {
            throw PixelwiseError.file(path: model, problem: "holds a 3-D network; pixelwise segment segments images and stacks slice by slice with 2-D networks")
        }
        graph.inferenceStrategy = .planned(precision.checkedForThisCPU())
        compute.configure(graph)
        let tileSize = tile ?? TiledSegmenter.tileSize(for: graph, memoryBudget: memory << 20)
        let segmenter = try TiledSegmenter(graph: graph, tile: tileSize, overlap: overlap)
        let classes = try graph.outputShape(for: [1, graph.inputChannels, segmenter.inputTile, segmenter.inputTile])[1]
        let conventions = ModelConventions(graph: graph, classes: classes)

        // Check every input before writing anything: no partial output for a bad input.
        let stacks = try expandInputs(inputs).map { try ImageStack(path: $0) }
        var targets: [String: String] = [:]
        for stack in stacks {
            // HDF5 volumes are grey by construction: check one slice, not the whole volume.
            for image in stack.format == .hdf5 ? [try stack.page(0)] : try stack.readAll() {
                let channels = conventions.tensor(for: image).shape[1]
                guard channels == graph.inputChannels else {
                    throw PixelwiseError.file(path: stack.path, problem: "has \(channels) channel(s), the model \(model) takes \(graph.inputChannels)")
                }
            }
            let target = outputPath(for: stack)
            if let other = targets[target] {
                throw PixelwiseError.file(path: stack.path, problem: "would overwrite the result of \(other) (both become \(target)); segment them into separate folders")
            }
            targets[target] = stack.path
        }

        var created: [String] = []
        do {
            for folder in [out] + (dumpBlobs.map { [$0] } ?? []) where !FileManager.default.fileExists(atPath: folder) {
                do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                    throw PixelwiseError.file(path: folder, problem: "cannot create the output folder (\(error.localizedDescription))")
                }
                created.append(folder)
            }
            try segment(stacks, graph: graph, conventions: conventions, segmenter: segmenter) { created.append($0) }
        } catch {
            // Take back everything this run wrote: a failed run leaves no partial output.
            for path in created.reversed() { try? FileManager.default.removeItem(atPath: path) }
            throw error
        }
    }

    /// OUT/NAME.png, or .tif for stacks and float output.
    func outputPath(for stack: ImageStack) -> String {
        out + "/" + stack.name + (stack.count > 1 || floatOutput ? ".tif" : ".png")
    }

    /// Segments every page of every stack; `wrote` hears of each file written.
    func segment(_ stacks: [ImageStack], graph: Graph, conventions: ModelConventions, segmenter: TiledSegmenter,
                 wrote: (String) -> Void) throws {
        log("model \(model): \(graph.metadata["model"] ?? "network"), tiles \(segmenter.inputTile)² → \(segmenter.outputTile)², \(stacks.count) input(s)")
        if let dumpBlobs, let first = stacks.first {
            try dump(graph, first: try first.page(0), conventions: conventions, segmenter: segmenter, into: dumpBlobs)
        }
        let start = Date()
        var pixels = 0
        for stack in stacks {
            var pages: [Image] = []
            for index in 0..<stack.count {
                let image = try stack.page(index)
                let input = conventions.tensor(for: image)
                let result = tta ? try segmenter.segmentWithAugmentation(input) : try segmenter.segment(input)
                pages.append(outputImage(result, conventions: conventions))
                pixels += image.width * image.height
                log("\(stack.path)\(stack.count > 1 ? " page \(index + 1)/\(stack.count)" : ""): \(image.width)×\(image.height)")
            }
            let target = outputPath(for: stack)
            if stack.count > 1 { try ImageStack.write(pages, to: target) } else { try pages[0].write(to: target) }
            wrote(target)
        }
        let seconds = Date().timeIntervalSince(start)
        log(String(format: "segmented %d image(s), %.2f Mpx in %.1f s (%.0f kpx/s); results in ", stacks.count,
                   Double(pixels) / 1e6, seconds, Double(pixels) / seconds / 1000) + out)
    }

    func outputImage(_ result: Tensor, conventions: ModelConventions) -> Image {
        let (h, w) = (result.shape[2], result.shape[3])
        if floatOutput {
            return Image(width: w, height: h, channels: 1, sampleType: .float32, pixels: foregroundProbability(result))
        }
        if probabilities {
            return Image(width: w, height: h, channels: 1, sampleType: .uint8,
                         pixels: foregroundProbability(result).map { ($0 * 255).rounded() })
        }
        return Image(width: w, height: h, channels: 1, sampleType: .uint8,
                     pixels: argmaxClasses(result).map { conventions.classValues[Int($0)] })
    }

    /// Every node's output for the first tile of the first image.
    func dump(_ graph: Graph, first image: Image, conventions: ModelConventions, segmenter: TiledSegmenter, into folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let input = conventions.tensor(for: image)
        let window = TiledSegmenter.mirroredWindow(input.scalars, channels: input.shape[1], width: input.shape[3], height: input.shape[2],
                                                   x0: -segmenter.context, y0: -segmenter.context, size: segmenter.inputTile)
        let outputs = try graph.forwardKeepingActivations(window)
        for (i, (node, value)) in zip(graph.nodes, outputs).enumerated() {
            let t = value.inLayout(.rowMajor)
            let (c, h, w) = (t.shape[1], t.shape[2], t.shape[3])
            let v = t.scalars
            let pages = (0..<c).map { k -> Image in
                let plane = Array(v[(k * h * w)..<((k + 1) * h * w)])
                return Image(width: w, height: h, channels: 1, sampleType: .float32, pixels: plane)
            }
            try ImageStack.write(pages, to: folder + String(format: "/%03d-", i) + node.name + ".tif")
        }
        log("wrote \(outputs.count) feature maps to \(folder)")
    }
}

/// Files named directly, plus the image files inside named folders (sorted), in order; HDF5
/// volume references (`FILE.h5:/DATASET`) pass through once their file is known to exist.
func expandInputs(_ inputs: [String]) throws -> [String] {
    var files: [String] = []
    for input in inputs {
        if let (file, _) = HDF5VolumeDataset.reference(input), !FileManager.default.fileExists(atPath: input) {
            guard FileManager.default.fileExists(atPath: file) else { throw PixelwiseError.file(path: file, problem: "no such file") }
            files.append(input)
            continue
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isFolder) else {
            throw PixelwiseError.file(path: input, problem: "no such file or folder")
        }
        if isFolder.boolValue {
            let inside = try FilePairDataset.imageFiles(in: input)
            if inside.isEmpty { throw PixelwiseError.file(path: input, problem: "contains no images") }
            files += inside
        } else {
            files.append(input)
        }
    }
    return files
}

/// Progress and status lines go to stderr, so stdout stays clean for tables and JSON.
func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
