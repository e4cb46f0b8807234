import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseKernels
import PixelwiseModels
import PixelwiseNN
import PixelwiseTestSupport
import Testing
@testable import PixelwiseWorkflow

/// `Segmenter` with 3-D networks: volumes through `VolumeReading`/`VolumeWriting`, results in the
/// input's format (NIfTI with its affine, TIFF stack, HDF5), and one-line errors for mismatched ranks.
@Suite struct VolumeSegmentationTests {
    static func graph3D() throws -> Graph {
        let graph = try ModelZoo.preset(named: "unet3d").makeGraph(PresetOptions(baseFilters: 2, seed: 4))
        graph.metadata["model"] = "unet3d"
        return graph
    }

    /// 8-bit raw values, channel-major (z, y, x): a bright ball in noise.
    static func raw(_ size: [Int]) -> [Float] {
        var state: UInt64 = 5
        var values: [Float] = []
        for z in 0..<size[0] { for y in 0..<size[1] { for x in 0..<size[2] {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let d = (pow(Double(z) - Double(size[0]) / 2, 2) + pow(Double(y) - Double(size[1]) / 2, 2) + pow(Double(x) - Double(size[2]) / 2, 2)).squareRoot()
            values.append(Float(min(255, max(0, (d < 6 ? 180 : 60) + Double(state >> 58) * 4))))
        } } }
        return values
    }

    static func options(_ output: Segmenter.Output) -> Segmenter.Options {
        var o = Segmenter.Options()
        o.output = output
        o.memoryBudget = 4 << 20
        o.block = [8, 16, 16]
        o.overlap = 0.25
        return o
    }

    @Test func labelsAndProbabilitiesFollowTheBlockSegmenterAndBoxesAgree() throws {
        let graph = try Self.graph3D()
        let size = [12, 20, 24]
        let volume = try InMemoryVolume(name: "ball", geometry: VolumeGeometry(channels: 1, size: size, sampleType: .uint8), values: Self.raw(size))
        func run(_ output: Segmenter.Output, box: VoxelBox? = nil) throws -> InMemoryVolume {
            let segmenter = try Segmenter(graph: graph, name: "unet3d", options: Self.options(output))
            let target = InMemoryVolume(geometry: VolumeGeometry(channels: segmenter.volumeOutputChannels, size: box?.size ?? size, sampleType: .float32))
            try segmenter.segment(volume: volume, box: box, into: target, writerOrigin: box?.origin ?? [0, 0, 0])
            return target
        }
        // The reference: the block segmenter on the normalised volume (x / 255 · 2 − 1), with the
        // graph set up for inference as a segmenter sets it up.
        _ = try Segmenter(graph: graph, name: "unet3d", options: Self.options(.labels))
        let blocks = try BlockSegmenter(graph: graph, volume: volume.geometry, memoryBudget: 4 << 20, block: [8, 16, 16], overlap: 0.25)
        let normalised = try InMemoryVolume(geometry: volume.geometry, values: volume.values.map { $0 * (1 / 255) * 2 - 1 })
        let probabilities = InMemoryVolume(geometry: VolumeGeometry(channels: 2, size: size, sampleType: .float32))
        try blocks.segment(VoxelBox(size: size), of: normalised, into: probabilities)
        let p = probabilities.values, n = volume.geometry.voxels

        let float = try run(.floatProbabilities)
        #expect(Bool(float.values == Array(p[n...])))
        let bytes = try run(.probabilities)
        #expect(Bool(bytes.values == p[n...].map { ($0 * 255).rounded() }))
        let labels = try run(.labels)
        #expect(Bool(labels.values == (0..<n).map { p[n + $0] > p[$0] ? 255 : 0 }))
        #expect(Set(labels.values) == [0, 255], "both classes occur")

        // A box written into a writer holding just the box equals the whole volume's values there.
        let box = VoxelBox(origin: [3, 5, 9], size: [7, 11, 10])
        let part = try run(.floatProbabilities, box: box)
        let expected = try float.read(box)
        #expect(Bool(part.values.map(\.bitPattern) == expected.map(\.bitPattern)))
    }

