import PixelwiseCore

/// Reading and writing single images; the format codecs are `PNGCodec`, `JPEGCodec`,
/// `TIFFFile` and `BMPCodec`.
extension Image {
    /// Reads the first page of a PNG/JPEG/TIFF/BMP file. The format comes from the file's
    /// first bytes, not its extension. Pixels keep the file's own range (see `SampleType`).
    /// Throws `PixelwiseError.file` for a missing, empty, truncated, corrupt or unsupported file.
    public init(contentsOf path: String) throws {
        self = try Image.decode(path: path, format: ImageFormat.detect(path: path))
    }

    /// Writes in the format the extension names (.png .jpg/.jpeg .tif/.tiff .bmp).
    ///
    /// What each format takes: PNG 1–4 channels of uint8/uint16; JPEG 1 or 3 channels of uint8
    /// (quality 95, lossy); TIFF any channel count of uint8/uint16/float32 (uncompressed strips;
    /// for tiles or compression use `ImageStack.write(_:to:options:)`); BMP 1 or 3 channels of
    /// uint8; NIfTI (.nii, .nii.gz) any channel count (as the 4th axis) of uint8/uint16/float32,
    /// unit spacing. Anything else throws rather than being silently rescaled: use `converted(to:)`.
    ///
    /// Atomic: the data go to a temporary file in the same folder, renamed over `path` only when
    /// complete, so `path` never holds a partial file.
    public func write(to path: String) throws {
        let format = try ImageFormat.forWriting(path: path)
        if format == .tiff { return try ImageStack.write([self], to: path) }
        try checkConsistent(writingTo: path)
        if format == .nifti { return try writeNIfTI(to: path) }
        try AtomicFile.write(to: path) { temporary in
            switch format {
            case .png: try PNGCodec.write(self, to: temporary, reportingAs: path)
            case .jpeg: try JPEGCodec.write(self, to: temporary, reportingAs: path)
            case .bmp: try BMPCodec.write(self, to: temporary, reportingAs: path)
            case .tiff, .hdf5, .nifti: break  // TIFF and NIfTI handled above; forWriting never names HDF5
            }
        }
    }

    /// Decodes the first page of a file whose format is known.
    static func decode(path: String, format: ImageFormat) throws -> Image {
        switch format {
        case .png: return try PNGCodec.read(path: path)
        case .jpeg: return try JPEGCodec.read(path: path)
        case .bmp: return try BMPCodec.read(path: path)
        case .tiff:
            let file = try TIFFFile(opening: path, mode: "r", reportingAs: path)
            return try file.readPage()
        case .hdf5:
            throw ImageFormat.hdf5NeedsDataset(path: path)
        case .nifti:
            return try NIfTIVolume(path: path).slice(0)
        }
    }

    /// A width × height × 1 × channels NIfTI-1 volume, the channels along t.
    private func writeNIfTI(to path: String) throws {
        let type: NIfTIDataType = switch sampleType {
        case .uint8: .uint8
        case .uint16: .uint16
        case .float32: .float32
        }
        let header = NIfTIHeader(dimensions: channels == 1 ? [width, height] : [width, height, 1, channels], dataType: type)
        try NIfTIVolume.write(header: header, to: path) { sink in
            for c in 0..<channels { try sink.append(stride(from: c, to: pixels.count, by: channels).lazy.map { pixels[$0] }) }
        }
    }
}
