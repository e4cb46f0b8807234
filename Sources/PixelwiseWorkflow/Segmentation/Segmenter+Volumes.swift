import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseModels
import PixelwiseNN

/// 3-D networks: volumes segmented block by block (`BlockSegmenter`), results written in the
/// input's own format.
extension Segmenter {
    /// The block segmenter for a volume of `geometry` under this segmenter's options: spacing from
    /// `options.spacing` when given, else the training volumes' (recorded in the model file), else
    /// the file's; without `--block`, blocks at least the training patch. A one-line error for a
    /// 2-D network.
    public func blocks(for geometry: VolumeGeometry, name: String = "the volume") throws -> BlockSegmenter {
        guard graph.spatialRank == 3 else {
            throw PixelwiseError.file(path: name, problem: "is a volume, but the model \(modelName) is a 2-D network; segment its slices (pixelwise segment does for stacks) or use a 3-D network")
        }
        var g = geometry
        if let spacing = options.spacing ?? conventions.spacing { g.spacing = spacing }
        return try BlockSegmenter(graph: graph, volume: g, memoryBudget: options.memoryBudget, block: options.block ?? options.tile.map { [$0, $0, $0] },
                                  minimumBlock: conventions.trainingPatch, overlap: options.overlap,
                                  testTimeAugmentation: options.testTimeAugmentation)
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
        let prepared = try prepare(volume)
        let box = box ?? VoxelBox(size: volume.geometry.size)
        report(prepared.blocks, volume, box)
        try segment(prepared, box, into: writer, writerOrigin: writerOrigin)
    }

    /// A volume's blocks and its normalised input (z-score statistics are computed here, once).
    func prepare(_ volume: any VolumeReading) throws -> (blocks: BlockSegmenter, input: NormalisedVolume) {
        (try blocks(for: volume.geometry, name: volume.name), try NormalisedVolume(volume, normalisation: conventions.normalisation))
    }

    func report(_ blocks: BlockSegmenter, _ volume: any VolumeReading, _ box: VoxelBox) {
        onEvent?(.volume(name: volume.name, size: box.size, inputBlock: blocks.inputBlock, outputBlock: blocks.outputBlock,
                         blocks: blocks.blockCount(origin: box.origin, size: box.size), symmetries: blocks.symmetries.count))
    }

