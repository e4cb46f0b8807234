import Foundation
import PixelwiseIO
import Testing
import PixelwiseTestSupport

/// `pixelwise inspect` on zarr and N5 stores: an array's shape, chunks, type and codec; a store's arrays.
@Suite struct InspectCommandTests {
    @Test func describesArraysAndListsAStoresArrays() throws {
        let scratch = try ScratchFolder()
        let geometry = VolumeGeometry(channels: 1, size: [4,6,8], spacing: [40, 4, 4], sampleType: .uint8)
        _ = try ChunkedStores.create(path: scratch.file("data.zarr/volumes/raw"), geometry: geometry, chunkSize: [2,4,4])
        _ = try ChunkedStores.create(path: scratch.file("data.zarr/volumes/labels"), geometry: geometry, chunkSize: [4,6,8],
                                     codec: .zstd(level: 3), dataType: ChunkDataType(.uint32), zarrVersion: 2)
        _ = try ChunkedStores.create(path: scratch.file("pred.n5/membranes"), geometry: geometry, chunkSize: [4,4,4])
        let result = try CLI.run(["inspect", "data.zarr/volumes/raw", "data.zarr", "pred.n5/membranes"], in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        #expect(result.stdout.split(separator: "\n") == [
            "data.zarr/volumes/raw: zarr v2 array [4,6,8], chunks [2,4,4] (8 of them), uint8, blosc lz4 level 5, byte shuffle, C order, fill value 0, spacing 40 × 4 × 4",
            "data.zarr: chunked store or group, 2 arrays: volumes/labels [4,6,8] uint32, volumes/raw [4,6,8] uint8; name one as data.zarr/PATH",
            "pred.n5/membranes: N5 array [4,6,8], chunks [4,4,4] (4 of them), uint8, gzip level 6, C order, fill value 0, spacing 40 × 4 × 4",
        ], "\(result.transcript)")
        // An HDF5 dataset: the stack line, then how it is stored.
        let h5 = try ChunkedStores.create(path: scratch.file("v.h5:/raw"), geometry: geometry, chunkSize: [2, 6, 8], codec: .gzip(level: 4))
        try h5.write((0..<192).map { Float($0 % 200) }, at: VoxelBox(size: [4, 6, 8]))
        try h5.finish()
        let hdf5 = try CLI.run(["inspect", "v.h5:/raw"], in: scratch.path)
        #expect(hdf5.stdout == "v.h5:/raw: HDF5 8×6, 4 pages, 1 channel, uint8, min 0 max 191; chunks [2,6,8], deflate level 4, spacing 40 × 4 × 4\n",
                "\(hdf5.transcript)")
        let missing = try CLI.run(["inspect", "data.zarr/volumes/nothing"], in: scratch.path)
        #expect(missing.status == 1)
        #expect(missing.stderrLines == ["pixelwise: error: data.zarr/volumes/nothing: no such array or group"])
    }
}
