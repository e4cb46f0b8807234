import Foundation
import PixelwiseCore
import Testing
@testable import PixelwiseIO
import PixelwiseTestSupport

/// zarr v2/v3 and N5 arrays and chunked HDF5 datasets: round trips for every codec, order and
/// data type against a plain reference (a whole volume in memory, boxes cut from it by index),
/// edge chunks, missing chunks, partial-chunk writes, damaged chunks and concurrent writers.
@Suite struct ChunkedStoreTests {
    /// A deterministic volume whose values each data type stores exactly.
    static func volume(channels: Int, size: [Int], type: ChunkDataType.Kind) -> [Float] {
        (0..<channels * size.reduce(1, *)).map { i -> Float in
            switch type {
            case .uint8: Float((i * 37) % 256)
            case .int8: Float((i * 37) % 256 - 128)
            case .uint16: Float((i * 2999) % 65536)
            case .int16: Float((i * 2999) % 65536 - 32768)
            case .uint32, .uint64: Float((i * 123_457) % 16_777_216)
            case .int32, .int64: Float((i * 123_457) % 16_777_216 - 8_000_000)
            case .float32: Float(i) * 0.37 - 3.125
            case .float64: Float(i) * -1.5e-3 + 17
            }
        }
    }

    /// The reference: the values of `box` cut by index from a whole channel-major volume.
    static func cut(_ whole: [Float], channels: Int, size: [Int], box: VoxelBox) -> [Float] {
        var out: [Float] = []
        for c in 0..<channels {
            for z in box.origin[0]..<box.end[0] {
                for y in box.origin[1]..<box.end[1] {
                    for x in box.origin[2]..<box.end[2] { out.append(whole[((c * size[0] + z) * size[1] + y) * size[2] + x]) }
                }
            }
        }
        return out
    }

    /// Writes a whole volume chunk-aligned box by box, reopens it from its path and checks the
    /// whole volume and an unaligned inner box against the reference.
    static func roundTrip(_ path: String, channels: Int = 1, size: [Int] = [5, 7, 9], chunk: [Int] = [2, 3, 4],
                          type: ChunkDataType.Kind, codec: ChunkCodec?, order: ChunkedStores.ChunkOrder = .c,
                          zarrVersion: Int = 2, bigEndian: Bool = false) throws {
        let geometry = VolumeGeometry(channels: channels, size: size, spacing: [40, 4, 4], sampleType: .float32)
        let writer = try ChunkedStores.create(path: path, geometry: geometry, chunkSize: chunk, codec: codec,
                                              dataType: ChunkDataType(type, bigEndian: bigEndian), order: order, zarrVersion: zarrVersion)
        let whole = volume(channels: channels, size: size, type: type)
        // Boxes of two chunks along z (aligned with the grid, edge chunks cut by the volume).
        for z in stride(from: 0, to: size[0], by: chunk[0] * 2) {
            for y in stride(from: 0, to: size[1], by: chunk[1]) {
                for x in stride(from: 0, to: size[2], by: chunk[2]) {
                    let box = VoxelBox(origin: [z, y, x], size: [min(chunk[0] * 2, size[0] - z), min(chunk[1], size[1] - y), min(chunk[2], size[2] - x)])
                    try writer.write(cut(whole, channels: channels, size: size, box: box), at: box)
                }
            }
        }
        try writer.finish()
        let reader = try #require(try ChunkedStores.open(path))
        #expect(reader.geometry.channels == channels)
        #expect(reader.geometry.size == size)
        #expect(reader.geometry.spacing == [40, 4, 4])
        #expect(reader.geometry.sampleType == ChunkDataType(type).sampleType)
        #expect(try reader.read(VoxelBox(size: size)) == whole)
        let inner = VoxelBox(origin: [1, 2, 3], size: [3, 4, 5])
        #expect(try reader.read(inner) == cut(whole, channels: channels, size: size, box: inner))
    }

