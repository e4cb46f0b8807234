import PixelwiseCore

/// How a NIfTI file stores one voxel (the header's `datatype` code). Pixelwise reads and writes
/// these six; other codes (complex, RGB, 8-byte integers, …) are rejected with the code named.
public enum NIfTIDataType: Int16, Sendable, Codable, CaseIterable {
    case uint8 = 2, int16 = 4, int32 = 8, float32 = 16, float64 = 64, uint16 = 512

    /// Bytes per voxel.
    public var size: Int {
        switch self {
        case .uint8: 1
        case .int16, .uint16: 2
        case .int32, .float32: 4
        case .float64: 8
        }
    }

    /// The name used in messages and `inspect`: "uint8", "int16", …
    public var name: String { String(describing: self) }

    var isInteger: Bool { self != .float32 && self != .float64 }

    /// The range an integer type holds (nil for floats).
    var integerRange: ClosedRange<Double>? {
        switch self {
        case .uint8: 0...255
        case .int16: -32768...32767
        case .uint16: 0...65535
        case .int32: -2_147_483_648...2_147_483_647
        case .float32, .float64: nil
        }
    }
}

/// The fields of a NIfTI-1 (348-byte) or NIfTI-2 (540-byte) header that Pixelwise reads, keeps
/// and writes back: shape, voxel type, intensity scaling and the two voxel-to-world transforms
/// (qform and sform) with voxel spacing. Both versions hold the same fields; NIfTI-2 stores them
/// as 64-bit integers and doubles, NIfTI-1 as 16/32-bit integers and floats.
///
/// Specification: https://nifti.nimh.nih.gov/nifti-1 (nifti1.h) and nifti2.h (2011).
public struct NIfTIHeader: Sendable, Equatable, Codable {
    /// 1 or 2.
    public var version: Int
    /// `dim[1…dim[0]]`: the extent along each axis (x fastest, then y, z, t, …), 1 to 7 axes.
    public var dimensions: [Int]
    /// `pixdim[0…7]`. `pixdim[0]` is qfac (±1, the handedness of the qform); `pixdim[1…3]` the
    /// voxel spacing in `spatialUnits`.
    public var pixdim: [Double]
    public var dataType: NIfTIDataType
    /// Stored value v means `scaleSlope · v + scaleIntercept`; slope 0 means no scaling.
    public var scaleSlope: Double
    public var scaleIntercept: Double
    /// `qform_code` and `sform_code`: 0 unknown, 1 scanner, 2 aligned, 3 Talairach, 4 MNI, 5 template.
    public var qformCode: Int
    public var sformCode: Int
    /// `quatern_b`, `quatern_c`, `quatern_d`: the qform rotation as a unit quaternion's b, c, d.
    public var quaternion: [Double]
    /// `qoffset_x`, `qoffset_y`, `qoffset_z`.
    public var quaternionOffset: [Double]
    /// `srow_x`, `srow_y`, `srow_z`: the sform's three rows of four.
    public var sform: [[Double]]
    /// `xyzt_units`: spatial unit in bits 0–2 (1 m, 2 mm, 3 µm), time unit in bits 3–5.
    public var units: Int
    /// `dim_info` (frequency/phase/slice axes), `slice_code`, `slice_start`, `slice_end`,
    /// `slice_duration` and `toffset`: kept as read.
    public var dimInfo: Int
    public var sliceCode: Int
    public var sliceStart: Int
    public var sliceEnd: Int
    public var sliceDuration: Double
    public var timeOffset: Double
    /// `cal_min`, `cal_max`: the display range.
    public var calibrationMinimum: Double
    public var calibrationMaximum: Double
    /// `intent_code`, `intent_p1…p3`, `intent_name`.
    public var intentCode: Int
    public var intentParameters: [Double]
    public var intentName: String
    /// `descrip` (≤ 79 bytes) and `aux_file` (≤ 23 bytes).
    public var description: String
    public var auxiliaryFile: String
    /// Byte offset of the first voxel (`vox_offset`), as read; writers choose their own.
    public var voxelOffset: Int
    /// The byte order the file was read in; files are always written little-endian.
    public internal(set) var littleEndian = true

