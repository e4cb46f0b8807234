import ArgumentParser
import Foundation
import PixelwiseAlgorithms
import PixelwiseIO

/// `pixelwise evaluate`: compare predictions with ground truth.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score predictions against labels: pixel accuracy, IoU, Dice, the ISBI 2012 measures, or CREMI's instance measures.",
        discussion: """
        Predictions and labels are paired by sorted file name; a multi-page TIFF or an HDF5 volume \
        (FILE.h5:/DATASET) counts as its slices. A prediction is a label image (two values, e.g. \
        0/255) or a probability map (8-bit 0–255, 16-bit or float). Probability maps are scored \
        as the ISBI 2012 Fiji scorer scores a stack: one threshold sweep for the whole set \
        (0.0, 0.1, …, 1.0, or --thresholds), each error at the threshold that is best for the \
        set, reported with the threshold; pixel counts and Rand pair counts are added over the \
        images, V_info and the thinned scores are averaged over them (docs/evaluation.md). The \
        per-image rows are the images at the set's thresholds. --per-image-thresholds instead \
        picks each image's own best threshold with its own ground truth and averages \
        (optimistic; the convention before issue 22). Two pixel errors: "pixel err." is the \
        fraction of wrong pixels (1 − accuracy); "ISBI pixel err." is 1 − the F-score of the \
        foreground pixels, what the ISBI 2012 scorer prints as "pixel error" (Tschopp 2016 \
        reports it). Rand and V_info errors are foreground-restricted; the thinned ones are \
        computed after thinning the predicted background to one-pixel lines, as the current \
        ISBI 2012 ranking does. With --instances, predictions and labels are object ids (a \
        probability or binary prediction becomes the connected components of its foreground \
        at --instance-threshold) and CREMI's VOI split, VOI merge and adapted Rand error are \
        printed per volume.
        """)

    @Option(help: "Folder (or single file, stack or FILE.h5:/DATASET) of predictions.")
    var predictions: String
    @Option(help: "Folder (or single file, stack or FILE.h5:/DATASET) of ground-truth label images.")
    var labels: String
    @Option(parsing: .upToNextOption, help: "Label values that are foreground (default 255).")
    var foreground: [Float] = [255]
    @Option(parsing: .upToNextOption, help: "Thresholds (0…1) for probability maps (default: the ISBI 2012 scorer's 0.0 0.1 … 1.0).")
    var thresholds: [Float] = ThresholdSweep.defaultThresholds
    @Flag(help: "Choose each image's best threshold with its own ground truth and average (optimistic; not the scorer's convention).")
    var perImageThresholds = false
    @Flag(help: "Skip the warping error (the slowest measure).")
    var noWarping = false
    @Flag(help: "Instance evaluation (CREMI): VOI split/merge and adapted Rand error on object ids.")
    var instances = false
    @Option(help: "With --instances: ignore ground-truth voxels within this many pixels of an id boundary in their section (CREMI: 25 nm = 6.25 px at 4 nm).")
    var borderMask: Double?
    @Option(parsing: .upToNextOption, help: "With --instances: ground-truth ids to ignore besides CREMI's background 2^64−1 (e.g. 0).")
    var ignoreIds: [UInt64] = []
    @Option(help: "With --instances: threshold that turns a probability prediction into foreground before its connected components are taken.")
    var instanceThreshold: Float = 0.5
    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard !thresholds.isEmpty else { throw ValidationError("--thresholds needs at least one value") }
        if let bad = thresholds.first(where: { !(0...1).contains($0) }) {
            throw ValidationError("--thresholds must lie between 0 and 1, got \(bad)")
        }
        if let b = borderMask, !(b >= 0) { throw ValidationError("--border-mask must be ≥ 0, got \(b)") }
    }

    func run() throws {
        let predictionFiles = try expandInputs([predictions]), labelFiles = try expandInputs([labels])
        guard predictionFiles.count == labelFiles.count else {
            throw PixelwiseError.file(path: predictions, problem: "has \(predictionFiles.count) images but \(labels) has \(labelFiles.count)")
        }
        if instances { return try runInstances(Array(zip(predictionFiles, labelFiles))) }
        let foregroundValues = Set(foreground)
        // Slices are scored as they are read (memory stays flat in the size of the set): per image
        // with --per-image-thresholds, else into one sweep for the set, which needs only one
        // threshold when the predictions are label images (the first one decides).
        var names: [String] = []
        var perImage: [Scores] = []
        var sweep: SetThresholdSweep?
        var binarySet = false
        for (p, l) in zip(predictionFiles, labelFiles) {
            let ps = try ImageStack(path: p), ls = try ImageStack(path: l)
            guard ps.count == ls.count else {
                throw PixelwiseError.file(path: p, problem: "has \(ps.count) slices but \(l) has \(ls.count)")
            }
            for index in 0..<ps.count {
                let prediction = try ps.page(index), label = try ls.page(index)
                guard prediction.width == label.width, prediction.height == label.height else {
                    throw PixelwiseError.file(path: p, problem: "is \(prediction.width)×\(prediction.height) but \(l) is \(label.width)×\(label.height)")
                }
                let truth = stride(from: 0, to: label.pixels.count, by: label.channels).map { foregroundValues.contains(label.pixels[$0]) }
                let values = stride(from: 0, to: prediction.pixels.count, by: prediction.channels).map { prediction.pixels[$0] }
                let distinct = Set(values)
                let isProbability = prediction.sampleType == .float32 || distinct.count > 2
                let scale = prediction.sampleType.maximum
                // A label image whose values are not the foreground values (e.g. 0/1) has its larger value as foreground.
                let usesForegroundValues = distinct.contains(where: foregroundValues.contains)
                let isForeground: (Float) -> Bool = usesForegroundValues ? { foregroundValues.contains($0) } : { $0 == distinct.max() }
                let map: [Float] = isProbability ? values.map { $0 / scale } : values.map { isForeground($0) ? 1 : 0 }
                let name = URL(fileURLWithPath: p).lastPathComponent + (ps.count > 1 ? "[\(index)]" : "")
                names.append(name)
                if perImageThresholds {
                    perImage.append(Scores(name: name, foreground: map, isProbability: isProbability, truth: truth,
                                           width: label.width, height: label.height, warping: !noWarping, thresholds: thresholds))
                    continue
                }
                if sweep == nil {
                    binarySet = !isProbability
                    sweep = SetThresholdSweep(thresholds: binarySet ? [0.5] : thresholds, includeWarping: !noWarping)
                } else if binarySet && isProbability {
                    throw PixelwiseError.file(path: p, problem: "is a probability map, but the first prediction was a label image; score them separately")
                }
                sweep!.add(probability: map, groundTruth: truth, width: label.width, height: label.height)
            }
        }
        if perImageThresholds {
            report(rows: perImage, total: Scores(meanOf: perImage))
        } else if let sweep {
            let rows = names.indices.map { Scores(name: names[$0], image: $0, of: sweep) }
            report(rows: rows, total: Scores(name: binarySet ? "all" : "all (one threshold)", set: sweep))
        }
    }

    private func report(rows: [Scores], total: Scores) {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            struct Report: Codable { var images: [Scores]; var all: Scores }
            print(String(decoding: (try? encoder.encode(Report(images: rows, all: total))) ?? Data(), as: UTF8.self))
        } else {
            print(textTable(Scores.header, rows.map(\.row) + [total.row]))
            if let t = total.thresholds, total.convention == "set" {
                print("one threshold for the whole set (ISBI 2012 scorer's convention): " + thresholdSummary(t))
            } else if total.convention == "per-image" {
                print("each image at its own best threshold (--per-image-thresholds: optimistic, not the scorer's convention)")
            }
        }
    }

    /// CREMI's instance measures, one row per prediction/label pair (each pair one volume).
    private func runInstances(_ pairs: [(String, String)]) throws {
        struct Row: Codable {
            var name: String; var voiSplit: Double; var voiMerge: Double; var adaptedRandError: Double; var voxels: Int
            enum CodingKeys: String, CodingKey {
                case name, voxels, voiSplit = "voi_split", voiMerge = "voi_merge", adaptedRandError = "adapted_rand_error"
            }
        }
        var rows: [Row] = []
        for (p, l) in pairs {
            let truth = try InstanceVolume(path: l, asIds: true, threshold: instanceThreshold)
            let prediction = try InstanceVolume(path: p, asIds: false, threshold: instanceThreshold)
            guard prediction.extent == truth.extent else {
                throw PixelwiseError.file(path: p, problem: "is \(prediction.size) but \(l) is \(truth.size)")
            }
            let s = InstanceScores(segmentation: prediction.ids, groundTruth: truth.ids, width: truth.extent.width,
                                   height: truth.extent.height, depth: truth.extent.depth,
                                   ignoredTruthIds: Set(ignoreIds).union([InstanceScores.cremiBackground]), borderDistance: borderMask)
            rows.append(Row(name: URL(fileURLWithPath: p).lastPathComponent, voiSplit: s.voiSplit, voiMerge: s.voiMerge,
                            adaptedRandError: s.adaptedRandError, voxels: s.voxelCount))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        } else {
            print(textTable(["volume", "VOI split", "VOI merge", "VOI", "adapted Rand err.", "voxels scored"], rows.map { r in
                [r.name, String(format: "%.4f", r.voiSplit), String(format: "%.4f", r.voiMerge), String(format: "%.4f", r.voiSplit + r.voiMerge),
                 String(format: "%.4f", r.adaptedRandError), String(r.voxels)]
            }))
            print("CREMI's measures (VOI in bits)" + (borderMask.map { String(format: ", truth within %.2f px of an id boundary ignored", $0) } ?? ""))
        }
    }
}

