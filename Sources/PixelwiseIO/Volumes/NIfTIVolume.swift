import Foundation
import PixelwiseCore

/// A NIfTI-1 or NIfTI-2 volume in a single `.nii` or `.nii.gz` file, read lazily: opening reads
/// the header only; `slice(_:volume:)` reads one x–y slice, `forEachSlice` streams all of them in
/// one pass, `readAll()` gives every voxel. Memory stays at one slice plus zlib's 128 KiB buffer
/// for the slice calls, and at one `Float` copy of the volume for `readAll()`; a `.nii.gz` is
/// never decompressed into a second buffer.
///
/// Values come back as the real-world values `scl_slope · stored + scl_inter` (stored values when
/// the slope is 0), as `Float`: exact for uint8, int16, uint16 and float32, for int32 up to 2²⁴,
/// float64 rounded to the nearest float. Both byte orders are read.
///
/// Axes: NIfTI stores x fastest, then y, z, then t and further axes. A slice is the x–y plane at
/// one z (and one t): an `Image` of `width` = dim x, `height` = dim y, so row y of the image is
/// row y of the file (viewers may show it flipped: the affine, not the raster, says where is up).
public struct NIfTIVolume: Sendable {
    public let path: String
    public let header: NIfTIHeader
    /// Whether the file is gzip-compressed.
    public let compressed: Bool

    public var width: Int { header.dimensions[0] }
    public var height: Int { header.dimensions.count > 1 ? header.dimensions[1] : 1 }
    public var depth: Int { header.dimensions.count > 2 ? header.dimensions[2] : 1 }
    /// The product of the extents beyond z (t, and the rarely used 5th–7th axes).
    public var volumes: Int { header.dimensions.dropFirst(3).reduce(1, *) }
    /// Number of x–y slices: `depth · volumes`. Slice i is z = i mod depth of volume i / depth.
    public var sliceCount: Int { depth * volumes }

    /// The sample type slices are returned as: the stored type for unscaled uint8 and uint16
    /// (so label volumes stay integers), float32 otherwise.
    public var sampleType: SampleType {
        guard !header.isScaled else { return .float32 }
        switch header.dataType {
        case .uint8: return .uint8
        case .uint16: return .uint16
        default: return .float32
        }
    }

    /// Opens `path` and reads its header. Throws `PixelwiseError.file` naming the file for a
    /// missing, empty, non-NIfTI, unsupported or truncated file (a plain `.nii` shorter than its
    /// header says is caught here; a truncated `.nii.gz` when the missing data are read).
    public init(path: String) throws {
        let reader = try GzipReader(path: path)
        let head = try reader.read(upTo: 540)
        guard !head.isEmpty else { throw PixelwiseError.file(path: path, problem: "empty file (0 bytes)") }
        header = try NIfTIHeader(parsing: head, path: path)
        compressed = reader.compressed
        self.path = path
        if !compressed {
            let size = try Self.fileSize(path)
            let needed = header.voxelOffset + header.voxelCount * header.dataType.size
            guard size >= needed else {
                throw PixelwiseError.file(path: path, problem: "truncated: \(size) bytes, the header needs \(needed) (\(header.dimensions.map(String.init).joined(separator: "×")) \(header.dataType.name) from byte \(header.voxelOffset))")
            }
        }
    }

    private var sliceVoxels: Int { width * height }

    /// Slice `z` of volume `t` (both 0-based) as a one-channel image.
    public func slice(_ z: Int, volume t: Int = 0) throws -> Image {
        guard (0..<depth).contains(z), (0..<volumes).contains(t) else {
            throw PixelwiseError.file(path: path, problem: "slice \(z) of volume \(t) does not exist (\(depth) slices × \(volumes) volumes)")
        }
        let reader = try GzipReader(path: path)
        try reader.seek(to: header.voxelOffset + (t * depth + z) * sliceVoxels * header.dataType.size)
        var values = [Float](repeating: 0, count: sliceVoxels)
        try values.withUnsafeMutableBufferPointer { try read(from: reader, into: $0) }
        return Image(width: width, height: height, channels: 1, sampleType: sampleType, pixels: values)
    }

