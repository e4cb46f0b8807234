import Foundation
import PixelwiseCore

/// What the `fuzz-chunked` target (Fuzz/) and `FuzzRegressionTests` do with one input: its
/// first byte picks a scenario, the rest is the scenario's metadata file or chunk; the input file
/// at `path` is replaced by a store folder of the same name (and put back afterwards), the array
/// opened and a small box read. Returns, or throws a `PixelwiseError` naming something in `path`.
enum ChunkedFuzzing {
    /// (format, metadata file, codec, data type, order) of the fixed arrays whose chunk the input is.
    static let chunkScenarios: [(ChunkedFormat, ChunkCodec, ChunkDataType, ChunkedStores.ChunkOrder)] = [
        (.zarr2, .blosc(.init()), ChunkDataType(.uint16), .c),
        (.zarr2, .zlib(level: 1), ChunkDataType(.float32), .f),
        (.zarr2, .zstd(level: 1), ChunkDataType(.int32, bigEndian: true), .c),
        (.zarr2, .raw, ChunkDataType(.uint8), .c),
        (.zarr3, .gzip(level: 1), ChunkDataType(.int16, bigEndian: true), .f),
        (.zarr3, .blosc(.init(compressor: "zstd", shuffle: .bit)), ChunkDataType(.float64), .c),
        (.n5, .gzip(level: 1), ChunkDataType(.uint16, bigEndian: true), .c),
        (.n5, .raw, ChunkDataType(.float32, bigEndian: true), .c),
        (.n5, .blosc(.init()), ChunkDataType(.uint64, bigEndian: true), .c),
    ]

    static func read(_ path: String) throws {
        let bytes = try FileBytes.read(path)
        let selector = Int(bytes.first ?? 0)
        let rest = Array(bytes.dropFirst())
        unlink(path)
        defer {
            try? FileManager.default.removeItem(atPath: path)
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let scenarios = 3 + chunkScenarios.count
        switch selector % scenarios {
        case 0: try FileBytes.write(rest, to: path + "/.zarray")
        case 1: try FileBytes.write(rest, to: path + "/zarr.json")
        case 2: try FileBytes.write(rest, to: path + "/attributes.json")
        default:
            let (format, codec, type, order) = chunkScenarios[selector % scenarios - 3]
            // A (5, 7, 9) array in chunks of (2, 3, 4): the input is chunk (1, 2, 2), an edge chunk.
            let geometry = VolumeGeometry(channels: 1, size: [5, 7, 9], sampleType: .float32)
            let array = try ChunkedStores.create(path: path + (format == .n5 ? "/a.n5" : "/a.zarr"), geometry: geometry, chunkSize: [2, 3, 4],
                                                 codec: codec, dataType: type, order: order, zarrVersion: format == .zarr3 ? 3 : 2)
            let chunk = try requireArrayImpl(array).chunkPath([1, 2, 2])
            if let slash = chunk.lastIndex(of: "/") { try ChunkedStores.makeFolders(String(chunk[..<slash])) }
            try FileBytes.write(rest, to: chunk)
        }
        let opened = selector % scenarios < 3 ? path : path + (chunkScenarios[selector % scenarios - 3].0 == .n5 ? "/a.n5" : "/a.zarr")
        guard let reader = try ChunkedStores.open(opened), reader.geometry.channels <= 16 else { return }
        let size = reader.geometry.size
        _ = try reader.read(VoxelBox(size: size.map { min($0, 6) }))
        if size.allSatisfy({ $0 > 2 }) { _ = try reader.read(VoxelBox(origin: size.map { $0 - 3 }, size: [3, 3, 3])) }
    }

    private static func requireArrayImpl(_ writer: any VolumeWriting) throws -> ChunkedArray {
        guard let array = writer as? ChunkedArray else { throw PixelwiseError.invalidArgument("not a chunked array") }
        return array
    }
}
