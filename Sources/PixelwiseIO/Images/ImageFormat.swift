import PixelwiseCore

/// The image file formats Pixelwise reads and writes.
///
/// Reading goes by the file's first bytes ("magic"), never by its name: data sets contain PNGs
/// called `.jpg` (Oxford-IIIT Pet has some). Writing goes by the extension the caller chose.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png, jpeg, tiff, bmp
    /// An HDF5 file: not an image itself, but its [D,H,W] or [H,W] datasets are read as stacks
    /// when named `FILE.h5:/dataset` (see `ImageStack`).
    case hdf5
    /// A NIfTI-1 or NIfTI-2 volume (`.nii`, `.nii.gz`): each x–y slice one page (see `NIfTIVolume`).
    case nifti

    /// The name `inspect` prints: "PNG", "JPEG", "TIFF", "BMP", "NIfTI".
    public var displayName: String { self == .nifti ? "NIfTI" : rawValue.uppercased() }

    /// The format of the file at `path`, from its first bytes:
    /// PNG `89 50 4E 47 0D 0A 1A 0A`, JPEG `FF D8 FF`, TIFF `II*␀` / `MM␀*` (BigTIFF `+`), BMP `BM`,
    /// HDF5 `89 48 44 46 0D 0A 1A 0A`, NIfTI "n+1" at byte 344 or "n+2" at byte 4, also inside
    /// gzip (`1F 8B`).
    /// Throws `PixelwiseError.file` for a missing, unreadable, empty or unrecognised file.
    public static func detect(path: String) throws -> ImageFormat {
        let head = try FileBytes.read(path, upTo: 352)
        guard !head.isEmpty else { throw PixelwiseError.file(path: path, problem: "empty file (0 bytes)") }
        if let format = ImageFormat(magic: head) { return format }
        if NIfTIHeader.looksLikeNIfTI(head) { return .nifti }
        if head.starts(with: [0x1F, 0x8B]) {
            let inflated = try GzipReader(path: path).read(upTo: 352)
            if NIfTIHeader.looksLikeNIfTI(inflated) { return .nifti }
            throw PixelwiseError.file(path: path, problem: "a gzip file that does not hold a NIfTI volume")
        }
        let shown = head.prefix(4).map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
        throw PixelwiseError.file(
            path: path, problem: "not a PNG, JPEG, TIFF or BMP image or NIfTI volume (starts with bytes \(shown))")
    }

    /// Recognises a format from (at least) the first 8 bytes of a file.
    init?(magic: [UInt8]) {
        func starts(_ prefix: [UInt8]) -> Bool { magic.count >= prefix.count && Array(magic.prefix(prefix.count)) == prefix }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { self = .png }
        else if starts([0xFF, 0xD8, 0xFF]) { self = .jpeg }
        else if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A])
            || starts([0x49, 0x49, 0x2B, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2B]) { self = .tiff }
        else if starts([0x42, 0x4D]) && magic.count >= 6 { self = .bmp }
        else if starts([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) { self = .hdf5 }
        else { return nil }
    }

    /// The format to write `path` in, from its extension (case-insensitive):
    /// `.png`, `.jpg`/`.jpeg`, `.tif`/`.tiff`, `.bmp`, `.nii`/`.nii.gz`.
    public static func forWriting(path: String) throws -> ImageFormat {
        if NIfTIVolume.isNIfTIName(path) { return .nifti }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let ext = name.contains(".") ? String(name.split(separator: ".").last!).lowercased() : ""
        switch ext {
        case "png": return .png
        case "jpg", "jpeg": return .jpeg
        case "tif", "tiff": return .tiff
        case "bmp": return .bmp
        default:
            throw PixelwiseError.file(
                path: path, problem: "cannot tell the image format from the extension \"\(ext)\" (use .png, .jpg, .jpeg, .tif, .tiff, .bmp, .nii or .nii.gz)")
        }
    }
}

extension ImageFormat {
    /// The error for an HDF5 file named without a dataset: it lists the datasets it holds, so
    /// the user can copy the right `FILE.h5:/dataset` reference.
    static func hdf5NeedsDataset(path: String) -> PixelwiseError {
        let names = (try? HDF5File(reading: path)).flatMap { file -> [String]? in
            defer { file.close() }
            return try? file.datasetPaths()
        } ?? []
        let listed = names.isEmpty ? "" : " (it holds \(names.prefix(8).joined(separator: ", "))\(names.count > 8 ? ", …" : ""))"
        return .file(path: path, problem: "an HDF5 file holds datasets, not one image: name one as \(path):/DATASET\(listed)")
    }
}