    /// Calls `body(z, t, slice)` for every slice in file order (z fastest), reading the file once.
    public func forEachSlice(_ body: (Int, Int, Image) throws -> Void) throws {
        let reader = try GzipReader(path: path)
        try reader.seek(to: header.voxelOffset)
        var values = [Float](repeating: 0, count: sliceVoxels)
        for t in 0..<volumes {
            for z in 0..<depth {
                try values.withUnsafeMutableBufferPointer { try read(from: reader, into: $0) }
                try body(z, t, Image(width: width, height: height, channels: 1, sampleType: sampleType, pixels: values))
            }
        }
    }

    /// Every voxel in file order (x fastest), as real-world values.
    public func readAll() throws -> [Float] {
        let reader = try GzipReader(path: path)
        try reader.seek(to: header.voxelOffset)
        var values = [Float](repeating: 0, count: header.voxelCount)
        try values.withUnsafeMutableBufferPointer { all in
            var start = 0
            while start < all.count {  // converted a slice at a time through one small byte buffer
                let n = min(max(sliceVoxels, 1 << 16), all.count - start)
                try read(from: reader, into: UnsafeMutableBufferPointer(rebasing: all[start..<start + n]))
                start += n
            }
        }
        return values
    }

    /// Reads `out.count` stored voxels at the reader's position and converts them.
    private func read(from reader: GzipReader, into out: UnsafeMutableBufferPointer<Float>) throws {
        let size = header.dataType.size
        var bytes = [UInt8](repeating: 0, count: out.count * size)
        _ = try bytes.withUnsafeMutableBytes { try reader.read(into: $0.baseAddress!, count: $0.count) }
        NIfTICoding.decode(bytes, type: header.dataType, littleEndian: header.littleEndian,
                           slope: header.scaleSlope, intercept: header.scaleIntercept, into: out)
    }

    private static func fileSize(_ path: String) throws -> Int {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes?[.size] as? NSNumber else { throw PixelwiseError.file(path: path, problem: "cannot read the file size") }
        return size.intValue
    }
}

// MARK: - Writing

extension NIfTIVolume {
    /// Whether `path` names a NIfTI file to write: `.nii` or `.nii.gz` (case-insensitive).
    public static func isNIfTIName(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz")
    }

    /// Writes `voxels` (x fastest, `header.voxelCount` of them) atomically as `header` describes:
    /// NIfTI-1 or -2 as `header.version` says, gzip-compressed when `path` ends in `.gz`.
    /// Values are stored as `(v − scl_inter) / scl_slope` when the header scales, rounded and
    /// clamped to an integer type's range (NaN → 0).
    public static func write(_ voxels: [Float], header: NIfTIHeader, to path: String) throws {
        guard voxels.count == header.voxelCount else {
            throw PixelwiseError.file(path: path, problem: "\(voxels.count) values for a \(header.dimensions.map(String.init).joined(separator: "×")) volume")
        }
        try write(header: header, to: path) { sink in
            let step = 1 << 16
            var start = 0
            while start < voxels.count {
                try sink.append(voxels[start..<min(start + step, voxels.count)])
                start += step
            }
        }
    }

    /// Writes a volume whose values `produce` hands to the sink in file order, in pieces of any
    /// size (a slice at a time keeps memory flat). The file appears at `path` only when
    /// `produce` returns and exactly `header.voxelCount` values were given.
    public static func write(header: NIfTIHeader, to path: String, _ produce: (NIfTISink) throws -> Void) throws {
        guard isNIfTIName(path) else {
            throw PixelwiseError.file(path: path, problem: "a NIfTI volume is written as .nii or .nii.gz")
        }
        guard header.version == 1 || header.version == 2 else {
            throw PixelwiseError.file(path: path, problem: "NIfTI version \(header.version) (1 or 2 are written)")
        }
        if header.version == 1, let large = header.dimensions.first(where: { $0 > Int(Int16.max) }) {
            throw PixelwiseError.file(path: path, problem: "extent \(large) does not fit NIfTI-1's 16-bit dimensions: write NIfTI-2 (header.version = 2)")
        }
        try AtomicFile.write(to: path) { temporary in
            let writer = try GzipWriter(path: temporary, compressed: path.lowercased().hasSuffix(".gz"), reportingAs: path)
            try writer.write(header.serialised())
            let sink = NIfTISink(writer: writer, header: header, path: path)
            try produce(sink)
            guard sink.written == header.voxelCount else {
                throw PixelwiseError.file(path: path, problem: "\(sink.written) values written for \(header.voxelCount) voxels")
            }
            try writer.close()
        }
    }
}

