import CTIFF
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
        var pages: [Image] = []
        try forEachPage { _, page in pages.append(page) }
        return pages
    }

    /// Decodes the pages one at a time, in order, handing each to `body` with its index: one pass
    /// over the file (one open TIFF handle walking its directories, one gzip stream for NIfTI), and
    /// memory for one page, whatever the stack's length.
    public func forEachPage(_ body: (Int, Image) throws -> Void) throws {
        if volume != nil {
            for index in 0..<count { try body(index, try page(index)) }
            return
        }
        if let nifti {
            var index = 0
            try nifti.forEachSlice { _, _, slice in
                try body(index, slice)
                index += 1
            }
            return
        }
        guard format == .tiff else { return try body(0, try Image.decode(path: path, format: format)) }
        let file = try TIFFFile(opening: path, mode: "r", reportingAs: path)
        try body(0, try file.readPage())
        var index = 1
        while index < count, file.nextPage() {
            try body(index, try file.readPage())
            index += 1
        }
        guard index == count else { throw file.failure("cannot read page \(index)") }
    }

    /// Each page's width and height, from the headers alone (nothing is decoded, except a
    /// single-image file of a format without a cheap header read).
    public func pageSizes() throws -> [(width: Int, height: Int)] {
        if let volume {
            let extent = try HDF5Volume.extent(path: volume.file, dataset: volume.dataset)
            return Array(repeating: (extent.width, extent.height), count: count)
        }
        if let nifti { return Array(repeating: (nifti.width, nifti.height), count: count) }
        guard format == .tiff else {
            let image = try Image.decode(path: path, format: format)
            return [(image.width, image.height)]
        }
        let file = try TIFFFile(opening: path, mode: "r", reportingAs: path)
        var sizes: [(width: Int, height: Int)] = []
        repeat {
            guard let width = file.uint32(TIFFTAG_IMAGEWIDTH), let height = file.uint32(TIFFTAG_IMAGELENGTH) else {
                throw file.failure("page \(sizes.count) has no image size")
            }
            sizes.append((Int(width), Int(height)))
        } while sizes.count < count && file.nextPage()
        guard sizes.count == count else { throw file.failure("cannot read page \(sizes.count)") }
        return sizes
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
        try write(to: path, options: options, pixelBytes: bytes) { append in
            for page in pages { try append(page) }
        }
    }

    /// Writes a multi-page TIFF page by page as `produce` hands the pages to `append`, so a
    /// stack of any length is written with one page in memory. The file is written to a
    /// temporary file in the same folder and renamed over `path` only when `produce` returns and
    /// every page is on disk; if `produce` (or a write) throws, nothing is left at `path`.
    /// `pixelBytes`, the pixel data all pages will hold, decides BigTIFF (over 4 GB); the bytes
    /// written are those of `write(_:to:options:)` for the same pages.
    public static func write(to path: String, options: TIFFWriteOptions = TIFFWriteOptions(), pixelBytes: Int,
                             _ produce: (_ append: (Image) throws -> Void) throws -> Void) throws {
        guard try ImageFormat.forWriting(path: path) == .tiff else {
            throw PixelwiseError.file(path: path, problem: "a stack is written as TIFF: use a .tif or .tiff name")
        }
        let mode = "w" + (options.byteOrder == .bigEndian ? "b" : "l") + (pixelBytes > 4_000_000_000 ? "8" : "")
        try AtomicFile.write(to: path) { temporary in
            let file = try TIFFFile(opening: temporary, mode: mode, reportingAs: path)
            var written = 0
            do {
                try produce { page in
                    try page.checkConsistent(writingTo: path)
                    if let calibration = options.calibration {
                        try file.setCalibration(calibration.imageJ, firstPage: written == 0, pages: calibration.pages)
                    }
                    try file.appendPage(page, options: options)
                    written += 1
                }
                guard written > 0 else { throw PixelwiseError.file(path: path, problem: "cannot write a stack of 0 pages") }
            } catch {
                file.close()
                throw error
            }
            try file.finishWriting()
        }
    }
}
