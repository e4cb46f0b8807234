import CTIFF
#if canImport(Glibc)
import Glibc
#endif
import PixelwiseCore

/// Decoding one TIFF directory (page) into an `Image`.
///
/// Handles strips and tiles, contiguous and separate planes, both byte orders (libtiff swaps
/// 16- and 32-bit samples to the host's order while decoding) and every compression libtiff was
/// built with. Samples: 8/16-bit unsigned and 32-bit IEEE float. Photometric: min-is-black,
/// min-is-white (inverted to min-is-black for integer samples), RGB, and 8-bit palette (expanded
/// to RGB). Extra samples (alpha) become extra channels.
extension TIFFFile {
    /// Pages (image file directories) in the file; walks the directory chain, decodes nothing.
    var pageCount: Int { Int(TIFFNumberOfDirectories(handle)) }

    /// Makes page `index` (0-based) the current one.
    func selectPage(_ index: Int) throws {
        guard index >= 0, index <= Int(UInt32.max), TIFFSetDirectory(handle, tdir_t(index)) == 1 else {
            throw failure("cannot read page \(index)")
        }
    }

    /// Moves to the next page; false after the last one.
    func nextPage() -> Bool { TIFFReadDirectory(handle) == 1 }

    /// Decodes the current page.
    func readPage() throws -> Image {
        guard let width32 = uint32(TIFFTAG_IMAGEWIDTH), let height32 = uint32(TIFFTAG_IMAGELENGTH),
              width32 > 0, height32 > 0 else { throw failure("page has no image size") }
        let width = Int(width32), height = Int(height32)
        let bits = uint16(TIFFTAG_BITSPERSAMPLE) ?? 1
        let samplesPerPixel = Int(uint16(TIFFTAG_SAMPLESPERPIXEL) ?? 1)
        let format = uint16(TIFFTAG_SAMPLEFORMAT) ?? UInt16(SAMPLEFORMAT_UINT)
        let separate = uint16(TIFFTAG_PLANARCONFIG) == UInt16(PLANARCONFIG_SEPARATE)
        let photometric = Int32(uint16(TIFFTAG_PHOTOMETRIC) ?? UInt16(PHOTOMETRIC_MINISBLACK))

        let type: SampleType
        switch (Int32(bits), Int32(format)) {
        case (8, SAMPLEFORMAT_UINT): type = .uint8
        case (16, SAMPLEFORMAT_UINT): type = .uint16
        case (32, SAMPLEFORMAT_IEEEFP): type = .float32
        default:
            let kind = [SAMPLEFORMAT_INT: "signed", SAMPLEFORMAT_IEEEFP: "float", SAMPLEFORMAT_UINT: "unsigned"][Int32(format)] ?? "format-\(format)"
            throw failure("unsupported samples: \(bits)-bit \(kind) (Pixelwise reads 8/16-bit unsigned and 32-bit float)")
        }
        guard (1...16).contains(samplesPerPixel) else { throw failure("unsupported: \(samplesPerPixel) samples per pixel") }
        guard Double(width) * Double(height) * Double(samplesPerPixel) <= Double(Int32.max) else {
            throw failure("image too large: \(width)×\(height)×\(samplesPerPixel) samples")
        }
        switch photometric {
        case PHOTOMETRIC_MINISBLACK, PHOTOMETRIC_MINISWHITE, PHOTOMETRIC_RGB: break
        case PHOTOMETRIC_PALETTE:
            guard type == .uint8, samplesPerPixel == 1 else { throw failure("unsupported palette image: \(bits)-bit, \(samplesPerPixel) samples") }
        default: throw failure("unsupported photometric interpretation \(photometric) (Pixelwise reads grey, RGB and 8-bit palette)")
        }

        let bytesPerSample = Int(bits) / 8
        let raw = try readSamples(width: width, height: height, samplesPerUnit: separate ? 1 : samplesPerPixel,
                                  planes: separate ? samplesPerPixel : 1, bytesPerSample: bytesPerSample)
        var values = Self.floats(raw, type: type)
        if separate && samplesPerPixel > 1 {
            values = Self.interleave(planes: values, count: samplesPerPixel, pixelsPerPlane: width * height)
        }
        if photometric == PHOTOMETRIC_MINISWHITE && type != .float32 {
            values = values.map { type.maximum - $0 }
        }
        if photometric == PHOTOMETRIC_PALETTE {
            return Image(width: width, height: height, channels: 3, sampleType: .uint8,
                         pixels: try expandPalette(values))
        }
        return Image(width: width, height: height, channels: samplesPerPixel, sampleType: type, pixels: values)
    }

    /// Refuses a page whose strips or tiles cannot hold its pixels, before its raster is
    /// allocated: a few hundred bytes claiming 500 million pixels (found by fuzz-tiff) would
    /// otherwise cost gigabytes of memory before the first strip fails to read. Uncompressed
    /// data must be all there; compressed data may expand at most 10 000-fold (Deflate's limit
    /// is about 1 000, LZW's about 2 700).
    private func checkStoredBytes(covering needed: Int) throws {
        let count = TIFFIsTiled(handle) != 0 ? TIFFNumberOfTiles(handle) : TIFFNumberOfStrips(handle)
        var stored: UInt64 = 0
        for index in 0..<count { stored += min(TIFFGetStrileByteCount(handle, index), UInt64(Int64.max) / UInt64(count)) }
        // The byte counts are claims too: no more can be stored than the file holds.
        var info = stat()
        if fstat(TIFFFileno(handle), &info) == 0 { stored = min(stored, UInt64(max(0, info.st_size))) }
        let uncompressed = (uint16(TIFFTAG_COMPRESSION) ?? UInt16(COMPRESSION_NONE)) == UInt16(COMPRESSION_NONE)
        let limit = uncompressed ? stored : stored * 10_000
        guard UInt64(needed) <= limit else {
            throw failure(uncompressed ? "pixel data cut short: \(stored) bytes stored, \(needed) needed"
                                       : "\(stored) bytes of compressed pixel data cannot hold the \(needed) bytes the page claims")
        }
    }

