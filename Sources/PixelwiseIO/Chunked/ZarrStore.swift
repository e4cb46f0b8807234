import Foundation
import PixelwiseCore

/// zarr v2 (`.zarray`, `.zattrs`, `.zgroup`) and zarr v3 (`zarr.json`) array metadata: parsed
/// into a `ChunkedArray`, and written for new arrays. The format's specs:
/// https://zarr-specs.readthedocs.io/en/latest/v2/v2.0.html and …/v3/core/v3.0.html.
enum ZarrStore {
    // MARK: - Reading

    /// The zarr array in `folder`, or nil when the folder holds no zarr array metadata.
    static func open(_ folder: String) throws -> ChunkedArray? {
        if FileManager.default.fileExists(atPath: folder + "/.zarray") { return try openV2(folder) }
        if FileManager.default.fileExists(atPath: folder + "/zarr.json") {
            let meta = try JSONFile.object(folder + "/zarr.json")
            guard meta["node_type"] as? String == "array" else { return nil }
            return try openV3(folder, meta)
        }
        return nil
    }

    static func openV2(_ folder: String) throws -> ChunkedArray {
        let file = folder + "/.zarray"
        let meta = try JSONFile.object(file)
        func fail(_ problem: String) -> PixelwiseError { .file(path: file, problem: problem) }
        guard JSONFile.int(meta["zarr_format"]) == 2 else { throw fail("zarr_format is not 2") }
        guard let shape = JSONFile.ints(meta["shape"]), let chunks = JSONFile.ints(meta["chunks"]) else {
            throw fail("shape or chunks missing or not lists of integers")
        }
        guard let dtypeText = meta["dtype"] as? String else { throw fail("dtype missing or not a NumPy type string") }
        guard let dataType = ChunkDataType(numpyString: dtypeText) else {
            throw fail("dtype \(dtypeText) is not supported (|u1 |i1 u2 i2 u4 i4 u8 i8 f4 f8, either byte order)")
        }
        if let filters = meta["filters"], !(filters is NSNull), !((filters as? [Any])?.isEmpty ?? false) {
            throw fail("filters are not supported (\(JSONFile.text(filters)))")
        }
        let codec: ChunkCodec
        do { codec = try v2Codec(meta["compressor"]) } catch let PixelwiseError.invalidArgument(problem) { throw fail(problem) }
        let orderText = meta["order"] as? String ?? "C"
        guard orderText == "C" || orderText == "F" else { throw fail("order \(orderText) is neither C nor F") }
        let separator = meta["dimension_separator"] as? String ?? "."
        guard separator == "." || separator == "/" else { throw fail("dimension_separator \(separator) is neither . nor /") }
        let fill = try fillValue(meta["fill_value"], dataType, file)
        let attributes = (try? JSONFile.object(folder + "/.zattrs")) ?? [:]
        return try ChunkedArray(path: folder, format: .zarr2, shape: shape, chunkShape: chunks, dataType: dataType, codec: codec,
                                order: orderText == "F" ? Array((0..<shape.count).reversed()) : nil, fillValue: fill,
                                spacing: spacing(attributes["resolution"]), separator: separator, keyPrefix: nil)
    }

    static func v2Codec(_ json: Any?) throws -> ChunkCodec {
        guard let json, !(json is NSNull) else { return .raw }
        guard let object = json as? [String: Any], let id = object["id"] as? String else {
            throw PixelwiseError.invalidArgument("compressor \(JSONFile.text(json)) has no id")
        }
        let level = JSONFile.int(object["level"])
        switch id {
        case "zlib": return .zlib(level: level ?? 1)
        case "gzip": return .gzip(level: level ?? 1)
        case "zstd": return .zstd(level: level ?? 1, checksum: object["checksum"] as? Bool ?? false)
        case "blosc":
            let shuffle = JSONFile.int(object["shuffle"]) ?? 1
            return .blosc(.init(compressor: object["cname"] as? String ?? "lz4", level: JSONFile.int(object["clevel"]) ?? 5,
                                shuffle: shuffle < 0 ? .byte : ChunkCodec.Blosc.Shuffle(rawValue: shuffle) ?? .byte,
                                blockSize: JSONFile.int(object["blocksize"]) ?? 0))
        default: throw PixelwiseError.invalidArgument("compressor \(id) is not supported (blosc, zlib, gzip, zstd or none)")
        }
    }

