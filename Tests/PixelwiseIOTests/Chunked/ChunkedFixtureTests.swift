import Foundation
import PixelwiseCore
import Testing
@testable import PixelwiseIO

/// Stores written by other tools: zarr v2 and v3 arrays by zarr-python 3, N5 datasets by
/// zarr-python 2's N5Store (Fixtures/chunked/PROVENANCE.md). Each array's values as zarr-python
/// reads them back are in expected-*.json; Pixelwise must read the same, whole and in a box.
@Suite struct ChunkedFixtureTests {
    struct Entry {
        var format: ChunkedFormat
        var path: String
        var shape: [Int]
        var values: [Float]
    }

    static func entries(_ list: String) throws -> [Entry] {
        let folder = try #require(Bundle.module.path(forResource: "chunked", ofType: nil, inDirectory: "Fixtures"))
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + list))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        return try json.map { entry in
            let name = try #require(entry["path"] as? String)
            let formatName = try #require(entry["format"] as? String)
            let format = try #require(ChunkedFormat(rawValue: formatName))
            let store = ["zarr v2": "zarr-python.zarr", "zarr v3": "zarr-python-v3.zarr", "N5": "zarr-python.n5"][format.rawValue]!
            let listed = try #require(entry["values"] as? [Any])
            let values = try listed.map { value -> Float in
                if let text = value as? String, text == "NaN" { return .nan }
                return try #require(value as? NSNumber).floatValue
            }
            return Entry(format: format, path: folder + "/" + store + "/" + name, shape: try #require(JSONFile.ints(entry["shape"])), values: values)
        }
    }

    static func same(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }

    static func check(_ entry: Entry) throws {
        let reader = try #require(try ChunkedStores.open(entry.path))
        let array = try #require(reader as? ChunkedArray)
        #expect(array.format == entry.format)
        #expect(array.shape == entry.shape)
        let padded = Array(repeating: 1, count: 4 - entry.shape.count) + entry.shape
        #expect(reader.geometry.channels == padded[0] && reader.geometry.size == Array(padded.suffix(3)))
        let whole = try reader.read(VoxelBox(size: reader.geometry.size))
        #expect(same(whole, entry.values), "\(entry.path)")
        // A box across chunk borders, against the same values cut by index.
        let size = reader.geometry.size
        let box = VoxelBox(origin: [size[0] > 1 ? 1 : 0, 1, 2], size: [size[0] > 1 ? 2 : 1, 3, 3])
        var expected: [Float] = []
        for c in 0..<padded[0] {
            for z in box.origin[0]..<box.end[0] {
                for y in box.origin[1]..<box.end[1] {
                    for x in box.origin[2]..<box.end[2] { expected.append(entry.values[((c * size[0] + z) * size[1] + y) * size[2] + x]) }
                }
            }
        }
        #expect(same(try reader.read(box), expected), "\(entry.path) \(box)")
    }

    @Test func readsEveryZarrArrayWrittenByZarrPython() throws {
        let entries = try Self.entries("expected-zarr.json")
        #expect(entries.count >= 20)
        for entry in entries { try Self.check(entry) }
    }

    @Test func readsEveryN5DatasetWrittenByZarrPython() throws {
        let entries = try Self.entries("expected-n5.json")
        #expect(entries.count >= 7)
        for entry in entries { try Self.check(entry) }
    }

    @Test func theFixturesCodecsAreParsedAsWritten() throws {
        let folder = try #require(Bundle.module.path(forResource: "chunked", ofType: nil, inDirectory: "Fixtures"))
        let v2 = try #require(try ChunkedStores.openArray(folder + "/zarr-python.zarr/v2_blosc_zstd_bitshuffle_f4_F"))
        #expect(v2.codec == .blosc(.init(compressor: "zstd", level: 3, shuffle: .bit)))
        #expect(v2.order == [2, 1, 0] && v2.separator == "/")
        let v3 = try #require(try ChunkedStores.openArray(folder + "/zarr-python-v3.zarr/v3_transpose_bigendian_gzip_i2"))
        #expect(v3.codec == .gzip(level: 5) && v3.dataType == ChunkDataType(.int16, bigEndian: true) && v3.order == [2, 1, 0])
        let n5 = try #require(try ChunkedStores.openArray(folder + "/zarr-python.n5/n5_zlib_u2"))
        #expect(n5.codec == .zlib(level: 5) && n5.shape == [3, 5, 6] && n5.chunkShape == [2, 3, 4])
    }
}
