import PixelwiseCore
import Testing
@testable import PixelwiseIO

/// The in-memory volume: boxes read and written against a plain index formula, bad boxes refused.
@Suite struct InMemoryVolumeTests {
    /// channel c at (z, y, x) holds 1000c + 100z + 10y + x, so every value says where it is.
    static func coded(_ g: VolumeGeometry) -> [Float] {
        var v: [Float] = []
        for c in 0..<g.channels { for z in 0..<g.size[0] { for y in 0..<g.size[1] { for x in 0..<g.size[2] {
            v.append(Float(1000 * c + 100 * z + 10 * y + x))
        } } } }
        return v
    }

    @Test func readsABoxChannelMajor() throws {
        let g = VolumeGeometry(channels: 2, size: [3, 4, 5], sampleType: .float32)
        let volume = try InMemoryVolume(geometry: g, values: Self.coded(g))
        let box = VoxelBox(origin: [1, 2, 1], size: [2, 2, 3])
        var expected: [Float] = []
        for c in 0..<2 { for z in 1..<3 { for y in 2..<4 { for x in 1..<4 { expected.append(Float(1000 * c + 100 * z + 10 * y + x)) } } } }
        #expect(try volume.read(box) == expected)
        #expect(try volume.read(VoxelBox(size: g.size)) == Self.coded(g))
    }

    @Test func writesOnlyTheBox() throws {
        let g = VolumeGeometry(channels: 2, size: [2, 3, 4], sampleType: .float32)
        let volume = InMemoryVolume(geometry: g, chunkSize: [1, 2, 2])
        #expect(volume.chunkSize == [1, 2, 2])
        let box = VoxelBox(origin: [1, 1, 2], size: [1, 2, 2])
        let written: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        try volume.write(written, at: box)
        #expect(try volume.read(box) == written)
        // Channel 1, z 1, y 2, x 3 is the box's last value; everything outside the box stays 0.
        #expect(volume.values[((1 * 2 + 1) * 3 + 2) * 4 + 3] == 8)
        #expect(volume.values.filter { $0 != 0 }.count == 8)
        #expect(volume.writeCount == 1 && !volume.isFinished)
        try volume.finish()
        #expect(volume.isFinished)
    }

    @Test func refusesBoxesOutsideAndWrongCounts() throws {
        let g = VolumeGeometry(channels: 1, size: [2, 2, 2], sampleType: .uint8)
        let volume = InMemoryVolume(name: "v", geometry: g)
        #expect(throws: PixelwiseError.self) { try volume.read(VoxelBox(origin: [1, 0, 0], size: [2, 1, 1])) }
        #expect(throws: PixelwiseError.self) { try volume.read(VoxelBox(origin: [0, 0, 0], size: [0, 1, 1])) }
        #expect(throws: PixelwiseError.self) { try volume.write([1, 2], at: VoxelBox(origin: [0, 0, 0], size: [1, 1, 1])) }
        #expect(throws: PixelwiseError.self) { try InMemoryVolume(geometry: g, values: [1]) }
    }
}
