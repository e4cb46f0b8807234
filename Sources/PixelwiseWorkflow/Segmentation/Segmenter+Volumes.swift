import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseModels
import PixelwiseNN

/// 3-D networks: volumes segmented block by block (`BlockSegmenter`), results written in the
/// input's own format.
extension Segmenter {
    /// The block segmenter for a volume of `geometry` under this segmenter's options (spacing from
    /// `options.spacing` when given). A one-line error for a 2-D network.
    public func blocks(for geometry: VolumeGeometry, name: String = "the volume") throws -> BlockSegmenter {
        guard graph.spatialRank == 3 else {
            throw PixelwiseError.file(path: name, problem: "is a volume, but the model \(modelName) is a 2-D network; segment its slices (pixelwise segment does for stacks) or use a 3-D network")
        }
        var g = geometry
        if let spacing = options.spacing { g.spacing = spacing }
        return try BlockSegmenter(graph: graph, volume: g, memoryBudget: options.memoryBudget, block: options.block ?? options.tile.map { [$0, $0, $0] },
                                  overlap: options.overlap, testTimeAugmentation: options.testTimeAugmentation)
    }

    /// Channels of the output volume: 1 (labels, or the foreground probability of two classes) or
    /// one per class (probabilities of more than two classes).
    public var volumeOutputChannels: Int { SegmentationOutputWriter.channels(for: options.output, classes: conventions.classValues.count) }

    /// Segments `box` (nil: the whole volume) of a raw `volume` — values as the file holds them;
    /// the model's normalisation is applied (`NormalisedVolume`) — into `writer`, which has
    /// `volumeOutputChannels` channels and gets what `options.output` asks for (labels as the
    /// class values of training), at each voxel's position minus `writerOrigin`. Progress goes to
    /// `onEvent` (`.volume`, then `.block` at most once a second and at the end). The caller
    /// finishes the writer. A box's values are bit for bit those of the whole volume there.
    public func segment(volume: any VolumeReading, box: VoxelBox? = nil, into writer: any VolumeWriting, writerOrigin: [Int] = [0, 0, 0]) throws {
        let blocks = try blocks(for: volume.geometry, name: volume.name)
        let input = try NormalisedVolume(volume, normalisation: conventions.normalisation)
        let output = try SegmentationOutputWriter(writer, output: options.output, classes: blocks.classes, classValues: conventions.classValues)
        let box = box ?? VoxelBox(size: volume.geometry.size)
        onEvent?(.volume(name: volume.name, size: box.size, inputBlock: blocks.inputBlock, outputBlock: blocks.outputBlock,
                         blocks: blocks.blockCount(origin: box.origin, size: box.size), symmetries: blocks.symmetries.count))
        var reported = Date.distantPast
        try blocks.segment(box, of: input, into: output, writerOrigin: writerOrigin) { progress in
            if progress.blocksDone == progress.blocksTotal || Date().timeIntervalSince(reported) >= 1 {
                reported = Date()
                self.onEvent?(.block(progress))
            }
        }
    }

    /// Where a volume's result goes: FOLDER/NAME.nii.gz for NIfTI (the input's grid and affine),
    /// FOLDER/NAME.h5 (dataset `/segmentation`) for an HDF5 dataset, FOLDER/NAME.tif otherwise.
    public func volumeOutputPath(for stack: ImageStack, in folder: String) -> String {
        folder + "/" + stack.name + (stack.nifti != nil ? ".nii.gz" : stack.format == .hdf5 ? ".h5" : ".tif")
    }

