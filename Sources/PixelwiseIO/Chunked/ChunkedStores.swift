#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import PixelwiseCore

/// Paths of chunked stores and the one place that turns them into readers and writers:
/// `FILE.zarr/PATH` (zarr v2 or v3: any folder with `.zarray` or an array's `zarr.json`),
/// `FILE.n5/PATH` (any folder whose `attributes.json` has `dimensions`) and `FILE.h5:/PATH`
/// (an HDF5 dataset, chunked or not; `.hdf5` too). See docs/chunked.md.
public enum ChunkedStores {
    /// The element order inside new chunks.
    public enum ChunkOrder: String, Sendable { case c = "C", f = "F" }

    /// Where a store path points.
    public enum Location: Equatable, Sendable {
        /// A zarr or N5 array folder; `root` is the store's top folder (`….zarr`, `….n5`), when the path has one.
        case folder(path: String, root: String?, format: ChunkedFormat?)
        case hdf5(file: String, dataset: String)
    }

    /// How `path` reads: an HDF5 dataset (`FILE.h5:/PATH`), a folder inside a `.zarr`/`.n5`
    /// store, or any other folder (which may still hold array metadata).
    public static func location(_ path: String) -> Location {
        for suffix in [".h5:", ".hdf5:", ".hdf:", ".H5:", ".HDF5:"] {
            if let range = path.range(of: suffix) {
                let file = String(path[..<range.upperBound].dropLast())
                let dataset = String(path[range.upperBound...])
                return .hdf5(file: file, dataset: dataset.isEmpty ? "/" : dataset)
            }
        }
        var trimmed = path
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        if let at = parts.lastIndex(where: { $0.lowercased().hasSuffix(".zarr") || $0.lowercased().hasSuffix(".n5") }) {
            let root = parts[...at].joined(separator: "/")
            return .folder(path: trimmed, root: root, format: parts[at].lowercased().hasSuffix(".n5") ? .n5 : nil)
        }
        return .folder(path: trimmed, root: nil, format: nil)
    }

