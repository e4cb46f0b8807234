import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseKernels
import PixelwiseModels
import PixelwiseNN

/// Segments images, folders, multi-page TIFF stacks and HDF5 volumes of any size with a trained
/// model file: what `pixelwise segment` does, for any Swift program.
///
/// The model file is all it needs: the network, its weights and the data conventions training
/// stored (`ModelConventions`: raw normalisation, the label value of each class). Images are
/// covered by tiles whose input windows are mirrored at the borders (`TiledSegmenter`), so memory
/// stays flat in the image size; stacks and volumes are read and segmented page by page.
public final class Segmenter {
    /// What to write for each pixel.
    public enum Output: Sendable {
        /// The class label image, in the label values of training (e.g. 0 and 255).
        case labels
        /// The foreground probability as 8-bit 0–255 (more than two classes: one channel per class, TIFF).
        case probabilities
        /// The foreground probability as float32 (TIFF; more than two classes: one channel per class;
        /// for a NIfTI volume a 4-D volume with the classes along the 4th axis).
        case floatProbabilities
    }

    public struct Options: Sendable {
        public var output: Output = .labels
        /// Average the 8 rotations and flips (8× slower).
        public var testTimeAugmentation = false
        /// Input tile side in pixels; nil: the largest that fits `memoryBudget`. For a 3-D network
        /// a cube of this side, unless `block` is given.
        public var tile: Int?
        /// 3-D networks: the input block along (z, y, x); nil: `tile` as a cube, or the block with the
        /// least work that fits `memoryBudget`.
        public var block: [Int]?
        /// 3-D networks: the voxel spacing along (z, y, x), replacing the file's (which decides the
        /// test-time symmetries that fit).
        public var spacing: [Double]?
        /// Fraction of a tile shared with its neighbours, 0–0.5; overlaps are blended.
        public var overlap = 0.125
        /// Memory budget for one tile's feature maps, in bytes.
        public var memoryBudget = 1024 << 20
        /// Inference arithmetic (bf16 falls back to fp32, with a warning, on CPUs without it).
        public var precision: Precision = .float32
        public var algorithm: ConvolutionAlgorithm = .fastest
        /// With probabilities: the classes whose probabilities are summed into the one foreground
        /// map written (a C-class model's two-class consolidation, e.g. ssTEM's mitochondria + cell
        /// against the rest); nil: class 1 for two classes, one map per class for more.
        public var foregroundClasses: [Int]?
        /// The axis volumes (stacks of more than one page) are cut along; nil: the model's training
        /// axis (z unless trained with another). Single images are segmented as they are.
        public var sliceAxis: SliceAxis?

        public init() {}
    }

    /// What a segmenter reports while it works; `description` is the line `pixelwise segment` prints.
    public enum Event: CustomStringConvertible {
        case started(model: String, network: String, inputTile: Int, outputTile: Int, inputs: Int)
        case page(path: String, index: Int, count: Int, width: Int, height: Int)
        case wroteFeatureMaps(count: Int, folder: String)
        case finished(images: Int, pixels: Int, seconds: Double, folder: String)
        case warning(String)
        /// A 3-D network's blocks: the volume, its size, the block shape and the blocks to compute.
        case volume(name: String, size: [Int], inputBlock: [Int], outputBlock: [Int], blocks: Int, symmetries: Int)
        case block(BlockSegmenter.Progress)

        public var description: String {
            switch self {
            case let .started(model, network, inputTile, outputTile, inputs):
                return "model \(model): \(network), tiles \(inputTile)² → \(outputTile)², \(inputs) input(s)"
            case let .page(path, index, count, width, height):
                return "\(path)\(count > 1 ? " page \(index + 1)/\(count)" : ""): \(width)×\(height)"
            case let .wroteFeatureMaps(count, folder):
                return "wrote \(count) feature maps to \(folder)"
            case let .finished(images, pixels, seconds, folder):
                return String(format: "segmented %d image(s), %.2f Mpx in %.1f s (%.0f kpx/s); results in ", images,
                              Double(pixels) / 1e6, seconds, Double(pixels) / seconds / 1000) + folder
            case let .warning(message):
                return message
            case let .volume(name, size, inputBlock, outputBlock, blocks, symmetries):
                func x(_ v: [Int]) -> String { v.map(String.init).joined(separator: "×") }
                return "\(name): \(x(size)) voxels, blocks \(x(inputBlock)) → \(x(outputBlock)), \(blocks) block(s)"
                    + (symmetries > 1 ? ", \(symmetries) symmetries each" : "")
            case let .block(progress):
                return progress.description
            }
        }
    }