    static func openV3(_ folder: String, _ meta: [String: Any]) throws -> ChunkedArray {
        let file = folder + "/zarr.json"
        func fail(_ problem: String) -> PixelwiseError { .file(path: file, problem: problem) }
        guard JSONFile.int(meta["zarr_format"]) == 3 else { throw fail("zarr_format is not 3") }
        guard let shape = JSONFile.ints(meta["shape"]) else { throw fail("shape missing or not a list of integers") }
        guard let grid = meta["chunk_grid"] as? [String: Any], grid["name"] as? String == "regular",
              let chunks = JSONFile.ints((grid["configuration"] as? [String: Any])?["chunk_shape"]) else {
            throw fail("chunk_grid is not a regular grid with a chunk_shape")
        }
        if let transformers = meta["storage_transformers"] as? [Any], !transformers.isEmpty {
            throw fail("storage transformers are not supported")
        }
        guard let typeName = meta["data_type"] as? String, ChunkDataType.Kind(rawValue: typeName) != nil else {
            throw fail("data_type \(JSONFile.text(meta["data_type"] ?? "missing")) is not supported (uint8 … int64, float32, float64)")
        }
        var separator = "/", prefix: String? = "c"
        if let encoding = meta["chunk_key_encoding"] as? [String: Any] {
            let configured = (encoding["configuration"] as? [String: Any])?["separator"] as? String
            switch encoding["name"] as? String {
            case "default": separator = configured ?? "/"
            case "v2": (separator, prefix) = (configured ?? ".", nil)
            default: throw fail("chunk_key_encoding \(JSONFile.text(encoding)) is not supported (default or v2)")
            }
        }
        // Codecs: array→array (transpose), one array→bytes (bytes), at most one bytes→bytes.
        var order: [Int]? = nil, bigEndian = false, codec = ChunkCodec.raw, sawBytes = false
        for entry in meta["codecs"] as? [Any] ?? [] {
            guard let object = entry as? [String: Any], let name = object["name"] as? String else { throw fail("a codec without a name") }
            let config = object["configuration"] as? [String: Any] ?? [:]
            switch name {
            case "transpose":
                guard !sawBytes else { throw fail("transpose after the bytes codec") }
                if let permutation = JSONFile.ints(config["order"]) { order = permutation }
                else if config["order"] as? String == "F" { order = Array((0..<shape.count).reversed()) }
                else if config["order"] as? String != "C" { throw fail("transpose order \(JSONFile.text(config["order"] ?? "missing")) is not supported") }
            case "bytes", "endian":
                bigEndian = config["endian"] as? String == "big"
                sawBytes = true
            case "blosc", "gzip", "zstd":
                guard sawBytes, codec == .raw else { throw fail("codec \(name) in an unsupported position (one compressor after bytes)") }
                switch name {
                case "gzip": codec = .gzip(level: JSONFile.int(config["level"]) ?? 5)
                case "zstd": codec = .zstd(level: JSONFile.int(config["level"]) ?? 0, checksum: config["checksum"] as? Bool ?? false)
                default:
                    let shuffles: [String: ChunkCodec.Blosc.Shuffle] = ["noshuffle": .none, "shuffle": .byte, "bitshuffle": .bit]
                    codec = .blosc(.init(compressor: config["cname"] as? String ?? "lz4", level: JSONFile.int(config["clevel"]) ?? 5,
                                         shuffle: shuffles[config["shuffle"] as? String ?? "noshuffle"] ?? .none,
                                         blockSize: JSONFile.int(config["blocksize"]) ?? 0))
                }
            default:
                throw fail("codec \(name) is not supported (bytes, transpose, blosc, gzip, zstd)")
            }
        }
        guard sawBytes else { throw fail("no bytes codec") }
        let dataType = ChunkDataType(name: typeName, bigEndian: bigEndian)!
        let fill = try fillValue(meta["fill_value"], dataType, file)
        let attributes = meta["attributes"] as? [String: Any] ?? [:]
        return try ChunkedArray(path: folder, format: .zarr3, shape: shape, chunkShape: chunks, dataType: dataType, codec: codec,
                                order: order, fillValue: fill, spacing: spacing(attributes["resolution"]),
                                separator: separator, keyPrefix: prefix)
    }

    /// A fill value from JSON: a number, null (0), "NaN", "Infinity", "-Infinity", or (zarr v3)
    /// a float's bit pattern as "0x…".
    static func fillValue(_ json: Any?, _ type: ChunkDataType, _ file: String) throws -> Float {
        switch json {
        case nil, is NSNull: return 0
        case let text as String:
            switch text {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default:
                if text.hasPrefix("0x"), let bits = UInt64(text.dropFirst(2), radix: 16) {
                    if type.kind == .float32 { return Float(bitPattern: UInt32(truncatingIfNeeded: bits)) }
                    if type.kind == .float64 { return Float(Double(bitPattern: bits)) }
                }
                throw PixelwiseError.file(path: file, problem: "fill_value \(text) is not supported")
            }
        case let number as NSNumber: return number.floatValue
        default: throw PixelwiseError.file(path: file, problem: "fill_value \(JSONFile.text(json!)) is not supported")
        }
    }

    /// Voxel spacing from a "resolution" attribute, (z, y, x) (the funlib/daisy convention).
    static func spacing(_ json: Any?) -> [Double]? {
        guard let values = (json as? [Any])?.compactMap({ ($0 as? NSNumber)?.doubleValue }), !values.isEmpty else { return nil }
        return Array(([1.0, 1.0, 1.0] + values).suffix(3))
    }