    func segment(_ prepared: (blocks: BlockSegmenter, input: NormalisedVolume), _ box: VoxelBox, into writer: any VolumeWriting,
                 writerOrigin: [Int], progressOffset: (done: Int, total: Int)? = nil, clock: Date = Date()) throws {
        let output = try SegmentationOutputWriter(writer, output: options.output, classes: prepared.blocks.classes, classValues: conventions.classValues)
        var reported = Date.distantPast
        try prepared.blocks.segment(box, of: prepared.input, into: output, writerOrigin: writerOrigin) { progress in
            var p = progress
            if let (done, total) = progressOffset { (p.blocksDone, p.blocksTotal, p.seconds) = (done + p.blocksDone, total, Date().timeIntervalSince(clock)) }
            if p.blocksDone == p.blocksTotal || Date().timeIntervalSince(reported) >= 1 {
                reported = Date()
                self.onEvent?(.block(p))
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
    /// Inputs are read a box at a time through `VolumeSources.open` (spacing from the file, or
    /// `options.spacing`); the volume is segmented in slabs of whole write units along z, each
    /// slab's sections written out as soon as it is done (a TIFF page by page, a NIfTI slice by
    /// slice, an HDF5 dataset a chunk — one slab — at a time), so memory holds one slab of results
    /// and one block's network whatever the volume's depth (`options.memoryBudget`).
    func segmentVolumes(_ stacks: [ImageStack], into folder: String) throws -> [String] {
        var targets: [String: String] = [:]
        for stack in stacks {
            guard stack.count > 1 || stack.nifti != nil || stack.format == .hdf5 else {
                throw PixelwiseError.file(path: stack.path, problem: "is a 2-D image, but the model \(modelName) is a 3-D network; give it a volume (TIFF stack, NIfTI, FILE.h5:/DATASET)")
            }
            if let nifti = stack.nifti, nifti.volumes > 1 {
                throw PixelwiseError.file(path: stack.path, problem: "holds \(nifti.volumes) volumes along its 4th axis; a 3-D model's result is written for 3-D NIfTI inputs (give the channels as one file each)")
            }
            let channels = try VolumeSources.open(stack.path).geometry.channels
            guard channels == graph.inputChannels else {
                throw PixelwiseError.file(path: stack.path, problem: "has \(channels) channel(s), the model \(modelName) takes \(graph.inputChannels)")
            }
            try Self.claim(volumeOutputPath(for: stack, in: folder), for: stack.path, in: &targets)
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
                let volume = try VolumeSources.open(stack.path, spacing: options.spacing)
                let target = volumeOutputPath(for: stack, in: folder)
                try segmentInSlabs(volume, like: stack, to: target)
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

    /// Segments `volume` slab by slab (whole write units along z) and writes each slab at once
    /// in the input's format: NIfTI with the input's header (uint8 labels, int16 when a class value
    /// exceeds 255, uint8 or float32 probabilities; classes along the 4th axis) and a multi-page
    /// TIFF (one page per section, classes as channels) through `writeResult`, an HDF5 file with a
    /// chunked dataset `/segmentation` ([D, H, W] or [C, D, H, W]; uint8 or float32, one chunk per
    /// slab). Nothing appears at `target` unless every slab was written.
    func segmentInSlabs(_ volume: any VolumeReading, like stack: ImageStack, to target: String) throws {
        let prepared = try prepare(volume)
        let size = volume.geometry.size, (d, h, w) = (size[0], size[1], size[2])
        let channels = volumeOutputChannels, float = options.output == .floatProbabilities
        let slab = max(1, min(d, prepared.blocks.unitCells[0] * prepared.blocks.step[0]))
        report(prepared.blocks, volume, VoxelBox(size: size))
        let total = prepared.blocks.blockCount(origin: [0, 0, 0], size: size)
        let clock = Date()
        func forEachSlab(_ body: (InMemoryVolume, Int) throws -> Void) throws {
            var z = 0, done = 0
            while z < d {
                let depth = min(slab, d - z)
                let part = InMemoryVolume(name: target, geometry: VolumeGeometry(channels: channels, size: [depth, h, w], spacing: volume.geometry.spacing,
                                                                               sampleType: .float32))
                let box = VoxelBox(origin: [z, 0, 0], size: [depth, h, w])
                try segment(prepared, box, into: part, writerOrigin: box.origin, progressOffset: (done, max(total, done)), clock: clock)
                done += prepared.blocks.blockCount(origin: box.origin, size: box.size)
                try body(part, z)
                z += depth
            }
        }
        if stack.format == .hdf5 {
            let writer = try ChunkedStores.create(path: target + ":/segmentation",
                                                  geometry: VolumeGeometry(channels: channels, size: size, spacing: volume.geometry.spacing,
                                                                           sampleType: float ? .float32 : .uint8),
                                                  chunkSize: [slab, h, w])
            try forEachSlab { part, z in
                try writer.write(float ? part.values : part.values.map { min(255, max(0, $0.rounded())) },
                                 at: VoxelBox(origin: [z, 0, 0], size: part.geometry.size))
            }
            try writer.finish()
            return
        }
        let plane = h * w
        try writeResult(of: stack, to: target) { emit in
            try forEachSlab { part, _ in
                let values = part.values, depth = part.geometry.size[0], channelStride = depth * plane
                for k in 0..<depth {
                    var pixels = [Float](repeating: 0, count: plane * channels)
                    for p in 0..<plane { for c in 0..<channels { pixels[p * channels + c] = values[c * channelStride + k * plane + p] } }
                    try emit(Image(width: w, height: h, channels: channels, sampleType: float ? .float32 : .uint8, pixels: pixels))
                }
            }
        }
    }
}
