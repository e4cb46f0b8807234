import Foundation
import PixelwiseCore

/// A multi-page TIFF (or a single image of any format, as a 1-page stack), a [D,H,W] volume
/// in an HDF5 file named `FILE.h5:/dataset` or a NIfTI volume (`.nii`, `.nii.gz`; each slice one
/// page, z fastest then t), read lazily page by page:
/// opening counts the pages and decodes nothing; `page(_:)` decodes one page.
///
/// Holds only the path and the page count, so it is cheap to copy and share between tasks; each
/// `page(_:)` call opens the file afresh (reading page i walks i directory links). To decode
/// every page in one pass use `readAll()`.
public struct ImageStack: Sendable {
    public let path: String
    /// Number of pages.
    public let count: Int
    /// The file's format (from its first bytes); `.hdf5` for a volume.
    public let format: ImageFormat
    /// For an HDF5 volume: the file, the dataset and the sample type its slices are read as.
    private let volume: (file: String, dataset: String, sampleType: SampleType)?
    /// For a NIfTI file: its header and reader.
    public let nifti: NIfTIVolume?

    /// The name results are saved under: the file name without its extension, and for an
    /// HDF5 volume also the dataset path (`sample_A.h5:/volumes/raw` → `sample_A_volumes_raw`).
    public var name: String {
        if nifti != nil {  // scan.nii.gz → scan
            let file = URL(fileURLWithPath: path).lastPathComponent
            let ext = [".nii.gz", ".nii"].first { file.lowercased().hasSuffix($0) }
            return String(file.dropLast(ext?.count ?? 0))
        }
        guard let volume else { return URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }
        let file = URL(fileURLWithPath: volume.file).deletingPathExtension().lastPathComponent
        return file + volume.dataset.replacingOccurrences(of: "/", with: "_")
    }

    /// Opens `path` (or `FILE.h5:/dataset`) and counts its pages. Throws `PixelwiseError.file`
    /// if it is not a readable image file or volume.
    public init(path: String) throws {
        self.path = path
        if let (file, dataset) = HDF5VolumeDataset.reference(path) {
            guard try ImageFormat.detect(path: file) == .hdf5 else {
                throw PixelwiseError.file(path: file, problem: "is not an HDF5 file, so \(path) names no dataset")
            }
            count = try HDF5Volume.extent(path: file, dataset: dataset).depth
            volume = (file, dataset, try HDF5Volume.sampleType(path: file, dataset: dataset))
            format = .hdf5
            nifti = nil
            return
        }
        volume = nil
        let format = try ImageFormat.detect(path: path)
        if format == .nifti {
            let nifti = try NIfTIVolume(path: path)
            self.nifti = nifti
            count = nifti.sliceCount
            self.format = format
            return
        }
        nifti = nil
        if format == .tiff {
            let file = try TIFFFile(opening: path, mode: "r", reportingAs: path)
            count = file.pageCount
        } else {
            count = 1
        }
        self.format = format
    }

    /// Decodes page `index` (0-based).
    public func page(_ index: Int) throws -> Image {
        guard (0..<count).contains(index) else {
            throw PixelwiseError.file(path: path, problem: "page \(index) does not exist (the stack has \(count) page\(count == 1 ? "" : "s"))")
        }
        if let volume {
            return try HDF5Volume.slice(path: volume.file, dataset: volume.dataset, index: index, sampleType: volume.sampleType)
        }
        if let nifti { return try nifti.slice(index % nifti.depth, volume: index / nifti.depth) }
        guard format == .tiff else { return try Image.decode(path: path, format: format) }
        let file = try TIFFFile(opening: path, mode: "r", reportingAs: path)
        try file.selectPage(index)
        return try file.readPage()
    }

    /// Decodes every page, in order, in one pass over the file.
    public func readAll() throws -> [Image] {
        if volume != nil { return try (0..<count).map(page) }
        if let nifti {
            var pages = [Image]()
            try nifti.forEachSlice { _, _, slice in pages.append(slice) }
            return pages
        }
        guard format == .tiff else { return [try Image.decode(path: path, format: format)] }
        let file = try TIFFFile(opening: path, mode: "r", reportingAs: path)
        var pages = [try file.readPage()]
        while pages.count < count, file.nextPage() { pages.append(try file.readPage()) }
        guard pages.count == count else { throw file.failure("cannot read page \(pages.count)") }
        return pages
    }

    /// Writes `pages` as a multi-page TIFF (uncompressed strips, little-endian), atomically.
    public static func write(_ pages: [Image], to path: String) throws {
        try write(pages, to: path, options: TIFFWriteOptions())
    }

    /// Writes `pages` as a multi-page TIFF laid out as `options` say, atomically: a temporary
    /// file in the same folder is renamed over `path` once every page is written. Pages may
    /// differ in size, channels and sample type. Files over 4 GB are written as BigTIFF.
    public static func write(_ pages: [Image], to path: String, options: TIFFWriteOptions) throws {
        guard try ImageFormat.forWriting(path: path) == .tiff else {
            throw PixelwiseError.file(path: path, problem: "a stack is written as TIFF: use a .tif or .tiff name")
        }
        guard !pages.isEmpty else { throw PixelwiseError.file(path: path, problem: "cannot write a stack of 0 pages") }
        for page in pages { try page.checkConsistent(writingTo: path) }
        let bytes = pages.reduce(0) { $0 + $1.pixels.count * ($1.sampleType == .uint8 ? 1 : $1.sampleType == .uint16 ? 2 : 4) }
        let mode = "w" + (options.byteOrder == .bigEndian ? "b" : "l") + (bytes > 4_000_000_000 ? "8" : "")
        try AtomicFile.write(to: path) { temporary in
            let file = try TIFFFile(opening: temporary, mode: mode, reportingAs: path)
            do {
                for page in pages { try file.appendPage(page, options: options) }
            } catch {
                file.close()
                throw error
            }
            try file.finishWriting()
        }
    }
}
