import Testing
import PixelwiseCore
@testable import PixelwiseIO
import PixelwiseTestSupport

@Suite(.serialized) struct HDF5VolumeTests {
    @Test func readsUInt8RawStack() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("sample.hdf")
        // Voxel (z, y, x) = (z * 31 + y * 7 + x) mod 256 in a [3,4,5] stack.
        let raw: [UInt8] = (0..<60).map { (i: Int) -> UInt8 in
            let z = i / 20, y = i % 20 / 5, x = i % 5
            return UInt8((z * 31 + y * 7 + x) % 256)
        }
        let file = try HDF5File(creating: path)
        try file.write(raw, shape: [3, 4, 5], at: "/volumes/raw")
        file.close()

        let volume = try HDF5Volume.read(path: path, dataset: "/volumes/raw")
        #expect(volume.shape == [3, 4, 5])
        #expect(volume.values == raw.map(Float.init))
        #expect(volume.values[2 * 20 + 3 * 5 + 4] == Float((2 * 31 + 3 * 7 + 4) % 256))
    }

    @Test func readsInt64LabelsAndRefusesInexactIds() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("labels.h5")
        let labels: [Int64] = [0, 1, 2, 16_777_216, -1, 5, 5, 1_000_000]
        let file = try HDF5File(creating: path)
        try file.write(labels, shape: [2, 2, 2], at: "/volumes/labels/neuron_ids")
        try file.write(labels.map { UInt64(bitPattern: $0) }, shape: [2, 4], at: "/big")
        try file.write([Float](repeating: 1, count: 4), shape: [4], at: "/line")
        file.close()

        let volume = try HDF5Volume.read(path: path, dataset: "volumes/labels/neuron_ids")
        #expect(volume.shape == [2, 2, 2])
        #expect(volume.values == [0, 1, 2, 16_777_216, -1, 5, 5, 1_000_000])
        // UInt64(-1) is 2^64 - 1: not representable, so an error rather than a merged label.
        #expect(throws: PixelwiseError.file(path: path, problem: "dataset /big holds the value 18446744073709551615, beyond float32's exact integers (2^24 = 16777216); relabel it to consecutive ids")) {
            try HDF5Volume.read(path: path, dataset: "/big")
        }
        #expect(throws: PixelwiseError.file(path: path, problem: "dataset /line has shape [4], expected [D,H,W] or [H,W]")) {
            try HDF5Volume.read(path: path, dataset: "/line")
        }
        #expect(throws: PixelwiseError.file(path: path, problem: "no dataset /volumes/raw")) {
            try HDF5Volume.read(path: path, dataset: "/volumes/raw")
        }
    }
}
