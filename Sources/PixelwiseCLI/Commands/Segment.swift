import ArgumentParser
import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseKernels
import PixelwiseWorkflow

/// `pixelwise segment`: label every pixel of images and stacks of any size with a trained model
/// (`Segmenter` does the work).
struct Segment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment images, folders and TIFF stacks of any size with a trained model.",
        discussion: """
        For NAME.ext writes OUT/NAME.png: the class label image (class values as in training, e.g. \
        0 background, 255 foreground), or with --probabilities the foreground probability as 8-bit \
        0–255. Multi-page TIFF stacks come back as multi-page TIFFs (float32 with --float). \
        An HDF5 volume is named FILE.h5:/DATASET (e.g. sample_A.h5:/volumes/raw, [D,H,W] or [H,W]); \
        it is read slice by slice and written as OUT/FILE_DATASET.tif (e.g. sample_A_volumes_raw.tif). \
        A NIfTI volume (.nii, .nii.gz) is written as OUT/NAME.nii.gz with its grid and affine. With \
        --layout brats each input is a BraTS case folder CASE (CASE_flair|_t1|_t1ce|_t2.nii.gz, or \
        --modalities) written as OUT/CASE.nii.gz. \
        A 3-D network (unet3d, unet3d-anisotropic, unet3d-valid) segments each input as one volume, \
        block by block: a TIFF stack comes back as OUT/NAME.tif, a NIfTI volume as OUT/NAME.nii.gz \
        with its affine, an HDF5 dataset as OUT/NAME.h5 (dataset /segmentation); --tta averages the \
        flips of every axis, and quarter turns (and 3-D rotations) where the spacing allows them.
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
    @Option(help: "Input tile side in pixels (default: the largest that fits --memory); a cube for 3-D networks.")
    var tile: Int?
    @Option(help: "3-D networks: the input block as Z,Y,X voxels (default: the least work that fits --memory).")
    var block: String?
    @Option(help: "3-D networks: voxel spacing as Z,Y,X (default: the file's, else 1,1,1); decides the test-time symmetries.")
    var spacing: String?
    @Option(help: "Fraction of a tile shared with its neighbours, 0–0.5; overlaps are blended.")
    var overlap: Double = 0.125
    @Option(help: "Memory budget for one tile's (3-D: one block's) feature maps and blending sums, in MB.")
    var memory: Int = 1024
    @Option(help: "Write every intermediate feature map of the first tile to this folder (float TIFF, one page per channel).")
    var dumpBlobs: String?
    @Option(help: "Inference precision: fp32, or bf16 (faster on CPUs with AMX/AVX-512-BF16; probabilities within ≈1 % of fp32).")
    var precision: Precision = .float32
    @Option(help: "Input layout: files (default) or brats (each input a case folder whose modalities become the channels).")
    var layout: String = "files"
    @Option(parsing: .upToNextOption, help: "With --layout brats: the modalities, in the order the model was trained with (default flair t1 t1ce t2).")
    var modalities: [String] = MultiSourceDataset.bratsModalities
    @Option(help: "Into a store (--out FILE.zarr/PATH, FILE.n5/PATH, FILE.h5:/PATH): the output's chunks as Z,Y,X (default 1,512,512 for 2-D networks, 64,64,64 for 3-D).")
    var chunks: String?
    @Option(help: "Into a store: the unit of work as Z,Y,X, rounded up to whole chunks (default: whole slices for 2-D networks, 64,512,512 for 3-D).")
    var workBlock: String?
    @Option(help: "Into a store: do share K of N of the blocks (0 ≤ K < N), e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT; under mpirun the processes share the blocks by themselves.")
    var blockRange: String?
    @Flag(help: "Into a store: forget the blocks an earlier run recorded as done and segment every block again.")
    var restart = false
    @Option(parsing: .upToNextOption, help: "With --probabilities or --float and a model of more than two classes: write one map, the summed probability of these classes (names or label values), e.g. an ssTEM five-class model's mitochondria cell against the rest.")
    var foregroundClasses: [String] = []
    @Option(help: "Cut volumes (stacks, HDF5, NIfTI, BraTS cases) into 2-D slices along z, y or x (default: the axis the model was trained on, z unless trained with --slice-axis).")
    var sliceAxis: String?
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard (0...0.5).contains(overlap) else { throw ValidationError("--overlap must be between 0 and 0.5") }
        guard memory > 0 else { throw ValidationError("--memory must be positive") }
        if let tile, tile < 8 { throw ValidationError("--tile must be at least 8") }
        guard ["files", "brats"].contains(layout) else { throw ValidationError("--layout must be files or brats") }
        if let blockRange { _ = try Self.blockRange(blockRange) }
        if !writesToStore, chunks != nil || workBlock != nil || blockRange != nil || restart {
            throw ValidationError("--chunks, --work-block, --block-range and --restart are for segmenting into a store (--out FILE.zarr/PATH, FILE.n5/PATH or FILE.h5:/PATH)")
        }
    }

    func run() throws {
        compute.apply()
        var options = Segmenter.Options()
        options.output = floatOutput ? .floatProbabilities : probabilities ? .probabilities : .labels
        options.testTimeAugmentation = tta
        options.tile = tile
        options.block = try block.map { try Self.triple($0, "--block", Int.init) }
        options.spacing = try spacing.map { try Self.triple($0, "--spacing", Double.init) }
        options.overlap = overlap
        options.memoryBudget = memory << 20
        options.precision = precision
        options.algorithm = compute.algorithm
        if let sliceAxis {
            guard let axis = SliceAxis(rawValue: sliceAxis) else { throw ValidationError("--slice-axis must be z, y or x") }
            options.sliceAxis = axis
        }
        if !foregroundClasses.isEmpty {
            guard probabilities || floatOutput else { throw ValidationError("--foreground-classes needs --probabilities or --float") }
            let file = try Segmenter(model: model)
            options.foregroundClasses = try Segmenter.classIndices(of: foregroundClasses, conventions: file.conventions, model: model)
        }
        let segmenter = try Segmenter(model: model, options: options) { log($0.description) }
        if writesToStore { return try segmentBlockwise(segmenter) }
        if layout == "brats" {
            try segmenter.segment(cases: inputs, modalities: modalities, into: out)
            return
        }
        try segmenter.segment(inputs: inputs, into: out, featureMaps: dumpBlobs)
    }
}

extension Segment {
    /// Z,Y,X as three positive numbers.
    static func triple<T: Comparable & Numeric>(_ text: String, _ flag: String, _ parse: (String) -> T?) throws -> [T] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { parse(String($0).trimmingCharacters(in: .whitespaces)) }
        let values = parts.compactMap { $0 }
        guard parts.count == 3, values.count == 3, values.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("\(flag) takes three positive numbers Z,Y,X (got \(text))")
        }
        return values
    }
}

/// Progress and status lines go to stderr, so stdout stays clean for tables and JSON.
func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