    /// `segment(inputs:into:)` for a 3-D network: every input must be a volume (a stack of more
    /// than one page, a NIfTI volume or an HDF5 dataset); all are checked before anything is
    /// written, and a failure takes back every file this call wrote.
    ///
    /// The input volume and the result are held in memory (`InMemoryVolume`) while the blocks run
    /// over them; the network's own memory is bounded by `options.memoryBudget`.
    func segmentVolumes(_ stacks: [ImageStack], into folder: String) throws -> [String] {
        var targets: [String: String] = [:]
        for stack in stacks {
            if let nifti = stack.nifti, nifti.volumes > 1 {
                throw PixelwiseError.file(path: stack.path, problem: "holds \(nifti.volumes) volumes; a 3-D network segments one (split the 4-D file)")
            }
            guard stack.count > 1 || stack.nifti != nil || stack.format == .hdf5 else {
                throw PixelwiseError.file(path: stack.path, problem: "is a 2-D image, but the model \(modelName) is a 3-D network; give it a volume (TIFF stack, NIfTI, FILE.h5:/DATASET)")
            }
            let channels = conventions.normalisation.outputChannels(stored: try stack.page(0).channels)
            guard channels == graph.inputChannels else {
                throw PixelwiseError.file(path: stack.path, problem: "has \(channels) channel(s), the model \(modelName) takes \(graph.inputChannels)")
            }
            let target = volumeOutputPath(for: stack, in: folder)
            if let other = targets[target] {
                throw PixelwiseError.file(path: stack.path, problem: "would overwrite the result of \(other) (both become \(target)); segment them into separate folders")
            }
            targets[target] = stack.path
        }
        var created: [String] = []
        do {
            if !FileManager.default.fileExists(atPath: folder) {
                do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                    throw PixelwiseError.file(path: folder, problem: "cannot create the output folder (\(error.localizedDescription))")
                }
                created.append(folder)
            }
            let start = Date()
            var voxels = 0
            var written: [String] = []
            for stack in stacks {
                let volume = try Self.volume(of: stack)
                let result = InMemoryVolume(name: stack.path, geometry: VolumeGeometry(channels: volumeOutputChannels, size: volume.geometry.size,
                                                                                     spacing: volume.geometry.spacing, sampleType: .float32))
                try segment(volume: volume, into: result)
                let target = volumeOutputPath(for: stack, in: folder)
                try writeVolumeResult(result, like: stack, to: target)
                created.append(target)
                written.append(target)
                voxels += volume.geometry.voxels
            }
            onEvent?(.finished(images: stacks.count, pixels: voxels, seconds: Date().timeIntervalSince(start), folder: folder))
            return written
        } catch {
            for path in created.reversed() { try? FileManager.default.removeItem(atPath: path) }
            throw error
        }
    }

    /// The stack's pages as a volume in memory (channel-major), with the NIfTI spacing along (z, y, x).
    static func volume(of stack: ImageStack) throws -> InMemoryVolume {
        let first = try stack.page(0)
        let (w, h, c) = (first.width, first.height, first.channels)
        var values = [Float](repeating: 0, count: c * stack.count * h * w)
        let plane = h * w, channelStride = stack.count * plane
        for z in 0..<stack.count {
            let page = z == 0 ? first : try stack.page(z)
            guard page.width == w, page.height == h, page.channels == c else {
                throw PixelwiseError.file(path: stack.path, problem: "page \(z + 1) is \(page.width)×\(page.height)×\(page.channels), page 1 is \(w)×\(h)×\(c): a volume's slices must agree")
            }
            for p in 0..<plane { for k in 0..<c { values[k * channelStride + z * plane + p] = page.pixels[p * c + k] } }
        }
        let spacing = stack.nifti.map { [$0.header.pixdim[3], $0.header.pixdim[2], $0.header.pixdim[1]].map { $0 > 0 ? $0 : 1 } } ?? [1, 1, 1]
        return try InMemoryVolume(name: stack.path, geometry: VolumeGeometry(channels: c, size: [stack.count, h, w], spacing: spacing, sampleType: first.sampleType),
                                  values: values)
    }

    /// Writes a result volume in the input's format: NIfTI with the input's header (uint8 labels,
    /// int16 when a class value exceeds 255, uint8 or float32 probabilities; classes along the 4th
    /// axis), an HDF5 file with dataset `/segmentation` ([D, H, W] or [C, D, H, W]; uint8 or
    /// float32), or a multi-page TIFF (one page per section, classes as channels).
    func writeVolumeResult(_ result: InMemoryVolume, like stack: ImageStack, to path: String) throws {
        let g = result.geometry, values = result.values
        let float = options.output == .floatProbabilities
        if let nifti = stack.nifti {
            let type: NIfTIDataType = float ? .float32 : options.output == .labels && conventions.classValues.contains { $0 < 0 || $0 > 255 } ? .int16 : .uint8
            let header = nifti.header.derived(dataType: type, extraDimensions: g.channels > 1 ? [g.channels] : [],
                                              description: options.output == .labels ? "pixelwise segmentation" : "pixelwise class probabilities")
            try NIfTIVolume.write(values, header: header, to: path)
            return
        }
        if stack.format == .hdf5 {
            let shape = (g.channels > 1 ? [g.channels] : []) + g.size
            try AtomicFile.write(to: path) { temporary in
                let file = try HDF5File(creating: temporary)
                defer { file.close() }
                if float {
                    try file.write(Tensor(shape: Shape(shape), scalars: values), at: "/segmentation")
                } else {
                    try file.write(values.map { UInt8(clamping: Int($0.rounded())) }, shape: shape, at: "/segmentation")
                }
            }
            return
        }
        let plane = g.size[1] * g.size[2], channelStride = g.size[0] * plane
        let pages = (0..<g.size[0]).map { z -> Image in
            var pixels = [Float](repeating: 0, count: plane * g.channels)
            for p in 0..<plane { for k in 0..<g.channels { pixels[p * g.channels + k] = values[k * channelStride + z * plane + p] } }
            return Image(width: g.size[2], height: g.size[1], channels: g.channels, sampleType: float ? .float32 : .uint8, pixels: pixels)
        }
        try ImageStack.write(pages, to: path)
    }
}