    static let codecs: [ChunkCodec] = [
        .raw, .zlib(level: 1), .gzip(level: 9), .zstd(level: 3), .zstd(level: 1, checksum: true),
    ] + ChunkCodec.Blosc.compressors.flatMap { name in
        ChunkCodec.Blosc.Shuffle.allCases.map { ChunkCodec.blosc(.init(compressor: name, level: 5, shuffle: $0)) }
    }

    @Test(arguments: codecs + [.blosc(.init(compressor: "snappy"))])
    func zarrV2RoundTripsEveryCodec(codec: ChunkCodec) throws {
        let scratch = try ScratchFolder()
        try Self.roundTrip(scratch.file("a.zarr/raw"), type: .uint16, codec: codec)
        #expect(try ChunkedStores.openArray(scratch.file("a.zarr/raw"))?.codec == codec)
        #expect(scratch.exists("a.zarr/.zgroup"))
    }

    @Test(arguments: codecs.filter { if case .zlib = $0 { false } else { true } })
    func zarrV3RoundTripsEveryCodec(codec: ChunkCodec) throws {
        let scratch = try ScratchFolder()
        try Self.roundTrip(scratch.file("a.zarr/g/raw"), type: .float32, codec: codec, zarrVersion: 3)
        let array = try #require(try ChunkedStores.openArray(scratch.file("a.zarr/g/raw")))
        #expect(array.codec == codec)
        #expect(array.format == .zarr3)
        #expect(scratch.exists("a.zarr/g/raw/c/0/0/0"))
        #expect(scratch.exists("a.zarr/zarr.json") && scratch.exists("a.zarr/g/zarr.json"))
    }

    @Test(arguments: ChunkDataType.Kind.allCases, [false, true])
    func everyDataTypeAndByteOrderRoundTripsInBothZarrVersions(type: ChunkDataType.Kind, bigEndian: Bool) throws {
        let scratch = try ScratchFolder()
        for version in [2, 3] {
            let path = scratch.file("v\(version).zarr/x")
            try Self.roundTrip(path, type: type, codec: .zstd(level: 1), zarrVersion: version, bigEndian: bigEndian)
            let array = try #require(try ChunkedStores.openArray(path))
            #expect(array.dataType == ChunkDataType(type, bigEndian: bigEndian))
        }
    }