    // MARK: - Writing

    /// Writes the metadata of a new array in `folder` (which exists).
    static func writeMetadata(_ array: ChunkedArray) throws {
        let fill: Any = array.fillValue.isNaN ? "NaN" : array.fillValue.isInfinite ? (array.fillValue > 0 ? "Infinity" : "-Infinity")
            : array.fillValue == array.fillValue.rounded() && abs(array.fillValue) < 1e15 ? Int(array.fillValue) as Any : Double(array.fillValue)
        let resolution = array.geometry.spacing
        switch array.format {
        case .zarr2:
            var meta: [String: Any] = [
                "zarr_format": 2, "shape": array.shape, "chunks": array.chunkShape, "dtype": array.dataType.numpyString,
                "compressor": v2Compressor(array.codec), "fill_value": fill, "filters": NSNull(),
                "order": array.order == Array(0..<array.shape.count) ? "C" : "F",
            ]
            if array.separator != "." { meta["dimension_separator"] = array.separator }
            try JSONFile.write(meta, to: array.path + "/.zarray")
            try JSONFile.write(["resolution": resolution], to: array.path + "/.zattrs")
        case .zarr3:
            var codecs: [[String: Any]] = []
            if array.order != Array(0..<array.shape.count) { codecs.append(["name": "transpose", "configuration": ["order": array.order]]) }
            codecs.append(["name": "bytes", "configuration": ["endian": array.dataType.bigEndian ? "big" : "little"]])
            switch array.codec {
            case .raw: break
            case .gzip(let level): codecs.append(["name": "gzip", "configuration": ["level": level]])
            case .zstd(let level, let checksum): codecs.append(["name": "zstd", "configuration": ["level": level, "checksum": checksum]])
            case .blosc(let b):
                let shuffle = ["noshuffle", "shuffle", "bitshuffle"][b.shuffle.rawValue]
                codecs.append(["name": "blosc", "configuration": ["cname": b.compressor, "clevel": b.level, "shuffle": shuffle,
                                                                    "typesize": array.dataType.size, "blocksize": b.blockSize]])
            case .zlib: throw PixelwiseError.invalidArgument("\(array.path): zarr v3 has no zlib codec; use gzip")
            }
            let meta: [String: Any] = [
                "zarr_format": 3, "node_type": "array", "shape": array.shape, "data_type": array.dataType.kind.rawValue,
                "chunk_grid": ["name": "regular", "configuration": ["chunk_shape": array.chunkShape]],
                "chunk_key_encoding": array.keyPrefix == nil ? ["name": "v2", "configuration": ["separator": array.separator]]
                    : ["name": "default", "configuration": ["separator": array.separator]],
                "fill_value": fill, "codecs": codecs, "attributes": ["resolution": resolution],
            ]
            try JSONFile.write(meta, to: array.path + "/zarr.json")
        case .n5: preconditionFailure("N5 metadata is N5Store's")
        }
    }

    static func v2Compressor(_ codec: ChunkCodec) -> Any {
        switch codec {
        case .raw: NSNull()
        case .zlib(let level): ["id": "zlib", "level": level]
        case .gzip(let level): ["id": "gzip", "level": level]
        case .zstd(let level, let checksum): checksum ? ["id": "zstd", "level": level, "checksum": true] : ["id": "zstd", "level": level]
        case .blosc(let b): ["id": "blosc", "cname": b.compressor, "clevel": b.level, "shuffle": b.shuffle.rawValue, "blocksize": b.blockSize]
        }
    }

    /// Group metadata for a folder of the store above an array, unless it has some.
    static func writeGroup(_ folder: String, version: ChunkedFormat) throws {
        let file = folder + (version == .zarr2 ? "/.zgroup" : "/zarr.json")
        guard !FileManager.default.fileExists(atPath: file) else { return }
        try JSONFile.write(version == .zarr2 ? ["zarr_format": 2] : ["zarr_format": 3, "node_type": "group", "attributes": [String: Any]()],
                           to: file)
    }
}

/// JSON metadata files: read as Foundation objects, written atomically, sorted and indented.
enum JSONFile {
    static func object(_ path: String) throws -> [String: Any] {
        let bytes = try FileBytes.read(path)
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? [String: Any] else {
            throw PixelwiseError.file(path: path, problem: "not a JSON object (damaged metadata)")
        }
        return object
    }

    static func write(_ object: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(Array(data) + [10], to: path)
    }

    static func int(_ json: Any?) -> Int? {
        guard let number = json as? NSNumber else { return nil }
        let value = number.doubleValue
        return value == value.rounded() && abs(value) < 9e15 ? Int(value) : nil
    }

    static func ints(_ json: Any?) -> [Int]? {
        guard let list = json as? [Any] else { return nil }
        let values = list.compactMap { int($0) }
        return values.count == list.count ? values : nil
    }

    static func text(_ json: Any) -> String {
        if let data = try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .fragmentsAllowed]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(json)"
    }
}