    /// A header for a fresh volume: spacing 1, no transform codes, no scaling, NIfTI-1.
    public init(dimensions: [Int], dataType: NIfTIDataType, spacing: [Double]? = nil, version: Int = 1) {
        precondition((1...7).contains(dimensions.count), "NIfTI: 1 to 7 dimensions, got \(dimensions.count)")
        self.version = version
        self.dimensions = dimensions
        var pixdim = [Double](repeating: 1, count: 8)
        for (i, s) in (spacing ?? []).enumerated() where i < 7 { pixdim[i + 1] = s }
        self.pixdim = pixdim
        self.dataType = dataType
        scaleSlope = 0
        scaleIntercept = 0
        qformCode = 0
        sformCode = 0
        quaternion = [0, 0, 0]
        quaternionOffset = [0, 0, 0]
        sform = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
        units = 2  // millimetres
        dimInfo = 0
        sliceCode = 0
        sliceStart = 0
        sliceEnd = 0
        sliceDuration = 0
        timeOffset = 0
        calibrationMinimum = 0
        calibrationMaximum = 0
        intentCode = 0
        intentParameters = [0, 0, 0]
        intentName = ""
        description = ""
        auxiliaryFile = ""
        voxelOffset = version == 1 ? 352 : 544
    }

    /// The voxel spacing along each axis (`pixdim[1…]`).
    public var spacing: [Double] { Array(pixdim[1...dimensions.count]) }

    /// Voxels in the whole file.
    public var voxelCount: Int { dimensions.reduce(1, *) }

    /// Whether stored values are scaled (`scl_slope` ≠ 0 and not the identity).
    public var isScaled: Bool { scaleSlope != 0 && !(scaleSlope == 1 && scaleIntercept == 0) }

    /// The header for a volume derived from this one — a segmentation, a probability map —
    /// that overlays it in a viewer: the same spatial axes, spacing, qform and sform, with
    /// `dataType`, no intensity scaling, no display range or intent, and `extraDimensions`
    /// (e.g. [classes]) after the first three axes instead of this volume's.
    public func derived(dataType: NIfTIDataType, extraDimensions: [Int] = [], description: String = "") -> NIfTIHeader {
        var out = self
        let spatial = Array(dimensions.prefix(3))
        out.dimensions = extraDimensions.isEmpty ? spatial : spatial + [Int](repeating: 1, count: 3 - spatial.count) + extraDimensions
        for i in (out.dimensions.count + 1)..<8 { out.pixdim[i] = 1 }
        if !extraDimensions.isEmpty { out.pixdim[4] = 1 }
        out.dataType = dataType
        out.scaleSlope = 0
        out.scaleIntercept = 0
        out.calibrationMinimum = 0
        out.calibrationMaximum = 0
        out.intentCode = 0
        out.intentParameters = [0, 0, 0]
        out.intentName = ""
        out.description = description
        return out
    }

    /// The voxel-to-world affine as 3 rows of 4 (the fourth row is 0 0 0 1), chosen as nibabel's
    /// `get_best_affine` and nifti2_io's `sto_xyz` choose: the sform if `sform_code` > 0, else
    /// the qform if `qform_code` > 0, else the spacing on the diagonal (NIfTI's "method 1").
    public var affine: [[Double]] {
        if sformCode > 0 { return sform }
        if qformCode > 0 { return qformAffine }
        let d = (1...3).map { i in i < pixdim.count && pixdim[i] != 0 ? pixdim[i] : 1 }
        return [[d[0], 0, 0, 0], [0, d[1], 0, 0], [0, 0, d[2], 0]]
    }

