import Foundation
import Testing
import PixelwiseCore
@testable import PixelwiseIO
import PixelwiseTestSupport

/// HDF5 volumes read as image stacks, slice by slice (what `pixelwise segment` and `inspect` use).
@Suite(.serialized) struct HDF5VolumeStackTests {
    /// Voxel (z, y, x) of a [4,3,5] test volume.
    static func voxel(_ z: Int, _ y: Int, _ x: Int) -> Int { (z * 37 + y * 11 + x * 3) % 251 }

    @Test func slicesOfAUInt8VolumeArePages() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("sample_A.h5")
        let values = (0..<60).map { i in UInt8(Self.voxel(i / 15, i % 15 / 5, i % 5)) }
        let file = try HDF5File(creating: path)
        try file.write(values, shape: [4, 3, 5], at: "/volumes/raw")
        try file.write(values.map { UInt16($0) * 200 }, shape: [4, 3, 5], at: "/wide")
        try file.write(values.map { Float($0) / 256 }, shape: [4, 3, 5], at: "/fractions")
        try file.write(values.prefix(15).map { Int64($0) }, shape: [3, 5], at: "/plane")
        file.close()

        let stack = try ImageStack(path: path + ":/volumes/raw")
        #expect(stack.count == 4 && stack.format == .hdf5)
        #expect(stack.name == "sample_A_volumes_raw")
        let page = try stack.page(2)
        #expect(page.width == 5 && page.height == 3 && page.channels == 1 && page.sampleType == .uint8)
        #expect(page.pixels == (0..<15).map { Float(Self.voxel(2, $0 / 5, $0 % 5)) })
        #expect(try stack.readAll().map(\.pixels) == (0..<4).map { z in (0..<15).map { Float(Self.voxel(z, $0 / 5, $0 % 5)) } })

        // The stored type decides the sample type: 16-bit stays 16-bit, fractional floats are float.
        #expect(try ImageStack(path: path + ":/wide").page(1).sampleType == .uint16)
        let fractions = try ImageStack(path: path + ":/fractions").page(3)
        #expect(fractions.sampleType == .float32)
        #expect(fractions.pixels[4] == Float(Self.voxel(3, 0, 4)) / 256)
        // A 2-D dataset is a one-page stack; integer values up to 255 in a wide type read as uint8.
        let plane = try ImageStack(path: path + ":plane")
        #expect(plane.count == 1 && plane.name == "sample_A_plane")
        #expect(try plane.page(0).pixels == (0..<15).map { Float(Self.voxel(0, $0 / 5, $0 % 5)) })
        #expect(try plane.page(0).sampleType == .uint8)

        #expect(throws: PixelwiseError.file(path: path + ":/volumes/raw", problem: "page 4 does not exist (the stack has 4 pages)")) {
            try stack.page(4)
        }
        #expect(throws: PixelwiseError.file(path: path, problem: "no dataset /volumes/labels")) {
            try ImageStack(path: path + ":/volumes/labels")
        }
        // Naming the file alone is an error that lists what it holds.
        #expect(throws: PixelwiseError.file(path: path, problem: "an HDF5 file holds datasets, not one image: name one as \(path):/DATASET (it holds /fractions, /plane, /volumes/raw, /wide)")) {
            try Image(contentsOf: path)
        }
    }

    @Test func aReferenceIntoAnImageFileIsAnError() throws {
        let scratch = try ScratchFolder()
        let png = scratch.file("grey.png")
        try Image(width: 2, height: 2, channels: 1, sampleType: .uint8, pixels: [0, 1, 2, 3]).write(to: png)
        let renamed = scratch.file("grey.h5")
        try FileManager.default.moveItem(atPath: png, toPath: renamed)
        #expect(throws: PixelwiseError.file(path: renamed, problem: "is not an HDF5 file, so \(renamed):/raw names no dataset")) {
            try ImageStack(path: renamed + ":/raw")
        }
    }

    /// Slices of a volume in a 64-bit integer type are read one at a time and checked like whole volumes.
    @Test func wideIntegerSlicesAreCheckedForExactness() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("ids.h5")
        let file = try HDF5File(creating: path)
        try file.write([Int64](arrayLiteral: 1, 2, 3, 4, 5, 6, 7, 1 << 30), shape: [2, 2, 2], at: "/ids")
        file.close()
        #expect(try HDF5Volume.slice(path: path, dataset: "/ids", index: 0, sampleType: .float32).pixels == [1, 2, 3, 4])
        #expect(throws: PixelwiseError.self) { try HDF5Volume.slice(path: path, dataset: "/ids", index: 1, sampleType: .float32) }
    }

    /// `idSlice` reads one plane of an id volume exactly (ids beyond 2²⁴ included) and declines floats.
    @Test func idSlicesAreExact() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("neuron_ids.h5")
        let file = try HDF5File(creating: path)
        try file.write([UInt64](arrayLiteral: 1, 2, 3, 4, 5, 6, 7, (1 << 40) + 1), shape: [2, 2, 2], at: "/ids")
        try file.write([UInt16](arrayLiteral: 9, 8, 7, 6), shape: [2, 2], at: "/plane")
        try file.write([Float](arrayLiteral: 0.5, 0.25), shape: [1, 2], at: "/fractions")
        file.close()
        #expect(try HDF5Volume.idSlice(path: path, dataset: "/ids", index: 1) == [5, 6, 7, (1 << 40) + 1])
        #expect(try HDF5Volume.idSlice(path: path, dataset: "/plane", index: 0) == [9, 8, 7, 6])
        #expect(try HDF5Volume.idSlice(path: path, dataset: "/fractions", index: 0) == nil)
        #expect(throws: PixelwiseError.self) { try HDF5Volume.idSlice(path: path, dataset: "/ids", index: 2) }
    }
}