    @Test(arguments: [ChunkedStores.ChunkOrder.c, .f], [2, 3])
    func cAndFOrderRoundTripWithChannels(order: ChunkedStores.ChunkOrder, version: Int) throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("o.zarr")
        try Self.roundTrip(path, channels: 3, type: .int16, codec: .blosc(.init()), order: order, zarrVersion: version)
        let array = try #require(try ChunkedStores.openArray(path))
        #expect(array.shape == [3, 5, 7, 9])
        #expect(array.order == (order == .c ? [0, 1, 2, 3] : [3, 2, 1, 0]))
    }

    /// F order really is Fortran order: a raw chunk's bytes, x slowest … here the first axis fastest.
    @Test func fOrderChunkBytesAreFortranOrder() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("f.zarr")
        let writer = try ChunkedStores.create(path: path, geometry: VolumeGeometry(channels: 1, size: [2, 2, 3], sampleType: .uint8),
                                              chunkSize: [2, 2, 3], codec: .raw, order: .f)
        try writer.write((0..<12).map(Float.init), at: VoxelBox(size: [2, 2, 3]))
        // C index (z, y, x) = 6z + 3y + x; Fortran order runs z fastest, then y, then x.
        var expected: [UInt8] = []
        for x in 0..<3 { for y in 0..<2 { for z in 0..<2 { expected.append(UInt8(6 * z + 3 * y + x)) } } }
        #expect(try bytes(of: path + "/0.0.0") == expected)
    }

    @Test(arguments: [ChunkCodec.raw, .gzip(level: 6), .zlib(level: 6), .zstd(level: 3), .blosc(.init(compressor: "zstd", shuffle: .bit))],
          [ChunkDataType.Kind.uint8, .int16, .float32, .uint64])
    func n5RoundTripsWithCutOffEdgeBlocks(codec: ChunkCodec, type: ChunkDataType.Kind) throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("a.n5/volumes/raw")
        try Self.roundTrip(path, type: type, codec: codec)
        let array = try #require(try ChunkedStores.openArray(path))
        #expect(array.format == .n5)
        #expect(array.dataType.bigEndian == (array.dataType.size > 1))
        // N5 lists dimensions x first; the edge block (x 8..<9, y 6..<7, z 4..<5) is cut off: header dims 1, 1, 1.
        let meta = try JSONFile.object(path + "/attributes.json")
        #expect(JSONFile.ints(meta["dimensions"]) == [9, 7, 5])
        #expect(JSONFile.ints(meta["blockSize"]) == [4, 3, 2])
        let edge = try bytes(of: path + "/2/2/2")
        #expect(Array(edge.prefix(16)) == [0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(scratch.exists("a.n5/attributes.json"))
    }

    @Test func twoDimensionalArraysAreOneSliceVolumes() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("img.zarr")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try JSONFile.write(["zarr_format": 2, "shape": [3, 4], "chunks": [2, 2], "dtype": "|u1", "compressor": NSNull(),
                            "fill_value": 7, "filters": NSNull(), "order": "C"], to: path + "/.zarray")
        try write([1, 2, 5, 6], to: path + "/0.0")
        let reader = try #require(try ChunkedStores.open(path))
        #expect(reader.geometry.size == [1, 3, 4] && reader.geometry.channels == 1)
        // Chunk 0.0 is there; the others are missing and read as the fill value 7.
        #expect(try reader.read(VoxelBox(size: [1, 3, 4])) == [1, 2, 7, 7, 5, 6, 7, 7, 7, 7, 7, 7])
    }

    @Test func missingChunksReadAsTheFillValueInEveryFormat() throws {
        let scratch = try ScratchFolder()
        let geometry = VolumeGeometry(channels: 1, size: [4, 4, 4], sampleType: .float32)
        for (path, version) in [("m.zarr/a", 2), ("m3.zarr/a", 3)] {
            let writer = try ChunkedStores.create(path: scratch.file(path), geometry: geometry, chunkSize: [2, 2, 2],
                                                  zarrVersion: version, fillValue: .nan)
            try writer.write([Float](repeating: 1, count: 8), at: VoxelBox(origin: [2, 2, 2], size: [2, 2, 2]))
            let values = try #require(try ChunkedStores.open(scratch.file(path))).read(VoxelBox(origin: [1, 1, 1], size: [2, 2, 2]))
            #expect(values.prefix(7).allSatisfy(\.isNaN) && values[7] == 1)
        }
        let n5 = try ChunkedStores.create(path: scratch.file("m.n5/a"), geometry: geometry, chunkSize: [2, 2, 2])
        try n5.write([Float](repeating: 1, count: 8), at: VoxelBox(origin: [2, 2, 2], size: [2, 2, 2]))
        #expect(try #require(try ChunkedStores.open(scratch.file("m.n5/a"))).read(VoxelBox(origin: [1, 1, 1], size: [2, 2, 2]))
            == [0, 0, 0, 0, 0, 0, 0, 1])
    }

    @Test func partialChunkWritesAreRefusedUnlessReadModifyWriteIsAsked() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("p.zarr/a")
        let geometry = VolumeGeometry(channels: 1, size: [4, 4, 4], sampleType: .uint8)
        let writer = try ChunkedStores.create(path: path, geometry: geometry, chunkSize: [2, 2, 2])
        // Covers chunk 0.0.0 whole and part of 0.0.1: refused before anything is written.
        let problem = expectFileError(path) {
            try writer.write([Float](repeating: 3, count: 2 * 2 * 3), at: VoxelBox(origin: [0, 0, 0], size: [2, 2, 3]))
        }
        #expect(problem.contains("chunk 0.0.1"))
        #expect(try scratch.contents("p.zarr/a") == [".zarray", ".zattrs"])
        let patcher = try ChunkedStores.create(path: path, geometry: geometry, chunkSize: [2, 2, 2], partialChunks: .readModifyWrite)
        try patcher.write([Float](repeating: 3, count: 12), at: VoxelBox(origin: [0, 0, 0], size: [2, 2, 3]))
        try patcher.write([Float](repeating: 9, count: 1), at: VoxelBox(origin: [1, 1, 1], size: [1, 1, 1]))
        let back = try #require(try ChunkedStores.open(path)).read(VoxelBox(size: [4, 4, 4]))
        var expected = [Float](repeating: 0, count: 64)
        for z in 0..<2 { for y in 0..<2 { for x in 0..<3 { expected[z * 16 + y * 4 + x] = 3 } } }
        expected[16 + 4 + 1] = 9
        #expect(back == expected)
    }

    @Test func anArrayAlreadyThereIsContinuedWhenItMatchesAndRefusedWhenNot() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("r.zarr/a")
        let geometry = VolumeGeometry(channels: 1, size: [2, 2, 4], sampleType: .uint8)
        try ChunkedStores.create(path: path, geometry: geometry, chunkSize: [2, 2, 2]).write([1, 2, 3, 4, 5, 6, 7, 8], at: VoxelBox(origin: [0, 0, 0], size: [2, 2, 2]))
        try ChunkedStores.create(path: path, geometry: geometry, chunkSize: [2, 2, 2]).write([9, 9, 9, 9, 9, 9, 9, 9], at: VoxelBox(origin: [0, 0, 2], size: [2, 2, 2]))
        #expect(try #require(try ChunkedStores.open(path)).read(VoxelBox(size: [2, 2, 4])) == [1, 2, 9, 9, 3, 4, 9, 9, 5, 6, 9, 9, 7, 8, 9, 9])
        let problem = expectFileError(path) { _ = try ChunkedStores.create(path: path, geometry: geometry, chunkSize: [1, 2, 2]) }
        #expect(problem.contains("other metadata"))
        // Damaged metadata is an error, never overwritten.
        try write(Array("{damaged".utf8), to: path + "/.zarray")
        expectFileError(path + "/.zarray") { _ = try ChunkedStores.create(path: path, geometry: geometry, chunkSize: [2, 2, 2]) }
        #expect(try bytes(of: path + "/.zarray") == Array("{damaged".utf8))
    }

    /// A damaged or truncated chunk is one line naming the chunk's file, in every codec and format.
    @Test(arguments: [("d.zarr/a", ChunkCodec.blosc(.init())), ("d.zarr/a", .zstd(level: 3)), ("d.zarr/a", .gzip(level: 5)),
                      ("d.zarr/a", .raw), ("d.n5/a", .gzip(level: 5)), ("d.n5/a", .raw)])
    func aCorruptChunkIsOneLineNamingIt(path: String, codec: ChunkCodec) throws {
        let scratch = try ScratchFolder()
        let array = scratch.file(path)
        let geometry = VolumeGeometry(channels: 1, size: [4, 4, 4], sampleType: .float32)
        let writer = try ChunkedStores.create(path: array, geometry: geometry, chunkSize: [2, 2, 2], codec: codec)
        try writer.write(Self.volume(channels: 1, size: [4, 4, 4], type: .float32), at: VoxelBox(size: [4, 4, 4]))
        let reader = try #require(try ChunkedStores.open(array) as? ChunkedArray)
        let chunk = reader.chunkPath([1, 0, 1])
        let good = try bytes(of: chunk)
        try write(Array(good.prefix(good.count / 2)), to: chunk)
        let problem = expectFileError(chunk) { _ = try reader.read(VoxelBox(size: [4, 4, 4])) }
        #expect(!problem.contains("\n"))
        #expect(problem.contains("damaged"))
        // Boxes that do not meet the chunk still read.
        #expect(try reader.read(VoxelBox(origin: [0, 0, 0], size: [2, 4, 2])).count == 16)
        if codec != .raw {
            var flipped = good
            for i in stride(from: flipped.count / 3, to: flipped.count, by: 7) { flipped[i] ^= 0x5A }
            try write(flipped, to: chunk)
            do {
                _ = try reader.read(VoxelBox(size: [4, 4, 4]))
                // Some damage still decompresses (blosc and deflate without checksums): then the
                // values differ, but never silently in size.
            } catch let PixelwiseError.file(errorPath, _) {
                #expect(errorPath == chunk)
            }
        }
    }

    /// numcodecs' AUTOSHUFFLE (-1) is byte shuffle for what Pixelwise describes and rewrites;
    /// the data decode either way (blosc's own header says how it was shuffled).
    @Test func automaticShuffleReadsAsByteShuffle() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("s.zarr")
        let writer = try ChunkedStores.create(path: path, geometry: VolumeGeometry(channels: 1, size: [2, 2, 2], sampleType: .uint16),
                                              chunkSize: [2, 2, 2], codec: .blosc(.init(shuffle: .bit)))
        try writer.write((0..<8).map { Float($0 * 300) }, at: VoxelBox(size: [2, 2, 2]))
        var meta = try JSONFile.object(path + "/.zarray")
        var compressor = try #require(meta["compressor"] as? [String: Any])
        compressor["shuffle"] = -1
        meta["compressor"] = compressor
        try JSONFile.write(meta, to: path + "/.zarray")
        let array = try #require(try ChunkedStores.openArray(path))
        #expect(array.codec == .blosc(.init(shuffle: .byte)))
        #expect(try array.read(VoxelBox(size: [2, 2, 2])) == (0..<8).map { Float($0 * 300) })
        #expect(throws: PixelwiseError.self) {
            _ = try ChunkedStores.create(path: path, geometry: array.geometry, chunkSize: [2, 2, 2], codec: .blosc(.init(compressor: "lzma")))
        }
    }

    @Test func metadataProblemsAreOneLineErrorsNamingTheFile() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("bad.zarr")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try JSONFile.write(["zarr_format": 2, "shape": [3, 4], "chunks": [2, 2], "dtype": "<c8", "compressor": NSNull(),
                            "fill_value": 0, "filters": NSNull(), "order": "C"], to: path + "/.zarray")
        #expect(expectFileError(path + "/.zarray") { _ = try ChunkedStores.open(path) }.contains("<c8"))
        try JSONFile.write(["zarr_format": 2, "shape": [3, 4], "chunks": [2, 2], "dtype": "|u1", "compressor": ["id": "lzma"],
                            "fill_value": 0, "filters": NSNull(), "order": "C"], to: path + "/.zarray")
        #expect(expectFileError(path + "/.zarray") { _ = try ChunkedStores.open(path) }.contains("lzma"))
        try write(Array("{not json".utf8), to: path + "/.zarray")
        expectFileError(path + "/.zarray") { _ = try ChunkedStores.open(path) }
    }

    @Test func pathsSayWhatTheyAre() throws {
        let scratch = try ScratchFolder()
        #expect(try ChunkedStores.open(scratch.file("image.png")) == nil)
        #expect(try ChunkedStores.open(scratch.path) == nil)
        expectFileError(scratch.file("none.zarr/raw")) { _ = try ChunkedStores.open(scratch.file("none.zarr/raw")) }
        let geometry = VolumeGeometry(channels: 1, size: [2, 2, 2], sampleType: .uint8)
        _ = try ChunkedStores.create(path: scratch.file("s.zarr/volumes/raw"), geometry: geometry, chunkSize: [2, 2, 2])
        _ = try ChunkedStores.create(path: scratch.file("s.zarr/volumes/labels/"), geometry: geometry, chunkSize: [2, 2, 2])
        let problem = expectFileError(scratch.file("s.zarr/volumes")) { _ = try ChunkedStores.open(scratch.file("s.zarr/volumes")) }
        #expect(problem.contains("group") && problem.contains("labels, raw"))
        #expect(ChunkedStores.location("data/x.h5:/volumes/raw") == .hdf5(file: "data/x.h5", dataset: "/volumes/raw"))
        #expect(ChunkedStores.location("a/b.zarr/c/") == .folder(path: "a/b.zarr/c", root: "a/b.zarr", format: nil))
        #expect(ChunkedStores.location("b.n5/c") == .folder(path: "b.n5/c", root: "b.n5", format: .n5))
        #expect(throws: PixelwiseError.self) {
            _ = try ChunkedStores.create(path: scratch.file("plain/a"), geometry: geometry, chunkSize: [2, 2, 2])
        }
    }

    /// Four threads each write their own chunks of one array at once: every chunk arrives whole,
    /// and no temporary file is left.
    @Test func concurrentWritersOnDifferentChunksDoNotInterfere() throws {
        let scratch = try ScratchFolder()
        for path in ["c.zarr/a", "c.n5/a"] {
            let size = [4, 8, 8]
            let geometry = VolumeGeometry(channels: 2, size: size, sampleType: .float32)
            _ = try ChunkedStores.create(path: scratch.file(path), geometry: geometry, chunkSize: [2, 4, 4], codec: .zstd(level: 1))
            let whole = Self.volume(channels: 2, size: size, type: .float32)
            let boxes = (0..<8).map { i in VoxelBox(origin: [(i / 4) * 2, ((i / 2) % 2) * 4, (i % 2) * 4], size: [2, 4, 4]) }
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                do {
                    // Each worker has its own writer object, as separate processes would.
                    let writer = try ChunkedStores.create(path: scratch.file(path), geometry: geometry, chunkSize: [2, 4, 4],
                                                          codec: .zstd(level: 1))
                    for box in boxes[(worker * 2)..<(worker * 2 + 2)] {
                        try writer.write(Self.cut(whole, channels: 2, size: size, box: box), at: box)
                    }
                } catch { failures.add("\(error)") }
            }
            #expect(failures.all.isEmpty)
            #expect(try #require(try ChunkedStores.open(scratch.file(path))).read(VoxelBox(size: size)) == whole)
            let leftovers = FileManager.default.enumerator(atPath: scratch.file(path))?.compactMap { $0 as? String }.filter { $0.hasSuffix(".tmp") }
            #expect(leftovers == [])
        }
    }

    /// `VolumeSources.open`, which training and segmentation use, opens zarr and N5 arrays; a
    /// plain folder of images stays a folder of slices.
    @Test func volumeSourcesOpensStorePaths() throws {
        let scratch = try ScratchFolder()
        let geometry = VolumeGeometry(channels: 1, size: [2, 3, 4], spacing: [40, 4, 4], sampleType: .uint8)
        let whole = (0..<24).map(Float.init)
        for path in ["v.zarr/raw", "v.n5/raw"] {
            let writer = try ChunkedStores.create(path: scratch.file(path), geometry: geometry, chunkSize: [1, 3, 4])
            try writer.write(whole, at: VoxelBox(size: [2, 3, 4]))
            let volume = try VolumeSources.open(scratch.file(path))
            #expect(volume is ChunkedArray)
            #expect(volume.geometry == geometry)
            #expect(try volume.read(VoxelBox(size: [2, 3, 4])) == whole)
            #expect(try VolumeSources.open(scratch.file(path), spacing: [1, 2, 3]).geometry.spacing == [1, 2, 3])
        }
        // A store's folder opened directly (no .zarr in the name) is still an array.
        try FileManager.default.moveItem(atPath: scratch.file("v.zarr"), toPath: scratch.file("plain"))
        #expect(try VolumeSources.open(scratch.file("plain/raw")) is ChunkedArray)
        #expect(ChunkedStores.isStorePath(scratch.file("plain/raw")) && !ChunkedStores.isStorePath(scratch.file("plain")))
        #expect(!ChunkedStores.isStorePath(scratch.file("a.h5:/raw")))
        expectFileError(scratch.file("v.n5/nothing")) { _ = try VolumeSources.open(scratch.file("v.n5/nothing")) }
    }

    @Test func wideIntegersBeyondFloatPrecisionAreRefused() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("ids.zarr")
        let geometry = VolumeGeometry(channels: 1, size: [1, 1, 2], sampleType: .float32)
        let writer = try ChunkedStores.create(path: path, geometry: geometry, chunkSize: [1, 1, 2], codec: .raw, dataType: ChunkDataType(.uint64))
        try writer.write([5, 7], at: VoxelBox(size: [1, 1, 2]))
        var raw = try bytes(of: path + "/0.0.0")
        raw[8 + 3] = 0x10  // second id = 7 + 2^28
        try write(raw, to: path + "/0.0.0")
        let problem = expectFileError(path + "/0.0.0") { _ = try ChunkedStores.open(path)!.read(VoxelBox(size: [1, 1, 2])) }
        #expect(problem.contains("268435463"))
    }

    @Test func writingRoundsAndClampsToTheStoredType() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("r.zarr")
        let writer = try ChunkedStores.create(path: path, geometry: VolumeGeometry(channels: 1, size: [1, 1, 5], sampleType: .uint8),
                                              chunkSize: [1, 1, 5])
        try writer.write([-3, 2.5, 3.49, 300, .nan], at: VoxelBox(size: [1, 1, 5]))
        #expect(try ChunkedStores.open(path)!.read(VoxelBox(size: [1, 1, 5])) == [0, 3, 3, 255, 0])
    }
}

