import Foundation
import PixelwiseAlgorithms
import PixelwiseCore
import PixelwiseIO

/// Scores prediction images against ground-truth label images: what `pixelwise evaluate` computes
/// (docs/evaluation.md).
public enum Evaluation {
    /// Each image's scores and the set's.
    public struct Report: Codable, Sendable {
        /// By default each image at the thresholds the set chose; with per-image thresholds, at its own.
        public var images: [Scores]
        /// The set at one threshold per measure ("all (one threshold)"), or the mean of the images'
        /// own best scores ("mean (per-image thresholds)").
        public var all: Scores
        /// With `volumes`: each stack or volume scored as one volume — Rand and V_info on the
        /// 6-connected components across sections, the warping error with 3-D simple points — at
        /// the thresholds the set of volumes chose ("NAME (3-D)"), and that set ("all volumes (3-D)").
        /// The rows above are slice by slice (4-connected components in each section).
        public var volumes: [Scores]?
        public var allVolumes: Scores?

        public init(images: [Scores], all: Scores, volumes: [Scores]? = nil, allVolumes: Scores? = nil) {
            self.images = images
            self.all = all
            self.volumes = volumes
            self.allVolumes = allVolumes
        }
    }

    /// Pairs predictions and labels by sorted file name (each a file, folder, multi-page TIFF or
    /// `FILE.h5:/DATASET`; a stack counts as its slices) and scores them as one set. A prediction is
    /// a label image (two values) or a probability map (8-bit 0–255, 16-bit or float); a label
    /// image whose values are not `foreground` (e.g. 0/1) has its larger value as foreground.
    ///
    /// Probability maps are scored as the ISBI 2012 scorer scores a stack (`SetThresholdSweep`):
    /// one sweep over `thresholds` for the whole set. With `perImageThresholds` each image gets its
    /// own best threshold instead and the set is their mean (optimistic). Slices are scored as they
    /// are read: memory stays flat in the size of the set. A set that mixes label images and
    /// probability maps is an error.
    ///
    /// With `volumes`, every pair is also scored as one volume (`Report.volumes`): its slices are
    /// held together (memory: one volume) and Rand, V_info and warping are computed in 3-D, with
    /// one threshold sweep for the set of volumes (the set convention only).
    public static func score(predictions: String, labels: String, foreground: [Float] = [255],
                             thresholds: [Float] = ThresholdSweep.defaultThresholds, warping: Bool = true,
                             perImageThresholds: Bool = false, volumes: Bool = false) throws -> Report {
        if volumes, perImageThresholds {
            throw PixelwiseError.invalidArgument("volumes are scored with one threshold for the set; leave out per-image thresholds")
        }
        let predictionFiles = try InputFiles.expand([predictions]), labelFiles = try InputFiles.expand([labels])
        guard predictionFiles.count == labelFiles.count else {
            throw PixelwiseError.file(path: predictions, problem: "has \(predictionFiles.count) images but \(labels) has \(labelFiles.count)")
        }
        let foregroundValues = Set(foreground)
        var names: [String] = []
        var perImage: [Scores] = []
        var sweep: SetThresholdSweep?
        var binarySet = false
        var volumeNames: [String] = []
        var volumeSweep: SetThresholdSweep?
        for (p, l) in zip(predictionFiles, labelFiles) {
            let ps = try ImageStack(path: p), ls = try ImageStack(path: l)
            guard ps.count == ls.count else {
                throw PixelwiseError.file(path: p, problem: "has \(ps.count) slices but \(l) has \(ls.count)")
            }
            var volumeMap: [Float] = [], volumeTruth: [Bool] = [], planeSize: (Int, Int)?
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
                let usesForegroundValues = distinct.contains(where: foregroundValues.contains)
                let isForeground: (Float) -> Bool = usesForegroundValues ? { foregroundValues.contains($0) } : { $0 == distinct.max() }
                let map: [Float] = isProbability ? values.map { $0 / scale } : values.map { isForeground($0) ? 1 : 0 }
                let name = URL(fileURLWithPath: p).lastPathComponent + (ps.count > 1 ? "[\(index)]" : "")
                names.append(name)
                if volumes {
                    if let (w, h) = planeSize, w != label.width || h != label.height {
                        throw PixelwiseError.file(path: l, problem: "slice \(index) is \(label.width)×\(label.height), slice 0 is \(w)×\(h): a volume's slices must agree")
                    }
                    planeSize = (label.width, label.height)
                    volumeMap += map
                    volumeTruth += truth
                }
                if perImageThresholds {
                    perImage.append(Scores(name: name, foreground: map, isProbability: isProbability, truth: truth,
                                           width: label.width, height: label.height, warping: warping, thresholds: thresholds))
                    continue
                }
                if sweep == nil {
                    binarySet = !isProbability
                    sweep = SetThresholdSweep(thresholds: binarySet ? [0.5] : thresholds, includeWarping: warping)
                } else if binarySet && isProbability {
                    throw PixelwiseError.file(path: p, problem: "is a probability map, but the first prediction was a label image; score them separately")
                }
                sweep!.add(probability: map, groundTruth: truth, width: label.width, height: label.height)
            }
            if volumes, let (w, h) = planeSize {
                if volumeSweep == nil { volumeSweep = SetThresholdSweep(thresholds: binarySet ? [0.5] : thresholds, includeWarping: warping) }
                volumeSweep!.add(probability: volumeMap, groundTruth: volumeTruth, width: w, height: h, depth: ps.count)
                volumeNames.append(URL(fileURLWithPath: p).lastPathComponent + " (3-D)")
            }
        }
        if perImageThresholds { return Report(images: perImage, all: Scores(meanOf: perImage)) }
        guard let sweep else { throw PixelwiseError.file(path: predictions, problem: "contains no images") }
        return Report(images: names.indices.map { Scores(name: names[$0], image: $0, of: sweep) },
                      all: Scores(name: binarySet ? "all" : "all (one threshold)", set: sweep),
                      volumes: volumeSweep.map { v in volumeNames.indices.map { Scores(name: volumeNames[$0], image: $0, of: v) } },
                      allVolumes: volumeSweep.map { Scores(name: binarySet ? "all volumes (3-D)" : "all volumes (3-D, one threshold)", set: $0) })
    }

    /// CREMI's instance measures for one prediction/label pair.
    public struct InstanceRow: Codable, Sendable {
        public var name: String
        public var voiSplit: Double
        public var voiMerge: Double
        public var adaptedRandError: Double
        public var voxels: Int
        enum CodingKeys: String, CodingKey {
            case name, voxels, voiSplit = "voi_split", voiMerge = "voi_merge", adaptedRandError = "adapted_rand_error"
        }
    }

    /// Scores object ids with CREMI's measures (`InstanceScores`), one row per prediction/label
    /// pair, each pair one volume. Labels are ids (integer HDF5 datasets exactly, or label images /
    /// stacks); a prediction given as an 8-bit or float map becomes the connected components of
    /// its foreground (> `threshold` on the 0…1 scale; 6-connected across slices). Truth ids
    /// 2⁶⁴ − 1 and `ignoredTruthIds` are ignored, and with `borderDistance` CREMI's border mask.
    /// Two integer HDF5 volumes are read one section at a time (memory flat in their depth); other
    /// inputs are held whole as 64-bit ids.
    public static func scoreInstances(predictions: String, labels: String, ignoredTruthIds: Set<UInt64> = [],
                                      borderDistance: Double? = nil, threshold: Float = 0.5) throws -> [InstanceRow] {
        let predictionFiles = try InputFiles.expand([predictions]), labelFiles = try InputFiles.expand([labels])
        guard predictionFiles.count == labelFiles.count else {
            throw PixelwiseError.file(path: predictions, problem: "has \(predictionFiles.count) volumes but \(labels) has \(labelFiles.count)")
        }
        let ignored = ignoredTruthIds.union([InstanceScores.cremiBackground])
        return try zip(predictionFiles, labelFiles).map { p, l in
            let name = URL(fileURLWithPath: p).lastPathComponent
            // Two integer HDF5 volumes (the CREMI case): one section at a time, memory flat in depth.
            if let (pf, pd) = HDF5VolumeDataset.reference(p), let (lf, ld) = HDF5VolumeDataset.reference(l),
               try HDF5Volume.idSlice(path: pf, dataset: pd, index: 0) != nil, try HDF5Volume.idSlice(path: lf, dataset: ld, index: 0) != nil {
                let pe = try HDF5Volume.extent(path: pf, dataset: pd), le = try HDF5Volume.extent(path: lf, dataset: ld)
                guard pe == le else {
                    throw PixelwiseError.file(path: p, problem: "is \(pe.width)×\(pe.height)×\(pe.depth) but \(l) is \(le.width)×\(le.height)×\(le.depth)")
                }
                var counts = InstanceContingency(ignoredTruthIds: ignored, borderDistance: borderDistance)
                for z in 0..<le.depth {
                    counts.add(segmentation: try HDF5Volume.idSlice(path: pf, dataset: pd, index: z)!,
                               groundTruth: try HDF5Volume.idSlice(path: lf, dataset: ld, index: z)!, width: le.width, height: le.height)
                }
                let s = counts.scores
                return InstanceRow(name: name, voiSplit: s.voiSplit, voiMerge: s.voiMerge, adaptedRandError: s.adaptedRandError,
                                   voxels: s.voxelCount)
            }
            let truth = try InstanceVolume(path: l, asIds: true, threshold: threshold)
            let prediction = try InstanceVolume(path: p, asIds: false, threshold: threshold)
            guard prediction.extent == truth.extent else {
                throw PixelwiseError.file(path: p, problem: "is \(prediction.size) but \(l) is \(truth.size)")
            }
            let s = InstanceScores(segmentation: prediction.ids, groundTruth: truth.ids, width: truth.extent.width,
                                   height: truth.extent.height, depth: truth.extent.depth,
                                   ignoredTruthIds: ignored, borderDistance: borderDistance)
            return InstanceRow(name: name, voiSplit: s.voiSplit, voiMerge: s.voiMerge,
                               adaptedRandError: s.adaptedRandError, voxels: s.voxelCount)
        }
    }
}

/// A label image, stack or volume read as object ids [D,H,W]. Integer HDF5 datasets and 16-bit
/// images are ids as stored; with `asIds` false, 8-bit and float images and float datasets are
/// probability or binary maps whose foreground (> threshold, on the 0…1 scale) is split into its
/// 6-connected components (1, 2, …; background 0). The whole volume is held as 64-bit ids.
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
