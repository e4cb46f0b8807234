import PixelwiseCore

/// A multi-page TIFF (or a single image of any format, as a 1-page stack), read lazily page by
/// page: opening counts the pages and decodes nothing; `page(_:)` decodes one page.
///
/// Holds only the path and the page count, so it is cheap to copy and share between tasks; each
/// `page(_:)` call opens the file afresh (reading page i walks i directory links). To decode
/// every page in one pass use `readAll()`.
public struct ImageStack: Sendable {
    public let path: String
    /// Number of pages.
    public let count: Int
    /// The file's format (from its first bytes).
    public let format: ImageFormat

    /// Opens `path` and counts its pages. Throws `PixelwiseError.file` if it is not a readable
    /// image file.
    public init(path: String) throws {
        let format = try ImageFormat.detect(path: path)
        if format == .tiff {
            let file = try TIFFFile(opening: path, mode: "r", reportingAs: path)
            count = file.pageCount
        } else {
            count = 1
        }
        self.path = path
        self.format = format
    }

    /// Decodes page `index` (0-based).
    public func page(_ index: Int) throws -> Image {
        guard (0..<count).contains(index) else {
            throw PixelwiseError.file(path: path, problem: "page \(index) does not exist (the stack has \(count) page\(count == 1 ? "" : "s"))")
        }
        guard format == .tiff else { return try Image.decode(path: path, format: format) }
        let file = try TIFFFile(opening: path, mode: "r", reportingAs: path)
        try file.selectPage(index)
        return try file.readPage()
    }

    /// Decodes every page, in order, in one pass over the file.
    public func readAll() throws -> [Image] {
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
            for page in pages { try file.appendPage(page, options: options) }
            file.close()
        }
    }
}