    /// A reader for the array or dataset at `path`, or nil when `path` is not a store path (an
    /// image, a stack, a NIfTI file: other readers' business). A path inside a `.zarr`/`.n5`
    /// store or with `.h5:` that names no array is an error saying so.
    public static func open(_ path: String) throws -> (any VolumeReading)? {
        switch location(path) {
        case let .hdf5(file, dataset):
            return try HDF5ChunkedVolume(reading: file, dataset: dataset)
        case let .folder(folder, root, _):
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder)
            if exists, isFolder.boolValue {
                if let array = try openArray(folder) { return array }
            }
            guard root != nil else { return nil }
            if !exists { throw PixelwiseError.file(path: folder, problem: "no such array (the store has no folder there)") }
            guard isFolder.boolValue else { throw PixelwiseError.file(path: folder, problem: "is a file inside a store, not an array") }
            let arrays = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
                .filter { (try? openArray(folder + "/" + $0)) ?? nil != nil }
            throw PixelwiseError.file(path: folder, problem: "is a group, not an array"
                + (arrays.isEmpty ? " (no arrays directly in it)" : "; its arrays: " + arrays.joined(separator: ", ")))
        }
    }

    /// Whether `path` is a zarr or N5 path: inside a `.zarr`/`.n5` folder, or a folder with zarr
    /// or N5 array metadata (`.zarray`, `zarr.json`, `attributes.json`). HDF5 and image paths are not.
    @Sendable public static func isStorePath(_ path: String) -> Bool {
        guard case let .folder(folder, root, _) = location(path) else { return false }
        if root != nil { return true }
        return [".zarray", "zarr.json", "attributes.json"].contains { FileManager.default.fileExists(atPath: folder + "/" + $0) }
    }

    /// The zarr (v2, v3) or N5 array in `folder`, or nil when it holds no array metadata.
    public static func openArray(_ folder: String) throws -> ChunkedArray? {
        if let zarr = try ZarrStore.open(folder) { return zarr }
        return try N5Store.open(folder)
    }

    /// A writer for a new array at `path` (`FILE.zarr/PATH`, `FILE.n5/PATH` or `FILE.h5:/PATH`)
    /// with the geometry's channels and size, chunks of `chunkSize` along (z, y, x) (all channels
    /// in each chunk: a (c, z, y, x) array when there is more than one), stored as `dataType`
    /// (the geometry's sample type when nil) with `codec` (zarr: blosc lz4 with byte shuffle; N5
    /// and HDF5: gzip/deflate level 6 when nil).
    ///
    /// A zarr or N5 array already there with the same shape, chunks, type, codec and order is
    /// opened for writing as it is, its chunks kept (a rerun of the same command continues it);
    /// one that differs is an error. HDF5: the file is written as a temporary copy that `finish()`
    /// renames over it (other datasets in an existing file are kept); chunks only structure the
    /// dataset there, and one process writes it.
    public static func create(path: String, geometry: VolumeGeometry, chunkSize: [Int], codec: ChunkCodec? = nil,
                              dataType: ChunkDataType? = nil, order: ChunkOrder = .c, zarrVersion: Int = 2,
                              fillValue: Float = 0, partialChunks: PartialChunkWrites = .refuse) throws -> any VolumeWriting {
        guard chunkSize.count == 3, chunkSize.allSatisfy({ $0 > 0 }) else {
            throw PixelwiseError.invalidArgument("\(path): chunk size \(chunkSize) is not three positive sizes (z, y, x)")
        }
        guard geometry.channels > 0, geometry.size.allSatisfy({ $0 > 0 }) else {
            throw PixelwiseError.invalidArgument("\(path): cannot create an empty array (\(geometry.channels) channels, size \(Shape(geometry.size)))")
        }
        let chunk = zip(chunkSize, geometry.size).map { min($0, $1) }
        let shape = geometry.channels > 1 ? [geometry.channels] + geometry.size : geometry.size
        let chunkShape = geometry.channels > 1 ? [geometry.channels] + chunk : chunk
        switch location(path) {
        case let .hdf5(file, dataset):
            guard order == .c else { throw PixelwiseError.invalidArgument("\(path): HDF5 datasets are stored in C order only") }
            return try HDF5ChunkedVolume(creating: file, dataset: dataset, geometry: geometry, chunkShape: chunkShape,
                                         dataType: dataType ?? ChunkDataType(geometry.sampleType), level: try codec.map(deflateLevel) ?? 6,
                                         fillValue: fillValue)
        case let .folder(folder, root, n5):
            guard let root else {
                throw PixelwiseError.invalidArgument("\(path): not a store path (FILE.zarr/PATH, FILE.n5/PATH or FILE.h5:/PATH)")
            }
            let format: ChunkedFormat = n5 ?? (zarrVersion == 3 ? .zarr3 : .zarr2)
            guard n5 != nil || zarrVersion == 2 || zarrVersion == 3 else {
                throw PixelwiseError.invalidArgument("\(path): zarr version \(zarrVersion) is not 2 or 3")
            }
            guard format != .n5 || order == .c else { throw PixelwiseError.invalidArgument("\(path): N5 blocks have one element order") }
            let codec = codec ?? (format == .n5 ? .gzip(level: 6) : .blosc(.init()))
            try codec.validate()
            if format == .zarr3, case .zlib = codec { throw PixelwiseError.invalidArgument("\(path): zarr v3 has no zlib codec; use gzip") }
            let array = try ChunkedArray(
                path: folder, format: format, shape: shape, chunkShape: chunkShape,
                dataType: format == .n5 ? (dataType ?? ChunkDataType(geometry.sampleType)).with(bigEndian: true)
                    : dataType ?? ChunkDataType(geometry.sampleType),
                codec: codec, order: order == .f ? Array((0..<shape.count).reversed()) : nil,
                fillValue: format == .n5 ? 0 : fillValue, spacing: geometry.spacing,
                separator: format == .zarr2 ? "." : "/", keyPrefix: format == .zarr3 ? "c" : nil, partialChunks: partialChunks)
            if let existing = try openArray(folder) {
                guard existing.format == array.format, existing.shape == array.shape, existing.chunkShape == array.chunkShape,
                      existing.dataType == array.dataType, existing.codec == array.codec, existing.order == array.order else {
                    throw PixelwiseError.file(path: folder, problem: "an array with other metadata is already there (\(describe(existing))); remove it or write elsewhere")
                }
                return try existing.writing(partialChunks: partialChunks)
            }
            try makeFolders(folder)
            try writeGroups(from: root, to: folder, format: format)
            if format == .n5 { try N5Store.writeMetadata(array) } else { try ZarrStore.writeMetadata(array) }
            return array
        }
    }

    /// The deflate level an HDF5 dataset gets for `codec`: gzip/zlib keep theirs, raw is 0.
    static func deflateLevel(_ codec: ChunkCodec) throws -> Int {
        switch codec {
        case .raw: return 0
        case .gzip(let level), .zlib(let level): return level < 0 ? 6 : level
        default: throw PixelwiseError.invalidArgument("HDF5 datasets are written with deflate (gzip) or raw, not \(codec)")
        }
    }

    /// Group metadata for the store's root and every folder between it and the array.
    static func writeGroups(from root: String, to folder: String, format: ChunkedFormat) throws {
        var current = root
        let inner = folder.dropFirst(root.count).split(separator: "/")
        for component in [""] + inner.dropLast().map(String.init) {
            if !component.isEmpty { current += "/" + component }
            if format == .n5 {
                if current == root { try N5Store.writeRoot(current) }
            } else {
                try ZarrStore.writeGroup(current, version: format)
            }
        }
    }

    /// `mkdir -p`, safe when other processes create the same folders at the same time.
    static func makeFolders(_ folder: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue { return }
        var prefix = folder.hasPrefix("/") ? "" : "."
        for component in folder.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o777) != 0, errno != EEXIST {
                throw PixelwiseError.file(path: prefix, problem: "cannot create the folder (\(String(cString: strerror(errno))))")
            }
        }
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw PixelwiseError.file(path: folder, problem: "cannot create the folder: a file is in the way")
        }
    }

    /// One line for `pixelwise inspect`: format, shape, chunks, type, codec, order, fill value.
    public static func describe(_ reader: any VolumeReading) -> String {
        if let array = reader as? ChunkedArray { return describe(array) }
        if let hdf5 = reader as? HDF5ChunkedVolume { return hdf5.summary }
        return "\(reader.geometry.channels) channel(s), size \(Shape(reader.geometry.size))"
    }

    static func describe(_ array: ChunkedArray) -> String {
        let identity = array.order == Array(0..<array.shape.count)
        let orderText = identity ? "C order" : array.order == Array((0..<array.shape.count).reversed()) ? "F order" : "axis order \(array.order)"
        let spacing = array.geometry.spacing == [1, 1, 1] ? "" : ", spacing " + array.geometry.spacing.map(number).joined(separator: " × ")
        return "\(array.format.rawValue) array \(Shape(array.shape)), chunks \(Shape(array.chunkShape)) (\(array.chunkCounts.reduce(1, *)) of them), "
            + "\(array.dataType), \(array.codec), \(orderText), fill value \(array.fillValue.isNaN ? "NaN" : number(Double(array.fillValue)))\(spacing)"
    }

    /// One line for `pixelwise inspect` about a zarr/N5 array or store folder, nil when `path` is
    /// neither (HDF5 files and images are described elsewhere): an array's format, shape, chunks,
    /// type, codec, order and fill value; a store or group's arrays, to name as STORE/PATH.
    public static func inspectDescription(path: String) throws -> String? {
        guard case let .folder(folder, root, _) = location(path) else { return nil }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            if root != nil { throw PixelwiseError.file(path: folder, problem: "no such array or group") }
            return nil
        }
        if let array = try openArray(folder) { return "\(path): \(describe(array))" }
        let marked = [".zgroup", "zarr.json", "attributes.json"].contains { FileManager.default.fileExists(atPath: folder + "/" + $0) }
        guard root != nil || marked else { return nil }
        let listed = try arrays(under: folder).map { name -> String in
            let array = try openArray(folder + "/" + name)!
            return "\(name) \(Shape(array.shape)) \(array.dataType.kind.rawValue)"
        }
        return "\(path): chunked store or group, \(listed.count) array\(listed.count == 1 ? "" : "s")"
            + (listed.isEmpty ? "" : ": " + listed.joined(separator: ", ") + "; name one as \(path)/PATH")
    }

    /// For `FILE.h5:/PATH`, how the dataset is stored, for `pixelwise inspect` to add to its line:
    /// "chunks [2,64,64], deflate level 4, spacing 40 × 4 × 4" or "contiguous"; nil for other paths.
    public static func hdf5Layout(path: String) throws -> String? {
        guard case let .hdf5(file, dataset) = location(path) else { return nil }
        let volume = try HDF5ChunkedVolume(reading: file, dataset: dataset)
        let spacing = volume.geometry.spacing == [1, 1, 1] ? [] : ["spacing " + volume.geometry.spacing.map(number).joined(separator: " × ")]
        return ([volume.chunkShape.map { "chunks \(Shape($0))" } ?? "contiguous"] + volume.filters + spacing).joined(separator: ", ")
    }

    /// A number as inspect prints it: integers without ".0".
    static func number(_ value: Double) -> String { value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)" }

    /// The arrays below `folder` (paths relative to it, sorted), without looking inside arrays
    /// (their chunks); at most 16 levels deep.
    public static func arrays(under folder: String) throws -> [String] {
        var found: [String] = []
        func walk(_ relative: String, depth: Int) throws {
            guard depth < 16 else { return }
            let here = relative.isEmpty ? folder : folder + "/" + relative
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: here)) ?? []).sorted() where !name.hasPrefix(".") {
                let child = relative.isEmpty ? name : relative + "/" + name
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: folder + "/" + child, isDirectory: &isFolder), isFolder.boolValue else { continue }
                if try openArray(folder + "/" + child) != nil { found.append(child) } else { try walk(child, depth: depth + 1) }
            }
        }
        try walk("", depth: 0)
        return found
    }
}

extension ChunkDataType {
    func with(bigEndian: Bool) -> ChunkDataType { ChunkDataType(kind, bigEndian: bigEndian) }
}
