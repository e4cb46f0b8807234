import PixelwiseCore

/// The element type of a chunked array and its byte order in the chunks.
///
/// Values travel as `Float` (what `VolumeReading` returns): integers up to 2²⁴ convert exactly;
/// a wider integer beyond that is an error on reading (two ids would merge), like
/// `HDF5Volume`; float64 is rounded to float32. Writing rounds to the nearest integer and clamps
/// to the type's range (NaN becomes 0).
public struct ChunkDataType: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64
    }

    public let kind: Kind
    /// Always false for one-byte types (they have no byte order).
    public let bigEndian: Bool

    public init(_ kind: Kind, bigEndian: Bool = false) {
        self.kind = kind
        self.bigEndian = bigEndian && kind != .uint8 && kind != .int8
    }

    public var size: Int {
        switch kind {
        case .uint8, .int8: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        }
    }

    public var isFloat: Bool { kind == .float32 || kind == .float64 }
    public var isSigned: Bool { [.int8, .int16, .int32, .int64].contains(kind) }

    /// The type a volume of `sampleType` is stored as: |u1, <u2, <f4.
    public init(_ sampleType: SampleType) {
        switch sampleType {
        case .uint8: self.init(Kind.uint8)
        case .uint16: self.init(Kind.uint16)
        case .float32: self.init(Kind.float32)
        }
    }

    /// The sample type the volume is read as (fixes the normalisation: /255, /65535, or as is):
    /// by the stored type alone, so that no store has to be read whole to know it.
    public var sampleType: SampleType {
        switch kind {
        case .uint8: .uint8
        case .uint16: .uint16
        default: .float32
        }
    }

    /// NumPy's type string as zarr v2 writes it: `|u1`, `<u2`, `>f4`, ….
    public var numpyString: String {
        let letter = isFloat ? "f" : isSigned ? "i" : "u"
        return (size == 1 ? "|" : bigEndian ? ">" : "<") + letter + String(size)
    }

    /// Parses a NumPy type string (`|u1`, `<i2`, `>f8`, `u1`, …); nil for anything else.
    public init?(numpyString text: String) {
        var rest = Substring(text)
        var big = false
        if let first = rest.first, "<>|=".contains(first) {
            big = first == ">"
            rest = rest.dropFirst()
        }
        let kinds: [String: Kind] = ["u1": .uint8, "i1": .int8, "u2": .uint16, "i2": .int16, "u4": .uint32, "i4": .int32,
                                     "u8": .uint64, "i8": .int64, "f4": .float32, "f8": .float64]
        guard let kind = kinds[String(rest)] else { return nil }
        self.init(kind, bigEndian: big)
    }

    /// Parses a zarr v3 / N5 type name (`uint8`, `float32`, …); the byte order comes separately.
    public init?(name: String, bigEndian: Bool = false) {
        guard let kind = Kind(rawValue: name) else { return nil }
        self.init(kind, bigEndian: bigEndian)
    }

    public var description: String { kind.rawValue + (size > 1 ? (bigEndian ? " big-endian" : " little-endian") : "") }

    /// The largest integer float32 holds exactly.
    static let exactLimit: Double = 16_777_216

    /// Converts `bytes` (`count` elements in this type and byte order) to floats. Integers
    /// beyond ±2²⁴ in 32/64-bit types are refused (problem in words).
    func floats(from bytes: [UInt8], count: Int) throws -> [Float] {
        precondition(bytes.count >= count * size)
        var out = [Float](repeating: 0, count: count)
        try bytes.withUnsafeBytes { raw in
            try out.withUnsafeMutableBufferPointer { target in
                func each<T: FixedWidthInteger>(_: T.Type, _ convert: (T) throws -> Float) rethrows {
                    for i in 0..<count {
                        let stored = raw.loadUnaligned(fromByteOffset: i * size, as: T.self)
                        target[i] = try convert(bigEndian ? T(bigEndian: stored) : T(littleEndian: stored))
                    }
                }
                func checked(_ value: Double) throws -> Float {
                    guard abs(value) <= ChunkDataType.exactLimit else {
                        throw ChunkCodec.problem("holds the value \(Int64(exactly: value).map(String.init) ?? String(value)), beyond float32's exact integers (2^24 = 16777216); relabel it to consecutive ids")
                    }
                    return Float(value)
                }
                switch kind {
                case .uint8: each(UInt8.self) { Float($0) }
                case .int8: each(Int8.self) { Float($0) }
                case .uint16: each(UInt16.self) { Float($0) }
                case .int16: each(Int16.self) { Float($0) }
                case .uint32: try each(UInt32.self) { try checked(Double($0)) }
                case .int32: try each(Int32.self) { try checked(Double($0)) }
                case .uint64: try each(UInt64.self) { $0 > UInt64(1 << 24) ? try checked(Double($0)) : Float($0) }
                case .int64: try each(Int64.self) { $0.magnitude > UInt64(1 << 24) ? try checked(Double($0)) : Float($0) }
                case .float32: each(UInt32.self) { Float(bitPattern: $0) }
                case .float64: each(UInt64.self) { Float(Double(bitPattern: $0)) }
                }
            }
        }
        return out
    }

    /// The bytes of `values` in this type and byte order (integers rounded and clamped, NaN → 0).
    func bytes(from values: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * size)
        out.withUnsafeMutableBytes { raw in
            func each<T: FixedWidthInteger>(_: T.Type, _ convert: (Float) -> T) {
                for (i, value) in values.enumerated() {
                    let stored = convert(value)
                    raw.storeBytes(of: bigEndian ? stored.bigEndian : stored.littleEndian, toByteOffset: i * size, as: T.self)
                }
            }
            func integer<T: FixedWidthInteger>(_ value: Float) -> T {
                guard !value.isNaN else { return 0 }
                let rounded = Double(value).rounded()
                if rounded <= Double(T.min) { return T.min }
                if rounded >= Double(T.max) { return T.max }
                return T(rounded)
            }
            switch kind {
            case .uint8: each(UInt8.self, integer)
            case .int8: each(Int8.self, integer)
            case .uint16: each(UInt16.self, integer)
            case .int16: each(Int16.self, integer)
            case .uint32: each(UInt32.self, integer)
            case .int32: each(Int32.self, integer)
            case .uint64: each(UInt64.self, integer)
            case .int64: each(Int64.self, integer)
            case .float32: each(UInt32.self) { $0.bitPattern }
            case .float64: each(UInt64.self) { Double($0).bitPattern }
            }
        }
        return out
    }
}