    @Test func volumeFilesComeBackInTheirFormat() throws {
        let scratch = try ScratchFolder()
        let graph = try Self.graph3D()
        try ModelFile(graph: graph).write(to: scratch.file("model.h5"))
        let size = [12, 20, 24], values = Self.raw(size)

        // NIfTI (x fastest, then y, z: our channel-major (z, y, x) order) with spacing and an affine.
        var header = NIfTIHeader(dimensions: [size[2], size[1], size[0]], dataType: .uint8, spacing: [0.5, 0.5, 2])
        header.sformCode = 2
        header.sform = [[-0.5, 0, 0, 90], [0, 0.5, 0, -126], [0, 0, 2, -72]]
        try NIfTIVolume.write(values, header: header, to: scratch.file("scan.nii.gz"))
        // A TIFF stack of the same sections and an HDF5 dataset.
        let pages = (0..<size[0]).map { z in
            Image(width: size[2], height: size[1], channels: 1, sampleType: .uint8, pixels: Array(values[(z * size[1] * size[2])..<((z + 1) * size[1] * size[2])]))
        }
        try ImageStack.write(pages, to: scratch.file("stack.tif"))
        let h5 = try HDF5File(creating: scratch.file("vol.h5"))
        try h5.write(values.map { UInt8($0) }, shape: size, at: "/raw")
        h5.close()

        var events: [String] = []
        let segmenter = try Segmenter(model: scratch.file("model.h5"), options: Self.options(.labels)) { events.append($0.description) }
        let written = try segmenter.segment(inputs: [scratch.file("scan.nii.gz"), scratch.file("stack.tif"), scratch.file("vol.h5") + ":/raw"],
                                            into: scratch.file("out"))
        #expect(written.map { URL(fileURLWithPath: $0).lastPathComponent } == ["scan.nii.gz", "stack.tif", "vol_raw.h5"])
        #expect(events.contains { $0.contains("12×20×24 voxels, blocks 8×16×16") })

        let nifti = try NIfTIVolume(path: scratch.file("out/scan.nii.gz"))
        #expect(nifti.header.dimensions == [24, 20, 12] && nifti.header.sform == header.sform && nifti.header.pixdim[3] == 2)
        let labels = try nifti.readAll()
        #expect(Set(labels) == [0, 255])
        // The same sections in every format (the spacing 0.5, 0.5, 2 allows no other symmetries, and TTA is off).
        let stack = try ImageStack(path: scratch.file("out/stack.tif")).readAll()
        #expect(Bool(stack.count == 12 && stack.flatMap(\.pixels) == labels))
        let (shape, stored) = try HDF5Volume.read(path: scratch.file("out/vol_raw.h5"), dataset: "/segmentation")
        #expect(Bool(shape == size && stored == labels))

        // A budget so small that the write units are one grid cell deep: the volume goes out in two
        // slabs (8 + 4 sections) and the files are the same, byte for byte.
        var small = Self.options(.labels)
        small.memoryBudget = 30_000
        let slabs = try Segmenter(model: scratch.file("model.h5"), options: small)
        let blocks = try slabs.blocks(for: VolumeGeometry(channels: 1, size: size, sampleType: .uint8))
        #expect(blocks.unitCells[0] * blocks.step[0] < size[0])
        try slabs.segment(inputs: [scratch.file("stack.tif"), scratch.file("scan.nii.gz"), scratch.file("vol.h5") + ":/raw"], into: scratch.file("slabs"))
        #expect(try ImageStack(path: scratch.file("slabs/stack.tif")).readAll().flatMap(\.pixels) == stack.flatMap(\.pixels))
        #expect(try NIfTIVolume(path: scratch.file("slabs/scan.nii.gz")).readAll() == labels)
        #expect(try HDF5Volume.read(path: scratch.file("slabs/vol_raw.h5"), dataset: "/segmentation").values == labels)

        // The command writes the same stack.
        #expect(try scratch.runCLI(["segment", "--model", "model.h5", "stack.tif", "--out", "cli", "--block", "8,16,16", "--overlap", "0.25",
                                    "--memory", "4"]) == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file("cli/stack.tif"))) == Data(contentsOf: URL(fileURLWithPath: scratch.file("out/stack.tif"))))
    }

    /// The training patch recorded in the model is the smallest default block, and the recorded
    /// spacing decides the symmetries of `--tta` unless `--spacing` is given.
    @Test func defaultBlocksAndSpacingComeFromTheModel() throws {
        var options = Segmenter.Options()
        options.memoryBudget = 64 << 20
        options.testTimeAugmentation = true
        let geometry = VolumeGeometry(channels: 1, size: [24, 64, 64], sampleType: .uint8)
        let plain = try Segmenter(graph: try Self.graph3D(), name: "unet3d", options: options).blocks(for: geometry)
        #expect(plain.symmetries.count == 48)  // nothing recorded, spacing 1, 1, 1: the cube's symmetries

        let graph = try Self.graph3D()
        var conventions = ModelConventions(graph: graph, classes: 2)
        (conventions.trainingPatch, conventions.spacing) = ([16, 32, 32], [10, 1, 1])
        conventions.store(in: graph)
        let trained = try Segmenter(graph: graph, name: "unet3d", options: options).blocks(for: geometry)
        #expect(trained.inputBlock[0] >= 16 && trained.inputBlock[1] >= 32 && trained.inputBlock[2] >= 32, "\(trained.inputBlock)")
        #expect(trained.symmetries.count == 16)  // sections 10× thicker: flips and in-plane quarter turns
        options.spacing = [1, 1, 1]
        #expect(try Segmenter(graph: graph, name: "unet3d", options: options).blocks(for: geometry).symmetries.count == 48)
    }

    /// A 2-D image to a 3-D network, and a volume to a 2-D network's volume API: one-line errors naming the input.
    @Test func mismatchedRanksAreOneLineErrors() throws {
        let scratch = try ScratchFolder()
        try Image(width: 20, height: 20, channels: 1, sampleType: .uint8, pixels: [Float](repeating: 9, count: 400)).write(to: scratch.file("slice.png"))
        let volumeNet = try Segmenter(graph: try Self.graph3D(), name: "unet3d.h5", options: Self.options(.labels))
        #expect {
            try volumeNet.segment(inputs: [scratch.file("slice.png")], into: scratch.file("out"))
        } throws: { "\($0)" == scratch.file("slice.png") + ": is a 2-D image, but the model unet3d.h5 is a 3-D network; give it a volume (TIFF stack, NIfTI, FILE.h5:/DATASET)" }
        #expect(!FileManager.default.fileExists(atPath: scratch.file("out")))

        let imageNet = try Segmenter(graph: try UNet(depth: 1, baseFilters: 2).makeGraph(), name: "unet.h5")
        let volume = InMemoryVolume(name: "vol.nii", geometry: VolumeGeometry(channels: 1, size: [4, 8, 8], sampleType: .uint8))
        #expect {
            try imageNet.segment(volume: volume, into: InMemoryVolume(geometry: volume.geometry))
        } throws: { "\($0)".hasPrefix("vol.nii: is a volume, but the model unet.h5 is a 2-D network") && !"\($0)".contains("\n") }
    }
}