/// Takes a volume's values in file order while `NIfTIVolume.write(header:to:_:)` runs.
public final class NIfTISink {
    fileprivate let writer: GzipWriter
    fileprivate let header: NIfTIHeader
    fileprivate let path: String
    /// Values taken so far.
    public private(set) var written = 0

    fileprivate init(writer: GzipWriter, header: NIfTIHeader, path: String) {
        self.writer = writer
        self.header = header
        self.path = path
    }

    /// Appends values (converted to the header's type and scaling).
    public func append<C: Collection>(_ values: C) throws where C.Element == Float {
        guard written + values.count <= header.voxelCount else {
            throw PixelwiseError.file(path: path, problem: "more than \(header.voxelCount) values for the volume")
        }
        let bytes = NIfTICoding.encode(values, type: header.dataType, slope: header.scaleSlope, intercept: header.scaleIntercept)
        try writer.write(bytes)
        written += values.count
    }
}

/// Stored bytes ↔ real-world `Float` values.
enum NIfTICoding {
    static func decode(_ bytes: [UInt8], type: NIfTIDataType, littleEndian: Bool, slope: Double, intercept: Double,
                       into out: UnsafeMutableBufferPointer<Float>) {
        let scaled = slope != 0 && !(slope == 1 && intercept == 0)
        let swap = littleEndian != (UInt16(1).littleEndian == 1)
        bytes.withUnsafeBytes { raw in
            func stored(_ i: Int) -> Double {
                switch type {
                case .uint8: return Double(raw[i])
                case .int16:
                    let v = raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                    return Double(Int16(bitPattern: swap ? v.byteSwapped : v))
                case .uint16:
                    let v = raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                    return Double(swap ? v.byteSwapped : v)
                case .int32:
                    let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                    return Double(Int32(bitPattern: swap ? v.byteSwapped : v))
                case .float32:
                    let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                    return Double(Float(bitPattern: swap ? v.byteSwapped : v))
                case .float64:
                    let v = raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
                    return Double(bitPattern: swap ? v.byteSwapped : v)
                }
            }
            if !scaled && type == .uint8 {
                for i in 0..<out.count { out[i] = Float(raw[i]) }
            } else if !scaled && type == .float32 && !swap {
                for i in 0..<out.count { out[i] = raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
            } else {
                for i in 0..<out.count { out[i] = Float(scaled ? slope * stored(i) + intercept : stored(i)) }
            }
        }
    }

    static func encode<C: Collection>(_ values: C, type: NIfTIDataType, slope: Double, intercept: Double) -> [UInt8] where C.Element == Float {
        let scaled = slope != 0 && !(slope == 1 && intercept == 0)
        var out = [UInt8](repeating: 0, count: values.count * type.size)
        out.withUnsafeMutableBytes { raw in
            for (i, value) in values.enumerated() {
                var v = Double(value)
                if scaled { v = (v - intercept) / slope }
                if let range = type.integerRange {
                    v = v.isNaN ? 0 : min(max(v.rounded(), range.lowerBound), range.upperBound)
                }
                switch type {
                case .uint8: raw[i] = UInt8(v)
                case .int16: raw.storeBytes(of: Int16(v).littleEndian, toByteOffset: 2 * i, as: Int16.self)
                case .uint16: raw.storeBytes(of: UInt16(v).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                case .int32: raw.storeBytes(of: Int32(v).littleEndian, toByteOffset: 4 * i, as: Int32.self)
                case .float32: raw.storeBytes(of: Float(v).bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                case .float64: raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
                }
            }
        }
        return out
    }
}
