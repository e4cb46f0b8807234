import Foundation
import PixelwiseCore

/// A raw image file and its label image file.
public struct FilePair: Sendable, Equatable {
    public var raw: String
    public var labels: String
    public init(raw: String, labels: String) {
        self.raw = raw
        self.labels = labels
    }
}

/// Raw/label image files on disk, read one pair at a time, in the data-set layouts Pixelwise
/// knows: folder pairs matched by sorted name (the Caffe Neural Tool's rule, Tschopp §4.1),
/// ISBI 2012, ssTEM and Oxford-IIIT Pet.
public struct FilePairDataset: SegmentationDataset {
    public let pairs: [FilePair]
    public var labelMap: LabelMap
    public var normalisation: RawNormalisation

    public init(pairs: [FilePair], labelMap: LabelMap, normalisation: RawNormalisation = RawNormalisation()) {
        self.pairs = pairs
        self.labelMap = labelMap
        self.normalisation = normalisation
    }

    public var count: Int { pairs.count }

    /// Reads pair `index`. Throws `PixelwiseError.file` for an unreadable file, a raw/label size
    /// mismatch (naming both files) or a label value the label map does not know.
    public func sample(_ index: Int) throws -> Sample {
        let pair = pairs[index]
        let raw = try Image(contentsOf: pair.raw)
        let labels = try Image(contentsOf: pair.labels)
        return try normalisation.sample(raw: raw, rawName: pair.raw, labels: labels, labelName: pair.labels, labelMap: labelMap)
    }

    /// Every sample, in order.
    public func loadAll() throws -> [Sample] { try (0..<count).map(sample) }

    /// File names an image reader may open, by extension (case-insensitive).
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "tif", "tiff", "bmp"]

    /// The image files in `folder` (not hidden, known extension), as full paths sorted by name.
    public static func imageFiles(in folder: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw PixelwiseError.file(path: folder, problem: "cannot list the folder (missing or not a folder)")
        }
        return names
            .filter { !$0.hasPrefix(".") && imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted()
            .map { (folder as NSString).appendingPathComponent($0) }
    }

    /// Raw and label folders whose images pair up in sorted file-name order. Throws if the
    /// folders hold different numbers of images (naming both folders and the first unpaired file)
    /// or no images at all.
    public static func folderPairs(raw rawFolder: String, labels labelFolder: String, labelMap: LabelMap,
                                   normalisation: RawNormalisation = RawNormalisation()) throws -> FilePairDataset {
        let raws = try imageFiles(in: rawFolder), labels = try imageFiles(in: labelFolder)
        guard raws.count == labels.count else {
            let extra = raws.count > labels.count ? raws[labels.count] : labels[raws.count]
            throw PixelwiseError.file(path: rawFolder, problem: "\(raws.count) raw images but \(labelFolder) has \(labels.count) label images (first unpaired: \(extra))")
        }
        guard !raws.isEmpty else { throw PixelwiseError.file(path: rawFolder, problem: "no images (.png .jpg .tif .bmp) in the folder") }
        return FilePairDataset(pairs: zip(raws, labels).map { FilePair(raw: $0, labels: $1) },
                               labelMap: labelMap, normalisation: normalisation)
    }

    /// ISBI 2012 training layout: `root/images/*.png` and `root/labels/*.png`; labels 0 membrane,
    /// 255 cell interior → classes 0 and 1 by default.
    public static func isbi2012(root: String, labelMap: LabelMap = .foreground([255]),
                                normalisation: RawNormalisation = RawNormalisation()) throws -> FilePairDataset {
        try folderPairs(raw: root + "/images", labels: root + "/labels", labelMap: labelMap, normalisation: normalisation)
    }

    /// ssTEM (Gerhard et al. 2013) layout: `root/raw/*.tif` and `root/labels/*.png` with nine
    /// label values; by default consolidated to foreground {191 mitochondria, 255 intracellular}
    /// against everything else. `LabelMap.identity(values: [0, 32, 64, 96, 128, 159, 191, 223, 255])`
    /// keeps all nine classes.
    public static func ssTEM(root: String, labelMap: LabelMap = .foreground([191, 255]),
                             normalisation: RawNormalisation = RawNormalisation()) throws -> FilePairDataset {
        try folderPairs(raw: root + "/raw", labels: root + "/labels", labelMap: labelMap, normalisation: normalisation)
    }

    /// What becomes of the Oxford-IIIT Pet trimap's "unclassified" border value 3.
    public enum Unclassified: String, Sendable, CaseIterable {
        /// No error on those pixels (class `LabelMap.ignore`).
        case ignore
        /// Counted as pet (class 1).
        case foreground
        /// Counted as background (class 0).
        case background
    }

    /// Oxford-IIIT Pet layout: `root/images/NAME.jpg` with `root/annotations/trimaps/NAME.png`
    /// (1 pet, 2 background, 3 unclassified) → classes 1, 0 and as `unclassified` says.
    /// Pairs are matched by name; a trimap without its image is an error naming both.
    /// Colour is kept as RGB by default (grey images replicated).
    public static func oxfordPet(root: String, unclassified: Unclassified = .ignore,
                                 normalisation: RawNormalisation = RawNormalisation(channels: .rgb)) throws -> FilePairDataset {
        let trimaps = try imageFiles(in: root + "/annotations/trimaps")
        guard !trimaps.isEmpty else { throw PixelwiseError.file(path: root + "/annotations/trimaps", problem: "no trimap images in the folder") }
        let pairs = try trimaps.map { trimap -> FilePair in
            let stem = ((trimap as NSString).lastPathComponent as NSString).deletingPathExtension
            let image = root + "/images/" + stem + ".jpg"
            guard FileManager.default.fileExists(atPath: image) else {
                throw PixelwiseError.file(path: trimap, problem: "no matching image \(image)")
            }
            return FilePair(raw: image, labels: trimap)
        }
        let third: Int32 = switch unclassified {
        case .ignore: LabelMap.ignore
        case .foreground: 1
        case .background: 0
        }
        return FilePairDataset(pairs: pairs, labelMap: LabelMap(classes: [1: 1, 2: 0, 3: third], classCount: 2),
                               normalisation: normalisation)
    }
}

/// A raw TIFF stack and a label TIFF stack of the same number of pages; page i of one is
/// labelled by page i of the other.
public struct StackPairDataset: SegmentationDataset {
    public let raw: ImageStack
    public let labels: ImageStack
    public var labelMap: LabelMap
    public var normalisation: RawNormalisation

    /// Opens both stacks; throws if their page counts differ (naming both files).
    public init(raw rawPath: String, labels labelPath: String, labelMap: LabelMap,
                normalisation: RawNormalisation = RawNormalisation()) throws {
        raw = try ImageStack(path: rawPath)
        labels = try ImageStack(path: labelPath)
        guard raw.count == labels.count else {
            throw PixelwiseError.file(path: rawPath, problem: "\(raw.count) pages but the label stack \(labelPath) has \(labels.count)")
        }
        self.labelMap = labelMap
        self.normalisation = normalisation
    }

    public var count: Int { raw.count }

    public func sample(_ index: Int) throws -> Sample {
        try normalisation.sample(raw: raw.page(index), rawName: "\(raw.path)[\(index)]",
                                 labels: labels.page(index), labelName: "\(labels.path)[\(index)]", labelMap: labelMap)
    }

    public func loadAll() throws -> [Sample] { try (0..<count).map(sample) }
}