    /// The page's samples as stored (host byte order): plane by plane, row by row. A "unit" is
    /// what one strip/tile row holds per pixel: all samples (contiguous) or one (separate planes).
    private func readSamples(width: Int, height: Int, samplesPerUnit: Int, planes: Int, bytesPerSample: Int) throws -> [UInt8] {
        let pixelBytes = samplesPerUnit * bytesPerSample
        let rowBytes = width * pixelBytes
        let planeBytes = rowBytes * height
        try checkStoredBytes(covering: planeBytes * planes)
        var raw = [UInt8](repeating: 0, count: planeBytes * planes)
        try raw.withUnsafeMutableBytes { buffer in
            let base = buffer.baseAddress!
            if TIFFIsTiled(handle) != 0 {
                guard let tileWidth32 = uint32(TIFFTAG_TILEWIDTH), let tileHeight32 = uint32(TIFFTAG_TILELENGTH),
                      tileWidth32 > 0, tileHeight32 > 0 else { throw failure("tiled page without a tile size") }
                let tileWidth = Int(tileWidth32), tileHeight = Int(tileHeight32)
                let tileBytes = tileWidth * tileHeight * pixelBytes
                guard TIFFTileSize(handle) == Int64(tileBytes) else { throw failure("unexpected tile size \(TIFFTileSize(handle)), expected \(tileBytes)") }
                let tile = UnsafeMutableRawPointer.allocate(byteCount: tileBytes, alignment: 16)
                defer { tile.deallocate() }
                for plane in 0..<planes {
                    for y in stride(from: 0, to: height, by: tileHeight) {
                        for x in stride(from: 0, to: width, by: tileWidth) {
                            let index = TIFFComputeTile(handle, UInt32(x), UInt32(y), 0, UInt16(plane))
                            guard TIFFReadEncodedTile(handle, index, tile, Int64(tileBytes)) == Int64(tileBytes) else {
                                throw failure("cannot read tile \(index)")
                            }
                            let copied = min(tileWidth, width - x) * pixelBytes
                            for row in 0..<min(tileHeight, height - y) {
                                (base + plane * planeBytes + (y + row) * rowBytes + x * pixelBytes)
                                    .copyMemory(from: tile + row * tileWidth * pixelBytes, byteCount: copied)
                            }
                        }
                    }
                }
            } else {
                let rowsPerStrip = max(1, min(Int(uint32(TIFFTAG_ROWSPERSTRIP) ?? UInt32.max), height))
                let stripsPerPlane = (height + rowsPerStrip - 1) / rowsPerStrip
                guard Int(TIFFNumberOfStrips(handle)) >= stripsPerPlane * planes else {
                    throw failure("page has \(TIFFNumberOfStrips(handle)) strips, expected \(stripsPerPlane * planes)")
                }
                for plane in 0..<planes {
                    for strip in 0..<stripsPerPlane {
                        let bytes = min(rowsPerStrip, height - strip * rowsPerStrip) * rowBytes
                        let destination = base + plane * planeBytes + strip * rowsPerStrip * rowBytes
                        let index = UInt32(plane * stripsPerPlane + strip)
                        guard TIFFReadEncodedStrip(handle, index, destination, Int64(bytes)) == Int64(bytes) else {
                            throw failure("cannot read strip \(index)")
                        }
                    }
                }
            }
        }
        return raw
    }

    /// Host-order samples to `Float`s.
    private static func floats(_ raw: [UInt8], type: SampleType) -> [Float] {
        switch type {
        case .uint8:
            return raw.map(Float.init)
        case .uint16:
            return raw.withUnsafeBytes { bytes in
                (0..<raw.count / 2).map { Float(bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
            }
        case .float32:
            return raw.withUnsafeBytes { bytes in
                (0..<raw.count / 4).map { bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
            }
        }
    }

    /// Plane-major [c][y][x] to pixel-major [y][x][c].
    private static func interleave(planes: [Float], count: Int, pixelsPerPlane: Int) -> [Float] {
        var pixels = [Float](repeating: 0, count: planes.count)
        for channel in 0..<count {
            for index in 0..<pixelsPerPlane {
                pixels[index * count + channel] = planes[channel * pixelsPerPlane + index]
            }
        }
        return pixels
    }

    /// 8-bit palette indices to RGB through the page's colour map. TIFF colour maps hold 16-bit
    /// entries; we keep the high byte — unless every entry is below 256, the mistake some
    /// writers make of storing 8-bit values, in which case they are used as they are.
    private func expandPalette(_ indices: [Float]) throws -> [Float] {
        var red: UnsafeMutablePointer<UInt16>?, green: UnsafeMutablePointer<UInt16>?, blue: UnsafeMutablePointer<UInt16>?
        guard pw_tiff_get_colormap(handle, &red, &green, &blue) == 1, let red, let green, let blue else {
            throw failure("palette image without a colour map")
        }
        let maps: [[UInt16]] = [red, green, blue].map { (map: UnsafeMutablePointer<UInt16>) in
            Array(UnsafeBufferPointer(start: map, count: 256))
        }
        let shift: UInt16 = maps.allSatisfy { $0.allSatisfy { $0 < 256 } } ? 0 : 8
        var rgb = [Float](repeating: 0, count: indices.count * 3)
        for (i, index) in indices.enumerated() {
            for channel in 0..<3 { rgb[3 * i + channel] = Float(maps[channel][Int(index)] >> shift) }
        }
        return rgb
    }
}