    /// The qform as an affine: nifti1_io's `quatern_to_mat44` (rotation from the quaternion,
    /// columns scaled by the spacing, the third negated when qfac = −1, offset as translation).
    public var qformAffine: [[Double]] {
        var (b, c, d) = (quaternion[0], quaternion[1], quaternion[2])
        var a = 1 - (b * b + c * c + d * d)
        if a < 1e-7 {
            a = 1 / (b * b + c * c + d * d).squareRoot()
            (b, c, d) = (b * a, c * a, d * a)
            a = 0
        } else {
            a = a.squareRoot()
        }
        let xd = pixdim[1] > 0 ? pixdim[1] : 1, yd = pixdim[2] > 0 ? pixdim[2] : 1
        var zd = pixdim[3] > 0 ? pixdim[3] : 1
        if pixdim[0] < 0 { zd = -zd }
        return [
            [(a * a + b * b - c * c - d * d) * xd, 2 * (b * c - a * d) * yd, 2 * (b * d + a * c) * zd, quaternionOffset[0]],
            [2 * (b * c + a * d) * xd, (a * a + c * c - b * b - d * d) * yd, 2 * (c * d - a * b) * zd, quaternionOffset[1]],
            [2 * (b * d - a * c) * xd, 2 * (c * d + a * b) * yd, (a * a + d * d - c * c - b * b) * zd, quaternionOffset[2]],
        ]
    }
}

// MARK: - Bytes

