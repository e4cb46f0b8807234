import CTIFF
import PixelwiseCore

/// Encoding an `Image` as one more TIFF directory (page).
///
/// Samples are written as the image's `sampleType` says: 8/16-bit unsigned or 32-bit IEEE float
/// (`SampleFormat` 1 or 3). 1–2 channels are min-is-black grey, 3 or more RGB; a 2nd (grey) or
/// 4th (RGB) channel is marked as unassociated alpha, any further ones as unspecified extras.
extension TIFFFile {
    func appendPage(_ image: Image, options: TIFFWriteOptions) throws {
        let (bits, format): (UInt16, Int32) = switch image.sampleType {
        case .uint8: (8, SAMPLEFORMAT_UINT)
        case .uint16: (16, SAMPLEFORMAT_UINT)
        case .float32: (32, SAMPLEFORMAT_IEEEFP)
        }
        guard image.channels <= 16 else {
            throw PixelwiseError.file(path: path, problem: "TIFF writer takes at most 16 channels, the image has \(image.channels)")
        }
        let colour = image.channels >= 3
        try set(TIFFTAG_IMAGEWIDTH, uint32: UInt32(image.width))
        try set(TIFFTAG_IMAGELENGTH, uint32: UInt32(image.height))
        try set(TIFFTAG_BITSPERSAMPLE, uint16: bits)
        try set(TIFFTAG_SAMPLESPERPIXEL, uint16: UInt16(image.channels))
        try set(TIFFTAG_SAMPLEFORMAT, uint16: UInt16(format))
        try set(TIFFTAG_PLANARCONFIG, uint16: UInt16(PLANARCONFIG_CONTIG))
        try set(TIFFTAG_PHOTOMETRIC, uint16: UInt16(colour ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK))
        try set(TIFFTAG_ORIENTATION, uint16: UInt16(ORIENTATION_TOPLEFT))
        let extras = image.channels - (colour ? 3 : 1)
        if extras > 0 {
            let kinds = (0..<extras).map { UInt16($0 == 0 ? EXTRASAMPLE_UNASSALPHA : EXTRASAMPLE_UNSPECIFIED) }
            guard pw_tiff_set_extra_samples(handle, UInt16(extras), kinds) == 1 else { throw failure("cannot set extra samples") }
        }
        switch options.compression {
        case .none:
            try set(TIFFTAG_COMPRESSION, uint16: UInt16(COMPRESSION_NONE))
        case .lzw, .deflate:
            try set(TIFFTAG_COMPRESSION, uint16: UInt16(options.compression == .lzw ? COMPRESSION_LZW : COMPRESSION_ADOBE_DEFLATE))
            // libtiff 4.5 byte-swaps float samples twice when it writes the floating-point
            // predictor into a big-endian file (the values read back swapped), so big-endian
            // float pages are compressed without a predictor.
            if image.sampleType != .float32 {
                try set(TIFFTAG_PREDICTOR, uint16: UInt16(PREDICTOR_HORIZONTAL))
            } else if options.byteOrder == .littleEndian {
                try set(TIFFTAG_PREDICTOR, uint16: UInt16(PREDICTOR_FLOATINGPOINT))
            }
        }
        _ = pw_tiff_set_string(handle, UInt32(TIFFTAG_SOFTWARE), "Pixelwise")

        var raw = Self.bytes(of: image)
        let pixelBytes = image.channels * Int(bits) / 8
        let rowBytes = image.width * pixelBytes
        try raw.withUnsafeMutableBytes { buffer in
            let base = buffer.baseAddress!
            switch options.layout {
            case .strips:
                let rowsPerStrip = Int(TIFFDefaultStripSize(handle, 0))
                try set(TIFFTAG_ROWSPERSTRIP, uint32: UInt32(rowsPerStrip))
                for (strip, y) in stride(from: 0, to: image.height, by: rowsPerStrip).enumerated() {
                    // libtiff may byte-swap the buffer in place (big-endian files): `raw` is ours to spoil.
                    let bytes = min(rowsPerStrip, image.height - y) * rowBytes
                    guard TIFFWriteEncodedStrip(handle, UInt32(strip), base + y * rowBytes, Int64(bytes)) == Int64(bytes) else {
                        throw failure("cannot write strip \(strip)")
                    }
                }
            case .tiles(let tileWidth, let tileHeight):
                guard tileWidth > 0, tileHeight > 0, tileWidth % 16 == 0, tileHeight % 16 == 0 else {
                    throw PixelwiseError.file(path: path, problem: "TIFF tiles must be positive multiples of 16, not \(tileWidth)×\(tileHeight)")
                }
                try set(TIFFTAG_TILEWIDTH, uint32: UInt32(tileWidth))
                try set(TIFFTAG_TILELENGTH, uint32: UInt32(tileHeight))
                let tileBytes = tileWidth * tileHeight * pixelBytes
                let tile = UnsafeMutableRawPointer.allocate(byteCount: tileBytes, alignment: 16)
                defer { tile.deallocate() }
                for y in stride(from: 0, to: image.height, by: tileHeight) {
                    for x in stride(from: 0, to: image.width, by: tileWidth) {
                        tile.initializeMemory(as: UInt8.self, repeating: 0, count: tileBytes)  // edge tiles: pad with 0
                        let copied = min(tileWidth, image.width - x) * pixelBytes
                        for row in 0..<min(tileHeight, image.height - y) {
                            (tile + row * tileWidth * pixelBytes).copyMemory(from: base + (y + row) * rowBytes + x * pixelBytes, byteCount: copied)
                        }
                        let index = TIFFComputeTile(handle, UInt32(x), UInt32(y), 0, 0)
                        guard TIFFWriteEncodedTile(handle, index, tile, Int64(tileBytes)) == Int64(tileBytes) else {
                            throw failure("cannot write tile \(index)")
                        }
                    }
                }
            }
        }
        guard TIFFWriteDirectory(handle) == 1 else { throw failure("cannot write the page directory") }
    }

    /// The image's samples in the host's byte order (libtiff swaps them for big-endian files).
    private static func bytes(of image: Image) -> [UInt8] {
        switch image.sampleType {
        case .uint8: image.uint8Samples()
        case .uint16: image.uint16Samples().withUnsafeBytes { Array($0) }
        case .float32: image.pixels.withUnsafeBytes { Array($0) }
        }
    }
}
