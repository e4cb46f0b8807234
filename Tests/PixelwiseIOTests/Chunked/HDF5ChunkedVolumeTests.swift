import Foundation
import PixelwiseCore
import Testing
@testable import PixelwiseIO
import PixelwiseTestSupport

/// HDF5 datasets as volumes (`FILE.h5:/PATH`): hyperslab boxes against the reference, chunked
/// deflate datasets written through a temporary file that `finish()` puts in place.
@Suite struct HDF5ChunkedVolumeTests {
    typealias Reference = ChunkedStoreTests

    @Test(arguments: [ChunkDataType.Kind.uint8, .uint16, .int16, .float32, .float64, .uint64])
    func writesAChunkedDeflateDatasetAndReadsItBackByBoxes(type: ChunkDataType.Kind) throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("out.h5") + ":/volumes/pred"
        let size = [5, 7, 9]
        let geometry = VolumeGeometry(channels: 2, size: size, sampleType: .float32)
        let writer = try ChunkedStores.create(path: path, geometry: geometry, chunkSize: [2, 4, 4], codec: .gzip(level: 4),
                                              dataType: ChunkDataType(type))
        #expect(writer.chunkSize == [2, 4, 4])
        let whole = Reference.volume(channels: 2, size: size, type: type)
        // Boxes not aligned with the chunks: HDF5 reads and rewrites the chunks they share.
        for z in 0..<size[0] {
            for y in stride(from: 0, to: size[1], by: 3) {
                let box = VoxelBox(origin: [z, y, 0], size: [1, min(3, size[1] - y), size[2]])
                try writer.write(Reference.cut(whole, channels: 2, size: size, box: box), at: box)
            }
        }
        #expect(!scratch.exists("out.h5"))  // nothing visible before finish()
        try writer.finish()
        #expect(try scratch.contents() == ["out.h5"])
        let reader = try #require(try ChunkedStores.open(path) as? HDF5ChunkedVolume)
        #expect(reader.shape == [2] + size && reader.chunkShape == [2, 2, 4, 4])
        #expect(reader.filters == ["deflate level 4"] && reader.dataType == ChunkDataType(type))
        #expect(reader.geometry.channels == 2 && reader.geometry.size == size)
        #expect(try reader.read(VoxelBox(size: size)) == whole)
        let inner = VoxelBox(origin: [1, 2, 3], size: [3, 4, 5])
        #expect(try reader.read(inner) == Reference.cut(whole, channels: 2, size: size, box: inner))
    }

    @Test func aWriterDroppedWithoutFinishLeavesNothingAndOtherDatasetsAreKept() throws {
        let scratch = try ScratchFolder()
        let file = scratch.file("data.h5")
        let existing = try HDF5File(creating: file)
        try existing.write([UInt8](repeating: 9, count: 12), shape: [1, 3, 4], at: "/raw")
        existing.close()
        let before = try bytes(of: file)
        let geometry = VolumeGeometry(channels: 1, size: [1, 3, 4], sampleType: .uint8)
        do {
            let writer = try ChunkedStores.create(path: file + ":/labels", geometry: geometry, chunkSize: [1, 2, 2])
            try writer.write([Float](repeating: 1, count: 12), at: VoxelBox(size: [1, 3, 4]))
        }
        #expect(try scratch.contents() == ["data.h5"])
        #expect(try bytes(of: file) == before)
        let writer = try ChunkedStores.create(path: file + ":/labels", geometry: geometry, chunkSize: [1, 2, 2])
        try writer.write((0..<12).map(Float.init), at: VoxelBox(size: [1, 3, 4]))
        try writer.finish()
        #expect(try ChunkedStores.open(file + ":/raw")!.read(VoxelBox(size: [1, 3, 4])) == [Float](repeating: 9, count: 12))
        #expect(try ChunkedStores.open(file + ":/labels")!.read(VoxelBox(size: [1, 3, 4])) == (0..<12).map(Float.init))
    }

    @Test func readsContiguousDatasetsAndTwoDimensionalOnes() throws {
        let scratch = try ScratchFolder()
        let file = scratch.file("plain.h5")
        let h5 = try HDF5File(creating: file)
        try h5.write((0..<60).map { UInt16($0 * 1000) }, shape: [3, 4, 5], at: "/volume")
        try h5.write((0..<20).map { Float($0) / 4 }, shape: [4, 5], at: "/image")
        h5.close()
        let volume = try #require(try ChunkedStores.open(file + ":/volume"))
        #expect(volume.geometry.sampleType == .uint16)
        #expect(try volume.read(VoxelBox(origin: [2, 3, 1], size: [1, 1, 3])) == [56000, 57000, 58000])
        let image = try #require(try ChunkedStores.open(file + ":image"))
        #expect(image.geometry.size == [1, 4, 5] && image.geometry.sampleType == .float32)
        #expect(try image.read(VoxelBox(origin: [0, 1, 1], size: [1, 1, 2])) == [1.5, 1.75])
        #expect(expectFileError(file) { _ = try ChunkedStores.open(file + ":/nothing") }.contains("/image, /volume"))
    }

    @Test func aDamagedChunkIsOneLineNamingTheFileAndDataset() throws {
        let scratch = try ScratchFolder()
        let file = scratch.file("d.h5")
        let writer = try ChunkedStores.create(path: file + ":/v", geometry: VolumeGeometry(channels: 1, size: [4, 8, 8], sampleType: .float32),
                                              chunkSize: [2, 8, 8], codec: .gzip(level: 6))
        try writer.write(Reference.volume(channels: 1, size: [4, 8, 8], type: .float32), at: VoxelBox(size: [4, 8, 8]))
        try writer.finish()
        let ranges = try HDF5File(reading: file).storageRanges(at: "/v")
        #expect(ranges.count == 2)
        var damaged = try bytes(of: file)
        for i in ranges[1].dropFirst(2) { damaged[i] = 0xFF }
        try write(damaged, to: file)
        let reader = try #require(try ChunkedStores.open(file + ":/v"))
        #expect(try reader.read(VoxelBox(origin: [0, 0, 0], size: [2, 8, 8])).count == 128)
        let problem = expectFileError(file) { _ = try reader.read(VoxelBox(origin: [1, 0, 0], size: [2, 8, 8])) }
        #expect(problem.contains("dataset /v") && !problem.contains("\n"))
    }

    @Test func wideIdsBeyondFloatPrecisionAreRefused() throws {
        let scratch = try ScratchFolder()
        let file = scratch.file("ids.h5")
        let h5 = try HDF5File(creating: file)
        try h5.write([UInt64(3), UInt64(1) << 30], shape: [1, 1, 2], at: "/ids")
        h5.close()
        let reader = try #require(try ChunkedStores.open(file + ":/ids"))
        #expect(try reader.read(VoxelBox(size: [1, 1, 1])) == [3])
        #expect(expectFileError(file) { _ = try reader.read(VoxelBox(size: [1, 1, 2])) }.contains("1073741824"))
    }
}