/// Errors collected from concurrent workers.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.lock(); messages.append(message); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return messages }
}

/// The fuzz target's harness (`ChunkedFuzzing`, Fuzz/Sources/fuzz-chunked): valid inputs of every
/// scenario read, and damaged ones give one-line errors naming the input's path.
@Suite struct ChunkedFuzzingTests {
    @Test func everyScenarioReadsAValidInputAndNamesThePathOnGarbage() throws {
        let scratch = try ScratchFolder()
        let input = scratch.file("input.store")
        for (index, scenario) in ChunkedFuzzing.chunkScenarios.enumerated() {
            // A valid chunk (1, 2, 2) of that array, made by Pixelwise's own writer.
            let source = scratch.file("source\(index)" + (scenario.0 == .n5 ? ".n5" : ".zarr"))
            let writer = try #require(try ChunkedStores.create(path: source, geometry: VolumeGeometry(channels: 1, size: [5, 7, 9], sampleType: .float32),
                                                               chunkSize: [2, 3, 4], codec: scenario.1, dataType: scenario.2, order: scenario.3,
                                                               zarrVersion: scenario.0 == .zarr3 ? 3 : 2) as? ChunkedArray)
            try writer.write([5, 6], at: VoxelBox(origin: [2, 6, 8], size: [2, 1, 1]))
            let chunk = try bytes(of: writer.chunkPath([1, 2, 2]))
            try write([UInt8(3 + index)] + chunk, to: input)
            try ChunkedFuzzing.read(input)
            try write([UInt8(3 + index)] + chunk.prefix(chunk.count - 3) + [1, 2, 3, 4, 5], to: input)
            do { try ChunkedFuzzing.read(input) } catch let error as PixelwiseError {
                #expect(error.description.contains(input) && !error.description.contains("\n"), "\(error)")
            }
        }
        for selector in 0..<3 {
            try write([UInt8(selector)] + Array(#"{"shape": [1e300, 2], "chunks": [-1, 3], "dimensions": [3, 4], "zarr_format": 2}"#.utf8), to: input)
            do { try ChunkedFuzzing.read(input) } catch let error as PixelwiseError {
                #expect(error.description.contains(input) && !error.description.contains("\n"), "\(error)")
            }
        }
        // Shapes whose element count overflows, and chunks too large, are refused by name.
        try write([0] + Array(#"{"zarr_format": 2, "shape": [4611686018427387904, 4, 4], "chunks": [1, 4, 4], "dtype": "|u1", "compressor": null, "fill_value": 0, "order": "C"}"#.utf8), to: input)
        #expect(throws: PixelwiseError.self) { try ChunkedFuzzing.read(input) }
        try write([0] + Array(#"{"zarr_format": 2, "shape": [4096, 4096, 4096], "chunks": [4096, 4096, 4096], "dtype": "<f8", "compressor": null, "fill_value": 0, "order": "C"}"#.utf8), to: input)
        #expect(throws: PixelwiseError.file(path: input, problem: "chunks of [4096,4096,4096] float64 exceed 1024 MiB each")) { try ChunkedFuzzing.read(input) }
        #expect(FileManager.default.fileExists(atPath: input))
    }
}
