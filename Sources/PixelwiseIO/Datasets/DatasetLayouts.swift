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

    /// File names an image reader may open, by extension (case-insensitive); NIfTI volumes
    /// (`.nii`, `.nii.gz`) too.
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "tif", "tiff", "bmp", "nii"]

    static func isImageName(_ name: String) -> Bool {
        imageExtensions.contains((name as NSString).pathExtension.lowercased()) || name.lowercased().hasSuffix(".nii.gz")
    }

    /// The image files in `folder` (not hidden, known extension), as full paths sorted by name.
    public static func imageFiles(in folder: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw PixelwiseError.file(path: folder, problem: "cannot list the folder (missing or not a folder)")
        }
        return names
            .filter { !$0.hasPrefix(".") && isImageName($0) }
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

// MARK: - BraTS

extension MultiSourceDataset {
    /// The four MRI modalities of a BraTS case, in the order channels are given.
    public static let bratsModalities = ["flair", "t1", "t1ce", "t2"]

    /// BraTS layout (2018–2021): one folder per case, `root/CASE/CASE_flair.nii.gz`, `_t1`, `_t1ce`,
    /// `_t2` and the labels `CASE_seg.nii.gz` (0 background, 1 necrotic core, 2 oedema, 4 enhancing
    /// tumour); `.nii` files are taken too. Every axial slice of every case is one sample, its
    /// channels the `modalities` in the order given (a subset such as `["flair"]` is fine).
    ///
    /// Defaults: one class per BraTS label (`0 1 2 4` → classes 0–3, written back as 0 1 2 4), and
    /// nnU-Net's per-channel z-score over the non-zero (brain) voxels of each slice. Whole tumour
    /// as Intel's U-Net: `labelMap: try LabelMap(parsing: "background=0 tumour=1,2,4")`.
    /// Throws naming a case folder that lacks a modality or its labels, or a root with no cases.
    public static func brats(root: String, modalities: [String] = bratsModalities,
                             labelMap: LabelMap = .identity(values: [0, 1, 2, 4]),
                             normalisation: RawNormalisation = RawNormalisation(intensity: [.zScore(nonZeroOnly: true)])) throws -> MultiSourceDataset {
        let folders: [String]
        do {
            folders = try FileManager.default.contentsOfDirectory(atPath: root).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw PixelwiseError.file(path: root, problem: "cannot list the folder (missing or not a folder)")
        }
        func file(_ case: String, _ suffix: String) throws -> String {
            let stem = root + "/" + `case` + "/" + `case` + "_" + suffix
            for ext in [".nii.gz", ".nii"] where FileManager.default.fileExists(atPath: stem + ext) { return stem + ext }
            throw PixelwiseError.file(path: root + "/" + `case`, problem: "no \(`case`)_\(suffix).nii.gz in the case folder")
        }
        var cases = [Case]()
        for name in folders {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isFolder), isFolder.boolValue else { continue }
            cases.append(Case(sources: try modalities.map { try file(name, $0) }, labels: try file(name, "seg")))
        }
        guard !cases.isEmpty else { throw PixelwiseError.file(path: root, problem: "no BraTS case folders (CASE/CASE_flair.nii.gz …)") }
        return try MultiSourceDataset(cases: cases, labelMap: labelMap, normalisation: normalisation)
    }
}

// MARK: - Resizing

/// A data set whose samples are resized to `width` × `height` (MagmaDNN trained Oxford-IIIT Pet
/// at 256², from photos of every size): raw channels bilinearly, labels by the nearest pixel so
/// they stay class indices (ignored pixels stay ignored). Sampling uses pixel centres
/// (x_src = (x + ½) · w_src / w − ½, clamped at the edges), as PIL and PyTorch's
/// `align_corners=False`. Aspect ratio is not kept: the image is stretched to the square, as
/// MagmaDNN's loader does.
public struct ResizedDataset<Base: SegmentationDataset>: SegmentationDataset {
    public let base: Base
    public let width: Int
    public let height: Int

    public init(_ base: Base, width: Int, height: Int) {
        precondition(width > 0 && height > 0, "ResizedDataset: \(width)×\(height)")
        self.base = base
        self.width = width
        self.height = height
    }

    /// Square samples of `side` × `side`.
    public init(_ base: Base, side: Int) { self.init(base, width: side, height: side) }

    public var count: Int { base.count }

    public func sample(_ index: Int) throws -> Sample {
        let s = try base.sample(index)
        return Sample(raw: s.raw.resizedBilinear(width: width, height: height),
                      labels: Self.resizedNearest(s.labels, width: s.width, height: s.height, to: width, height),
                      name: s.name)
    }

    static func resizedNearest(_ labels: [Int32], width w: Int, height h: Int, to outWidth: Int, _ outHeight: Int) -> [Int32] {
        var out = [Int32](repeating: 0, count: outWidth * outHeight)
        for y in 0..<outHeight {
            let sy = min(Int((Double(y) + 0.5) * Double(h) / Double(outHeight)), h - 1)
            for x in 0..<outWidth {
                let sx = min(Int((Double(x) + 0.5) * Double(w) / Double(outWidth)), w - 1)
                out[y * outWidth + x] = labels[sy * w + sx]
            }
        }
        return out
    }
}

extension Image {
    /// The image resampled to `width` × `height` by bilinear interpolation on pixel centres,
    /// every channel alike; same sample type (integer types rounded).
    public func resizedBilinear(width outWidth: Int, height outHeight: Int) -> Image {
        if outWidth == width && outHeight == height { return self }
        func source(_ i: Int, _ n: Int, _ outN: Int) -> (Int, Int, Float) {
            let s = max((Double(i) + 0.5) * Double(n) / Double(outN) - 0.5, 0)
            let lo = min(Int(s), n - 1), hi = min(lo + 1, n - 1)
            return (lo, hi, Float(s - Double(lo)))
        }
        let xs = (0..<outWidth).map { source($0, width, outWidth) }
        var out = [Float](repeating: 0, count: outWidth * outHeight * channels)
        for y in 0..<outHeight {
            let (y0, y1, fy) = source(y, height, outHeight)
            for x in 0..<outWidth {
                let (x0, x1, fx) = xs[x]
                for c in 0..<channels {
                    let top = self[x0, y0, c] + (self[x1, y0, c] - self[x0, y0, c]) * fx
                    let bottom = self[x0, y1, c] + (self[x1, y1, c] - self[x0, y1, c]) * fx
                    let v = top + (bottom - top) * fy
                    out[(y * outWidth + x) * channels + c] = sampleType == .float32 ? v : v.rounded()
                }
            }
        }
        return Image(width: outWidth, height: outHeight, channels: channels, sampleType: sampleType, pixels: out)
    }
}