extension NIfTIHeader {
    /// NIfTI-1 single-file magic "n+1\0" at byte 344; NIfTI-2 "n+2\0\r\n\u{1A}\n" at byte 4.
    static let magic1: [UInt8] = [0x6E, 0x2B, 0x31, 0x00]
    static let magic2: [UInt8] = [0x6E, 0x2B, 0x32, 0x00, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Whether `bytes` (the first ≥ 12 bytes of an uncompressed file) start a single-file NIfTI
    /// header of either version, in either byte order.
    static func looksLikeNIfTI(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 12 else { return false }
        let size = (0..<4).map { Int(bytes[$0]) }
        let little = size[0] | size[1] << 8 | size[2] << 16 | size[3] << 24
        let big = size[3] | size[2] << 8 | size[1] << 16 | size[0] << 24
        if (little == 540 || big == 540) && Array(bytes[4..<12]) == magic2 { return true }
        if (little == 348 || big == 348) && bytes.count >= 348 { return Array(bytes[344..<348]) == magic1 }
        return false
    }

    /// Parses a header from the first 348 (NIfTI-1) or 540 (NIfTI-2) bytes of a file. `fileBytes`
    /// is how many data bytes the file holds after decompression when known (to reject a
    /// truncated file before reading it); `path` names the file in errors.
    init(parsing bytes: [UInt8], path: String) throws {
        func fail(_ problem: String) -> PixelwiseError { .file(path: path, problem: problem) }
        guard bytes.count >= 4 else { throw fail("too short for a NIfTI header (\(bytes.count) bytes)") }
        var reader = ByteReader(bytes: bytes, littleEndian: true)
        var size = reader.int32(at: 0)
        if size != 348 && size != 540 {
            reader.littleEndian = false
            size = reader.int32(at: 0)
        }
        switch size {
        case 348:
            guard bytes.count >= 348 else { throw fail("truncated NIfTI-1 header (\(bytes.count) of 348 bytes)") }
            guard Array(bytes[344..<348]) == Self.magic1 else {
                if Array(bytes[344..<347]) == [0x6E, 0x69, 0x31] {
                    throw fail("a NIfTI-1 header of a .hdr/.img pair: only single-file .nii/.nii.gz volumes are read")
                }
                throw fail("not a NIfTI-1 file (no \"n+1\" magic at byte 344)")
            }
            self.init(dimensions: [1], dataType: .uint8, version: 1)
            try readDimensions((0..<8).map { Int(reader.int16(at: 40 + 2 * $0)) }, fail)
            intentParameters = (0..<3).map { Double(reader.float32(at: 56 + 4 * $0)) }
            intentCode = Int(reader.int16(at: 68))
            try readDataType(reader.int16(at: 70), bitpix: reader.int16(at: 72), fail)
            sliceStart = Int(reader.int16(at: 74))
            pixdim = (0..<8).map { Double(reader.float32(at: 76 + 4 * $0)) }
            voxelOffset = Int(reader.float32(at: 108))
            scaleSlope = Double(reader.float32(at: 112))
            scaleIntercept = Double(reader.float32(at: 116))
            sliceEnd = Int(reader.int16(at: 120))
            sliceCode = Int(bytes[122])
            units = Int(bytes[123])
            calibrationMaximum = Double(reader.float32(at: 124))
            calibrationMinimum = Double(reader.float32(at: 128))
            sliceDuration = Double(reader.float32(at: 132))
            timeOffset = Double(reader.float32(at: 136))
            description = reader.string(at: 148, length: 80)
            auxiliaryFile = reader.string(at: 228, length: 24)
            qformCode = Int(reader.int16(at: 252))
            sformCode = Int(reader.int16(at: 254))
            quaternion = (0..<3).map { Double(reader.float32(at: 256 + 4 * $0)) }
            quaternionOffset = (0..<3).map { Double(reader.float32(at: 268 + 4 * $0)) }
            sform = (0..<3).map { row in (0..<4).map { Double(reader.float32(at: 280 + 16 * row + 4 * $0)) } }
            intentName = reader.string(at: 328, length: 16)
            dimInfo = Int(bytes[39])
        case 540:
            guard bytes.count >= 540 else { throw fail("truncated NIfTI-2 header (\(bytes.count) of 540 bytes)") }
            guard Array(bytes[4..<12]) == Self.magic2 else {
                throw fail("not a single-file NIfTI-2 file (no \"n+2\" magic at byte 4)")
            }
            self.init(dimensions: [1], dataType: .uint8, version: 2)
            try readDataType(reader.int16(at: 12), bitpix: reader.int16(at: 14), fail)
            try readDimensions((0..<8).map { Int(reader.int64(at: 16 + 8 * $0)) }, fail)
            intentParameters = (0..<3).map { reader.float64(at: 80 + 8 * $0) }
            pixdim = (0..<8).map { reader.float64(at: 104 + 8 * $0) }
            voxelOffset = Int(reader.int64(at: 168))
            scaleSlope = reader.float64(at: 176)
            scaleIntercept = reader.float64(at: 184)
            calibrationMaximum = reader.float64(at: 192)
            calibrationMinimum = reader.float64(at: 200)
            sliceDuration = reader.float64(at: 208)
            timeOffset = reader.float64(at: 216)
            sliceStart = Int(reader.int64(at: 224))
            sliceEnd = Int(reader.int64(at: 232))
            description = reader.string(at: 240, length: 80)
            auxiliaryFile = reader.string(at: 320, length: 24)
            qformCode = Int(reader.int32(at: 344))
            sformCode = Int(reader.int32(at: 348))
            quaternion = (0..<3).map { reader.float64(at: 352 + 8 * $0) }
            quaternionOffset = (0..<3).map { reader.float64(at: 376 + 8 * $0) }
            sform = (0..<3).map { row in (0..<4).map { reader.float64(at: 400 + 32 * row + 8 * $0) } }
            sliceCode = Int(reader.int32(at: 496))
            units = Int(reader.int32(at: 500))
            intentCode = Int(reader.int32(at: 504))
            intentName = reader.string(at: 508, length: 16)
            dimInfo = Int(bytes[524])
        default:
            throw fail("not a NIfTI file (header size field is neither 348 nor 540)")
        }
        let headerSize = version == 1 ? 348 : 540
        guard voxelOffset >= headerSize else {
            throw fail("vox_offset \(voxelOffset) lies inside the \(headerSize)-byte header")
        }
        guard scaleSlope.isFinite, scaleIntercept.isFinite else {
            throw fail("scl_slope/scl_inter are not finite (\(scaleSlope), \(scaleIntercept))")
        }
        littleEndian = reader.littleEndian
    }

    private mutating func readDimensions(_ dim: [Int], _ fail: (String) -> PixelwiseError) throws {
        guard (1...7).contains(dim[0]) else { throw fail("dim[0] = \(dim[0]): a NIfTI file has 1 to 7 dimensions") }
        let extents = Array(dim[1...dim[0]])
        guard extents.allSatisfy({ $0 >= 1 }) else {
            throw fail("dimensions \(extents.map(String.init).joined(separator: "×")) include an extent below 1")
        }
        var total = 1
        for e in extents {
            let (product, overflow) = total.multipliedReportingOverflow(by: e)
            guard !overflow, product <= 1 << 40 else { throw fail("dimensions \(extents.map(String.init).joined(separator: "×")) are implausibly large") }
            total = product
        }
        dimensions = extents
    }

    private mutating func readDataType(_ code: Int16, bitpix: Int16, _ fail: (String) -> PixelwiseError) throws {
        guard let type = NIfTIDataType(rawValue: code) else {
            throw fail("NIfTI datatype \(code) is not supported (uint8, int16, uint16, int32, float32 and float64 are)")
        }
        guard Int(bitpix) == type.size * 8 else {
            throw fail("bitpix \(bitpix) does not match datatype \(type.name) (\(type.size * 8) bits)")
        }
        dataType = type
    }

    /// The header as the 348 or 540 bytes of `version`, little-endian, followed by the four zero
    /// "no extensions" bytes, with `vox_offset` = 352 or 544.
    func serialised() -> [UInt8] {
        var w = ByteWriter(count: version == 1 ? 352 : 544)
        let dim = [dimensions.count] + dimensions + [Int](repeating: 1, count: 7 - dimensions.count)
        if version == 1 {
            w.int32(348, at: 0)
            w.byte(UInt8(truncatingIfNeeded: dimInfo), at: 39)
            for i in 0..<8 { w.int16(Int16(clamping: dim[i]), at: 40 + 2 * i) }
            for i in 0..<3 { w.float32(Float(intentParameters[i]), at: 56 + 4 * i) }
            w.int16(Int16(clamping: intentCode), at: 68)
            w.int16(dataType.rawValue, at: 70)
            w.int16(Int16(dataType.size * 8), at: 72)
            w.int16(Int16(clamping: sliceStart), at: 74)
            for i in 0..<8 { w.float32(Float(pixdim[i]), at: 76 + 4 * i) }
            w.float32(352, at: 108)
            w.float32(Float(scaleSlope), at: 112)
            w.float32(Float(scaleIntercept), at: 116)
            w.int16(Int16(clamping: sliceEnd), at: 120)
            w.byte(UInt8(truncatingIfNeeded: sliceCode), at: 122)
            w.byte(UInt8(truncatingIfNeeded: units), at: 123)
            w.float32(Float(calibrationMaximum), at: 124)
            w.float32(Float(calibrationMinimum), at: 128)
            w.float32(Float(sliceDuration), at: 132)
            w.float32(Float(timeOffset), at: 136)
            w.string(description, at: 148, length: 80)
            w.string(auxiliaryFile, at: 228, length: 24)
            w.int16(Int16(clamping: qformCode), at: 252)
            w.int16(Int16(clamping: sformCode), at: 254)
            for i in 0..<3 { w.float32(Float(quaternion[i]), at: 256 + 4 * i) }
            for i in 0..<3 { w.float32(Float(quaternionOffset[i]), at: 268 + 4 * i) }
            for r in 0..<3 { for i in 0..<4 { w.float32(Float(sform[r][i]), at: 280 + 16 * r + 4 * i) } }
            w.string(intentName, at: 328, length: 16)
            w.put(Self.magic1, at: 344)
        } else {
            w.int32(540, at: 0)
            w.put(Self.magic2, at: 4)
            w.int16(dataType.rawValue, at: 12)
            w.int16(Int16(dataType.size * 8), at: 14)
            for i in 0..<8 { w.int64(Int64(dim[i]), at: 16 + 8 * i) }
            for i in 0..<3 { w.float64(intentParameters[i], at: 80 + 8 * i) }
            for i in 0..<8 { w.float64(pixdim[i], at: 104 + 8 * i) }
            w.int64(544, at: 168)
            w.float64(scaleSlope, at: 176)
            w.float64(scaleIntercept, at: 184)
            w.float64(calibrationMaximum, at: 192)
            w.float64(calibrationMinimum, at: 200)
            w.float64(sliceDuration, at: 208)
            w.float64(timeOffset, at: 216)
            w.int64(Int64(sliceStart), at: 224)
            w.int64(Int64(sliceEnd), at: 232)
            w.string(description, at: 240, length: 80)
            w.string(auxiliaryFile, at: 320, length: 24)
            w.int32(Int32(clamping: qformCode), at: 344)
            w.int32(Int32(clamping: sformCode), at: 348)
            for i in 0..<3 { w.float64(quaternion[i], at: 352 + 8 * i) }
            for i in 0..<3 { w.float64(quaternionOffset[i], at: 376 + 8 * i) }
            for r in 0..<3 { for i in 0..<4 { w.float64(sform[r][i], at: 400 + 32 * r + 8 * i) } }
            w.int32(Int32(clamping: sliceCode), at: 496)
            w.int32(Int32(clamping: units), at: 500)
            w.int32(Int32(clamping: intentCode), at: 504)
            w.string(intentName, at: 508, length: 16)
            w.byte(UInt8(truncatingIfNeeded: dimInfo), at: 524)
        }
        return w.bytes
    }
}

/// Little- or big-endian fields at fixed offsets of a byte array (callers check the length).
struct ByteReader {
    let bytes: [UInt8]
    var littleEndian: Bool