    public let graph: Graph
    /// The model file's path (or a name for a graph given directly), for messages.
    public let modelName: String
    public let options: Options
    /// The 2-D tiling (nil for a 3-D network, whose blocks depend on the volume: `blocks(for:)`).
    public let tiling: TiledSegmenter?
    public let conventions: ModelConventions
    public var onEvent: ((Event) -> Void)?

    /// Reads a model file written by `pixelwise train` (or `ModelFile`).
    /// Its checksums are verified (damage is the error); a file without them loads with a warning.
    public convenience init(model path: String, options: Options = Options(), onEvent: ((Event) -> Void)? = nil) throws {
        let file = try ModelFile.read(from: path)
        if let warning = file.integrityWarning(path: path) { onEvent?(.warning("pixelwise: warning: " + warning)) }
        try self.init(graph: try file.makeGraph(path: path), name: path, options: options, onEvent: onEvent)
    }

    /// Segments with `graph` (its metadata gives the conventions); `name` names it in messages.
    public init(graph: Graph, name: String, options: Options = Options(), onEvent: ((Event) -> Void)? = nil) throws {
        self.graph = graph
        modelName = name
        self.options = options
        self.onEvent = onEvent
        if let warning = options.precision.fallbackWarning { onEvent?(.warning(warning)) }
        graph.inferenceStrategy = .planned(options.precision.effective)
        options.algorithm.configure(graph)
        if graph.spatialRank == 3 {
            tiling = nil
            let cube = try (1...512).lazy.compactMap { try? graph.outputShape(for: [1, graph.inputChannels, $0, $0, $0]) }.first
                ?? { throw PixelwiseError.file(path: name, problem: "the 3-D network accepts no input cube up to 512 voxels a side") }()
            conventions = ModelConventions(graph: graph, classes: cube[1])
            return
        }
        let tileSize = options.tile ?? TiledSegmenter.tileSize(for: graph, memoryBudget: options.memoryBudget)
        let tiling = try TiledSegmenter(graph: graph, tile: tileSize, overlap: options.overlap)
        self.tiling = tiling
        let classes = try graph.outputShape(for: [1, graph.inputChannels, tiling.inputTile, tiling.inputTile])[1]
        conventions = ModelConventions(graph: graph, classes: classes)
        if let bad = options.foregroundClasses?.first(where: { !(0..<max(classes, 2)).contains($0) }) {
            throw PixelwiseError.invalidArgument("foreground class \(bad) is outside the \(max(classes, 2)) classes of \(name)")
        }
    }

    /// The axis volumes are cut along: the option, else the model's training axis, else z.
    public var sliceAxis: SliceAxis { options.sliceAxis ?? conventions.sliceAxis ?? .z }

    /// The output pages of one volume, given as its normalised stored (z) pages, segmented as
    /// slices along `sliceAxis` (`VolumeSlicing`) and put back into stored pages.
    func segmentResliced(_ normalised: [Image]) throws -> [Image] {
        let tiling = try planarTiling("the volume")
        let outputs = try VolumeSlicing.slices(normalised, along: sliceAxis).map { slice -> Image in
            let input = planarTensor(slice)
            return outputImage(options.testTimeAugmentation ? try tiling.segmentWithAugmentation(input) : try tiling.segment(input))
        }
        return VolumeSlicing.pages(fromSlices: outputs, along: sliceAxis)
    }

    /// The 2-D tiling; a one-line error for a 3-D network.
    func planarTiling(_ what: String) throws -> TiledSegmenter {
        guard let tiling else {
            throw PixelwiseError.file(path: what, problem: "is a 2-D image, but the model \(modelName) is a 3-D network; give it a volume (TIFF stack, NIfTI, FILE.h5:/DATASET)")
        }
        return tiling
    }

    /// One image (any size) → its output image of the same size.
    public func segment(_ image: Image) throws -> Image {
        let tiling = try planarTiling("the image")
        let input = conventions.tensor(for: image)
        let result = options.testTimeAugmentation ? try tiling.segmentWithAugmentation(input) : try tiling.segment(input)
        return outputImage(result)
    }