/// A label image, stack or volume read as object ids [D,H,W]. Integer HDF5 datasets and 16-bit
/// images are ids as stored; with `asIds` false, 8-bit and float images and float datasets are
/// probability or binary maps whose foreground (> threshold, on the 0…1 scale) is split into its
/// 6-connected components (1, 2, …; background 0).
struct InstanceVolume {
    var extent: (depth: Int, height: Int, width: Int)
    var ids: [UInt64]
    var size: String { "\(extent.width)×\(extent.height)×\(extent.depth)" }

    init(path: String, asIds: Bool, threshold: Float) throws {
        if let (file, dataset) = HDF5VolumeDataset.reference(path) {
            let h5 = try HDF5File(reading: file)
            defer { h5.close() }
            let shape = try h5.shape(at: dataset)
            guard shape.count == 2 || shape.count == 3 else {
                throw PixelwiseError.file(path: file, problem: "dataset \(dataset) has \(shape.count) dimensions, expected [D,H,W] or [H,W]")
            }
            extent = shape.count == 3 ? (shape[0], shape[1], shape[2]) : (1, shape[0], shape[1])
            if let values = try? h5.readUInt64s(at: dataset) { ids = values; return }   // integers: ids
            guard !asIds else { throw PixelwiseError.file(path: file, problem: "dataset \(dataset) holds floats, expected object ids") }
            let values = try HDF5Volume.read(path: file, dataset: dataset).values
            let scale = values.contains { $0 > 1 } ? (values.max() ?? 1) : 1
            ids = InstanceVolume.components(values.map { $0 / scale > threshold }, extent)
            return
        }
        let stack = try ImageStack(path: path)
        let pages = try stack.readAll()
        guard let first = pages.first else { throw PixelwiseError.file(path: path, problem: "has no pages") }
        extent = (pages.count, first.height, first.width)
        var values: [Float] = []
        values.reserveCapacity(pages.count * first.width * first.height)
        for page in pages {
            guard page.width == first.width, page.height == first.height else {
                throw PixelwiseError.file(path: path, problem: "has pages of different sizes")
            }
            values += stride(from: 0, to: page.pixels.count, by: page.channels).map { page.pixels[$0] }
        }
        if asIds || first.sampleType == .uint16 {
            ids = values.map { UInt64(max(0, $0)) }
        } else {
            let scale = first.sampleType.maximum
            ids = InstanceVolume.components(values.map { $0 / scale > threshold }, extent)
        }
    }

    static func components(_ foreground: [Bool], _ e: (depth: Int, height: Int, width: Int)) -> [UInt64] {
        connectedComponents(foreground: foreground, width: e.width, height: e.height, depth: e.depth).labels.map { UInt64($0) }
    }
}