    func unsigned(at offset: Int, size: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<size {
            let byte = UInt64(bytes[offset + (littleEndian ? size - 1 - i : i)])
            value = value << 8 | byte
        }
        return value
    }
    func int16(at offset: Int) -> Int16 { Int16(truncatingIfNeeded: unsigned(at: offset, size: 2)) }
    func int32(at offset: Int) -> Int32 { Int32(truncatingIfNeeded: unsigned(at: offset, size: 4)) }
    func int64(at offset: Int) -> Int64 { Int64(bitPattern: unsigned(at: offset, size: 8)) }
    func float32(at offset: Int) -> Float { Float(bitPattern: UInt32(truncatingIfNeeded: unsigned(at: offset, size: 4))) }
    func float64(at offset: Int) -> Double { Double(bitPattern: unsigned(at: offset, size: 8)) }
    /// A NUL-terminated (or full-length) text field, bytes outside ASCII dropped.
    func string(at offset: Int, length: Int) -> String {
        let field = bytes[offset..<offset + length].prefix { $0 != 0 }
        return String(decoding: field.filter { $0 < 0x80 }, as: UTF8.self)
    }
}

/// Little-endian fields written at fixed offsets of a zero-filled byte array.
struct ByteWriter {
    var bytes: [UInt8]
    init(count: Int) { bytes = [UInt8](repeating: 0, count: count) }

    mutating func unsigned(_ value: UInt64, at offset: Int, size: Int) {
        for i in 0..<size { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }
    mutating func byte(_ value: UInt8, at offset: Int) { bytes[offset] = value }
    mutating func put(_ values: [UInt8], at offset: Int) { bytes.replaceSubrange(offset..<offset + values.count, with: values) }
    mutating func int16(_ v: Int16, at offset: Int) { unsigned(UInt64(UInt16(bitPattern: v)), at: offset, size: 2) }
    mutating func int32(_ v: Int32, at offset: Int) { unsigned(UInt64(UInt32(bitPattern: v)), at: offset, size: 4) }
    mutating func int64(_ v: Int64, at offset: Int) { unsigned(UInt64(bitPattern: v), at: offset, size: 8) }
    mutating func float32(_ v: Float, at offset: Int) { unsigned(UInt64(v.bitPattern), at: offset, size: 4) }
    mutating func float64(_ v: Double, at offset: Int) { unsigned(v.bitPattern, at: offset, size: 8) }
    mutating func string(_ s: String, at offset: Int, length: Int) {
        let utf8 = Array(s.utf8.prefix(length - 1))
        put(utf8, at: offset)
    }
}