    /// `pixelwise segment --layout brats`: each of `cases` a BraTS case folder (`CASE/CASE_flair.nii.gz`, …)
    /// whose `modalities` (`.nii.gz` or `.nii`) become the input channels, in this order; one
    /// result per case, named after its folder.
    @discardableResult
    public func segment(cases: [String], modalities: [String] = MultiSourceDataset.bratsModalities, into folder: String) throws -> [String] {
        let folders = cases.map { URL(fileURLWithPath: $0).standardized }
        let sources = try folders.map { caseFolder in
            try modalities.map { modality -> String in
                let stem = caseFolder.appendingPathComponent(caseFolder.lastPathComponent + "_" + modality).path
                guard let file = [stem + ".nii.gz", stem + ".nii"].first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                    throw PixelwiseError.file(path: caseFolder.path, problem: "no \(caseFolder.lastPathComponent)_\(modality).nii.gz in the case folder")
                }
                return file
            }
        }
        return try segment(sources: sources, names: folders.map(\.lastPathComponent), into: folder)
    }

    /// Segments cases whose channels come from several co-registered files (BraTS's four MRI
    /// modalities): `sources[k]` are case k's files in the channel order training used, joined by
    /// the model's normalisation (`RawNormalisation.apply(toSources:names:)`), page by page.
    /// Case k is written as FOLDER/`names[k]` plus the first source's kind of output (`.nii.gz` with
    /// its header for NIfTI, else `.tif`/`.png`). Checked before anything is written; nothing is
    /// left behind on failure. Returns the files written.
    @discardableResult
    public func segment(sources: [[String]], names: [String], into folder: String) throws -> [String] {
        precondition(sources.count == names.count, "Segmenter: one name per case")
        let tiling = try planarTiling(sources.first?.first ?? "the case")
        let stacks = try sources.map { try $0.map { try ImageStack(path: $0) } }
        for (files, paths) in zip(stacks, sources) {
            guard let first = files.first else { throw PixelwiseError.invalidArgument("a case without channel sources") }
            for (stack, path) in zip(files, paths) where stack.count != first.count {
                throw PixelwiseError.file(path: path, problem: "has \(stack.count) slices but \(paths[0]) has \(first.count)")
            }
            let channels = try conventions.normalisation.apply(toSources: try files.map { try $0.page(0) }, names: paths).channels
            guard channels == graph.inputChannels else {
                throw PixelwiseError.file(path: paths[0], problem: "the case's \(paths.count) source(s) give \(channels) channel(s), the model \(modelName) takes \(graph.inputChannels)")
            }
        }
        var created: [String] = []
        do {
            if !FileManager.default.fileExists(atPath: folder) {
                do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                    throw PixelwiseError.file(path: folder, problem: "cannot create the output folder (\(error.localizedDescription))")
                }
                created.append(folder)
            }
            var written: [String] = []
            for ((files, paths), name) in zip(zip(stacks, sources), names) {
                let target = folder + "/" + name + (files[0].nifti != nil ? ".nii.gz" : files[0].count > 1 || options.output != .labels ? ".tif" : ".png")
                try writeResult(of: files[0], to: target) { emit in
                    if sliceAxis != .z && files[0].count > 1 {
                        // Slices along y or x need the whole volume: normalised pages in, pages out.
                        let pages = try segmentResliced(try (0..<files[0].count).map { index in
                            try conventions.normalisation.apply(toSources: try files.map { try $0.page(index) }, names: paths)
                        })
                        for page in pages { try emit(page) }
                        onEvent?(.page(path: paths[0], index: files[0].count - 1, count: files[0].count, width: pages[0].width, height: pages[0].height))
                        return
                    }
                    let tiling = try planarTiling(paths[0])
                    for index in 0..<files[0].count {
                        let raw = try conventions.normalisation.apply(toSources: try files.map { try $0.page(index) }, names: paths)
                        let input = planarTensor(raw)
                        try emit(outputImage(options.testTimeAugmentation ? try tiling.segmentWithAugmentation(input) : try tiling.segment(input)))
                        onEvent?(.page(path: paths[0], index: index, count: files[0].count, width: raw.width, height: raw.height))
                    }
                }
                created.append(target)
                written.append(target)
            }
            return written
        } catch {
            for path in created.reversed() { try? FileManager.default.removeItem(atPath: path) }
            throw error
        }
    }

    /// Where `segment(inputs:into:)` writes a stack's result: FOLDER/NAME.png, or .tif for stacks and
    /// float output, or FOLDER/NAME.nii.gz for a NIfTI volume (same grid and affine as the input).
    /// With more than two classes, probabilities are one channel per class, so they go to TIFF.
    public func outputPath(for stack: ImageStack, in folder: String) -> String {
        if stack.nifti != nil { return folder + "/" + stack.name + ".nii.gz" }
        let perClass = classCount > 2 && options.output != .labels && options.foregroundClasses == nil
        return folder + "/" + stack.name + (stack.count > 1 || options.output == .floatProbabilities || perClass ? ".tif" : ".png")
    }

    /// Classes the model predicts (its output channels; 2 for a one-channel sigmoid output).
    public var classCount: Int { max(conventions.classValues.count, 2) }

    /// Class indices of class names or label values (`segment --foreground-classes mitochondria 255`).
    public static func classIndices(of given: [String], conventions: ModelConventions, model: String) throws -> [Int] {
        let names = conventions.labelMap?.names ?? []
        return try given.map { item in
            if let k = names.firstIndex(of: item) { return k }
            if let v = Float(item) {
                if let k = conventions.labelMap?.classIndex(of: v), k >= 0 { return Int(k) }
                if let k = conventions.classValues.firstIndex(of: v) { return k }
            }
            let known = names.isEmpty ? conventions.classValues.map { String(Int($0)) } : names
            throw PixelwiseError.invalidArgument("--foreground-classes: \(model) has no class \"\(item)\" (its classes: \(known.joined(separator: ", ")))")
        }
    }

    /// Output channels of a page: one per class for probabilities of more than two classes, else 1.
    var outputChannels: Int { options.foregroundClasses != nil && options.output != .labels ? 1 : volumeOutputChannels }

    /// Bytes of one output page of width × height.
    func outputPageBytes(width: Int, height: Int) -> Int {
        width * height * outputChannels * (options.output == .floatProbabilities ? 4 : 1)
    }

    /// Writes the result of `stack` to `target` while `produce` segments it: `produce` hands
    /// each finished page to `emit`, in order, and the page goes to the file at once — a TIFF
    /// page by page, a NIfTI volume slice by slice — so memory holds one page whatever the stack's
    /// length. The file appears at `target` only when every page is written (`AtomicFile`); a
    /// failure inside `produce` leaves nothing there. A one-page stack is written as an image. A
    /// TIFF stack with ImageJ's calibration gives it to its result (`--spacing` replaces it).
    func writeResult(of stack: ImageStack, to target: String, _ produce: (_ emit: (Image) throws -> Void) throws -> Void) throws {
        if let volume = stack.nifti { return try writeVolume(like: volume, to: target, produce) }
        if stack.count > 1 {
            let bytes = try stack.pageSizes().reduce(0) { $0 + outputPageBytes(width: $1.width, height: $1.height) }
            // A calibrated stack's result keeps its voxel size (or `--spacing`'s), so it overlays in Fiji.
            var tiff = TIFFWriteOptions()
            let calibration = stack.format == .tiff ? try ImageJCalibration.read(path: stack.path) : nil
            if let spacing = options.spacing {
                tiff.calibration = .init(ImageJCalibration(spacing: spacing, unit: calibration?.unit), pages: stack.count)
            } else if let calibration {
                tiff.calibration = .init(calibration, pages: stack.count)
            }
            return try ImageStack.write(to: target, options: tiff, pixelBytes: bytes, produce)
        }
        var page: Image?
        try produce { page = $0 }
        guard let page else { throw PixelwiseError.file(path: stack.path, problem: "has no pages") }
        try page.write(to: target)
    }

    /// A NIfTI volume's result, written slice by slice as `produce` hands them over: the input's
    /// header (grid, spacing, qform, sform) with the output's type — uint8 labels (int16 when a
    /// class value exceeds 255) or float32 probabilities.
    func writeVolume(like input: NIfTIVolume, to path: String, _ produce: (_ emit: (Image) throws -> Void) throws -> Void) throws {
        let type: NIfTIDataType
        switch options.output {
        case .floatProbabilities: type = .float32
        case .labels where conventions.classValues.contains { $0 < 0 || $0 > 255 }: type = .int16
        default: type = .uint8
        }
        let channels = outputChannels
        guard channels > 1 else {
            let header = input.header.derived(dataType: type, extraDimensions: Array(input.header.dimensions.dropFirst(3)),
                                              description: "pixelwise segmentation")
            try NIfTIVolume.write(header: header, to: path) { sink in try produce { try sink.append($0.pixels) } }
            return
        }
        // Probabilities of C classes: a 4-D volume (x, y, z, class), class-major as NIfTI stores it.
        guard input.volumes == 1 else {
            throw PixelwiseError.file(path: path, problem: "per-class probabilities of a 4-D volume are not written; segment its volumes one at a time or write labels")
        }
        let header = input.header.derived(dataType: type, extraDimensions: [channels], description: "pixelwise class probabilities")
        // Class 0 goes to the file as each slice is finished; classes 1… wait in a scratch file
        // next to the output (float32 planes, slice by slice) and follow, class by class.
        let scratch = try ScratchPlanes(near: path)
        try NIfTIVolume.write(header: header, to: path) { sink in
            var slices = 0
            try produce { page in
                try sink.append(stride(from: 0, to: page.pixels.count, by: channels).lazy.map { page.pixels[$0] })
                for c in 1..<channels { try scratch.append(stride(from: c, to: page.pixels.count, by: channels).map { page.pixels[$0] }) }
                slices += 1
            }
            let plane = input.width * input.height
            for c in 1..<channels {
                for slice in 0..<slices { try sink.append(try scratch.read(plane: slice * (channels - 1) + c - 1, count: plane)) }
            }
        }
    }

    /// Segments every page of every input (files, folders of images, stacks, `FILE.h5:/DATASET`
    /// volumes) into `folder`, created if missing. Every input is checked before anything is
    /// written, and a failure takes back everything this call wrote: no partial output.
    /// `featureMaps` names a folder for every node's output on the first tile of the first image.
    /// Returns the files written.
    @discardableResult
    public func segment(inputs: [String], into folder: String, featureMaps: String? = nil) throws -> [String] {
        let stacks = try InputFiles.expand(inputs).map { try ImageStack(path: $0) }
        if graph.spatialRank == 3 { return try segmentVolumes(stacks, into: folder) }
        let tiling = try planarTiling(stacks.first?.path ?? "the input")
        var targets: [String: String] = [:]
        for stack in stacks {
            // Page 0 of every input is checked here, before anything is written; the other pages
            // as they are segmented (a mismatch there takes back everything this call wrote).
            try checkChannels(of: try stack.page(0), in: stack)
            try Self.claim(outputPath(for: stack, in: folder), for: stack.path, in: &targets)
        }

        var created: [String] = []
        do {
            for path in [folder] + (featureMaps.map { [$0] } ?? []) where !FileManager.default.fileExists(atPath: path) {
                do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
                    throw PixelwiseError.file(path: path, problem: "cannot create the output folder (\(error.localizedDescription))")
                }
                created.append(path)
            }
            onEvent?(.started(model: modelName, network: graph.metadata["model"] ?? "network", inputTile: tiling.inputTile,
                              outputTile: tiling.outputTile, inputs: stacks.count))
            if let featureMaps, let first = stacks.first { try dumpFeatureMaps(of: try first.page(0), into: featureMaps) }
            let start = Date()
            var pixels = 0
            var written: [String] = []
            for stack in stacks {
                let target = outputPath(for: stack, in: folder)
                try writeResult(of: stack, to: target) { emit in
                    if sliceAxis != .z && stack.count > 1 {
                        // Slices along y or x need the whole volume: normalised pages in, pages out.
                        let normalised = try (0..<stack.count).map { try conventions.normalisation.apply(to: stack.page($0)) }
                        for page in try segmentResliced(normalised) { try emit(page) }
                        pixels += normalised.reduce(0) { $0 + $1.width * $1.height }
                        onEvent?(.page(path: stack.path, index: stack.count - 1, count: stack.count, width: normalised[0].width, height: normalised[0].height))
                        return
                    }
                    try stack.forEachPage { index, image in
                        try emit(try segment(image, of: stack))
                        pixels += image.width * image.height
                        onEvent?(.page(path: stack.path, index: index, count: stack.count, width: image.width, height: image.height))
                    }
                }
                created.append(target)
                written.append(target)
            }
            onEvent?(.finished(images: stacks.count, pixels: pixels, seconds: Date().timeIntervalSince(start), folder: folder))
            return written
        } catch {
            // Take back everything this call wrote.
            for path in created.reversed() { try? FileManager.default.removeItem(atPath: path) }
            throw error
        }
    }

    /// Records that `path`'s result goes to `target` (`targets`: target → input), or throws naming
    /// both inputs when another one's result already goes there.
    static func claim(_ target: String, for path: String, in targets: inout [String: String]) throws {
        if let other = targets[target] {
            throw PixelwiseError.file(path: path, problem: "would overwrite the result of \(other) (both become \(target)); segment them into separate folders")
        }
        targets[target] = path
    }

    /// Throws naming the file if `image` (a page of `stack`) does not give the channels the network takes.
    func checkChannels(of image: Image, in stack: ImageStack) throws {
        _ = try networkInput(image, of: stack)
    }

    /// One page of `stack` → its output image; a page whose channels do not fit the network is
    /// an error naming the file.
    func segment(_ image: Image, of stack: ImageStack) throws -> Image {
        let tiling = try planarTiling(stack.path)
        let input = try networkInput(image, of: stack)
        return outputImage(options.testTimeAugmentation ? try tiling.segmentWithAugmentation(input) : try tiling.segment(input))
    }

    private func networkInput(_ image: Image, of stack: ImageStack) throws -> Tensor {
        let input = conventions.tensor(for: image)
        guard input.shape[1] == graph.inputChannels else {
            throw PixelwiseError.file(path: stack.path, problem: "has \(input.shape[1]) channel(s), the model \(modelName) takes \(graph.inputChannels)")
        }
        return input
    }

    func outputImage(_ result: Tensor) -> Image {
        let (h, w, c) = (result.shape[2], result.shape[3], result.shape[1])
        if let classes = options.foregroundClasses, options.output != .labels {
            // The summed probability of the foreground classes: one map, as a two-class model's.
            let sum = foregroundProbability(result, classes: classes)
            if options.output == .probabilities { return Image(width: w, height: h, channels: 1, sampleType: .uint8, pixels: sum.map { (min($0, 1) * 255).rounded() }) }
            return Image(width: w, height: h, channels: 1, sampleType: .float32, pixels: sum)
        }
        if c > 2 && options.output != .labels {
            // One channel per class: interleaved from the planar (1, C, H, W) probabilities.
            let planar = result.scalars, n = h * w
            var pixels = [Float](repeating: 0, count: n * c)
            for k in 0..<c { for p in 0..<n { pixels[p * c + k] = planar[k * n + p] } }
            if options.output == .probabilities { pixels = pixels.map { ($0 * 255).rounded() } }
            return Image(width: w, height: h, channels: c, sampleType: options.output == .probabilities ? .uint8 : .float32, pixels: pixels)
        }
        switch options.output {
        case .floatProbabilities:
            return Image(width: w, height: h, channels: 1, sampleType: .float32, pixels: foregroundProbability(result))
        case .probabilities:
            return Image(width: w, height: h, channels: 1, sampleType: .uint8, pixels: foregroundProbability(result).map { ($0 * 255).rounded() })
        case .labels:
            return Image(width: w, height: h, channels: 1, sampleType: .uint8, pixels: argmaxClasses(result).map { conventions.classValues[Int($0)] })
        }
    }

    /// Every node's output for the first tile of `image`, as float TIFFs (one page per channel) in `folder`.
    public func dumpFeatureMaps(of image: Image, into folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let tiling = try planarTiling("the image")
        let input = conventions.tensor(for: image)
        let window = TiledSegmenter.mirroredWindow(input.scalars, channels: input.shape[1], width: input.shape[3], height: input.shape[2],
                                                   x0: -tiling.context, y0: -tiling.context, size: tiling.inputTile)
        let outputs = try graph.forwardKeepingActivations(window)
        for (i, (node, value)) in zip(graph.nodes, outputs).enumerated() {
            let t = value.inLayout(.rowMajor)
            let (c, h, w) = (t.shape[1], t.shape[2], t.shape[3])
            let v = t.scalars
            let pages = (0..<c).map { k -> Image in
                Image(width: w, height: h, channels: 1, sampleType: .float32, pixels: Array(v[(k * h * w)..<((k + 1) * h * w)]))
            }
            try ImageStack.write(pages, to: folder + String(format: "/%03d-", i) + node.name + ".tif")
        }
        onEvent?(.wroteFeatureMaps(count: outputs.count, folder: folder))
    }
}

/// The files a list of command-line inputs names.
public enum InputFiles {
    /// Files named directly, plus the image files inside named folders (sorted), in order; HDF5
    /// volume references (`FILE.h5:/DATASET`) pass through once their file is known to exist.
    public static func expand(_ inputs: [String]) throws -> [String] {
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
}
