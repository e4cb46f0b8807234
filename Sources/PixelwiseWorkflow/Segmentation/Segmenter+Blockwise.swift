import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseKernels
import PixelwiseModels

/// The segmentation of any box of a volume, for blockwise segmentation: the output values a
/// box of the output volume holds, computed from the input volume, the same bit for bit whether
/// the box is the whole volume or one block of it.
public protocol VolumeBoxSegmenting: AnyObject {
    /// The output volume for an input volume of `input`: same size and spacing, the channels and
    /// sample type of the output.
    func outputGeometry(for input: VolumeGeometry) -> VolumeGeometry
    /// The output values (channel-major, `outputGeometry(for:).channels` × `box.voxels`) of
    /// `box` of the output, reading what it needs of `input` (its context, mirrored only at the
    /// volume's true borders).
    func segment(_ box: VoxelBox, of input: any VolumeReading) throws -> [Float]
    /// What identifies the computation (model file, options): a rerun that resumes a
    /// blockwise run must give the same text, or it would mix two results in one volume.
    var identity: [String: String] { get }
    /// Whether its convolution algorithms are measured (`AlgorithmSelection.fastest`), and so may
    /// differ between processes, thread counts and runs unless they follow one table.
    var measuresAlgorithms: Bool { get }
    /// The algorithms segmenting a volume of `input` runs, measured (or cached) now.
    func algorithmTable(for input: VolumeGeometry) throws -> AlgorithmTable
    /// From now on run `table`'s algorithms.
    func follow(_ table: AlgorithmTable)
}

extension VolumeBoxSegmenting {
    public var measuresAlgorithms: Bool { false }
    public func algorithmTable(for input: VolumeGeometry) throws -> AlgorithmTable { AlgorithmTable() }
    public func follow(_ table: AlgorithmTable) {}
}

/// A 3-D network segments a box through `segment(volume:box:into:writerOrigin:)` (`BlockSegmenter`,
/// whose grid is anchored at the volume's origin). A 2-D network segments volumes slice by slice
/// (x–y slices, z the slowest axis): a box is its slices' rectangles, each segmented by
/// `TiledSegmenter.segment(height:width:region:read:)` on the tile grid of the whole slice, so
/// that a block equals the whole-slice result (and so `segment(inputs:into:)` on the same
/// slices) bit for bit.
extension Segmenter: VolumeBoxSegmenting {
    public func outputGeometry(for input: VolumeGeometry) -> VolumeGeometry {
        let type: SampleType
        switch options.output {
        case .floatProbabilities: type = .float32
        case .probabilities: type = .uint8
        case .labels: type = conventions.classValues.allSatisfy { $0 >= 0 && $0 <= 255 } ? .uint8 : conventions.classValues.allSatisfy { $0 >= 0 && $0 <= 65535 } ? .uint16 : .float32
        }
        return VolumeGeometry(channels: volumeOutputChannels, size: input.size, spacing: input.spacing, sampleType: type)
    }

    public var measuresAlgorithms: Bool {
        if case .fastest = graph.inferenceOptions.algorithms { return true }
        return false
    }

    /// The plan's choices for the one input shape blockwise segmentation runs: the tile of a 2-D
    /// network, the block of a 3-D one.
    public func algorithmTable(for input: VolumeGeometry) throws -> AlgorithmTable {
        let spatial = try tiling.map { [$0.inputTile, $0.inputTile] } ?? blocks(for: input).inputBlock
        return try graph.inferenceAlgorithmTable(inputShape: Shape([1, graph.inputChannels] + spatial))
    }

    public func follow(_ table: AlgorithmTable) { graph.inferenceOptions.algorithms = .recorded(table) }

    public var identity: [String: String] {
        var fields = ["model": modelName, "network": graph.metadata["model"] ?? "network",
                      "output": "\(options.output)", "overlap": String(options.overlap),
                      "precision": "\(options.precision)", "tta": String(options.testTimeAugmentation)]
        if let tiling { fields["tile"] = String(tiling.inputTile); fields["slices"] = "2-D network, x-y slices" }
        if let block = options.block ?? options.tile.map({ [$0, $0, $0] }), tiling == nil { fields["block"] = block.map(String.init).joined(separator: "×") }
        if let spacing = options.spacing { fields["spacing"] = spacing.map { String($0) }.joined(separator: ",") }
        fields["memory"] = String(options.memoryBudget)
        fields["weights"] = weightsDigest
        return fields
    }

    /// FNV-1a (64-bit) over every parameter's name and values: another model file with the
    /// same name, or the same file retrained, gives another digest.
    var weightsDigest: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        for (name, parameter) in graph.parameters {
            for byte in name.utf8 { mix(byte) }
            for value in parameter.value.inLayout(.rowMajor).scalars {
                var bits = value.bitPattern
                for _ in 0..<4 { mix(UInt8(truncatingIfNeeded: bits)); bits >>= 8 }
            }
        }
        return String(hash, radix: 16)
    }

    /// Checks what blockwise 2-D segmentation needs of the options and the normalisation:
    /// values normalised voxel by voxel (a statistic over the whole slice cannot be computed from
    /// one block), no test-time augmentation (the rotated slice has another tile grid).
    public func checkBlockwise(_ input: VolumeGeometry, name: String) throws {
        guard tiling != nil else { return }  // 3-D networks: BlockSegmenter and NormalisedVolume take any box
        guard !options.testTimeAugmentation else {
            throw PixelwiseError.invalidArgument("--tta is not available for blockwise segmentation of volumes with a 2-D network")
        }
        for c in 0..<graph.inputChannels {
            switch conventions.normalisation.intensity(forChannel: c) {
            case .typeRange, .fixedRange: continue
            case let other:
                throw PixelwiseError.invalidArgument("the model \(modelName) normalises each image by its own statistics (\(other)); blockwise segmentation of \(name) needs a voxel-by-voxel normalisation (type range or fixed range)")
            }
        }
        let channels = conventions.normalisation.outputChannels(stored: input.channels)
        guard channels == graph.inputChannels else {
            throw PixelwiseError.file(path: name, problem: "has \(channels) channel(s), the model \(modelName) takes \(graph.inputChannels)")
        }
    }

    public func segment(_ box: VoxelBox, of input: any VolumeReading) throws -> [Float] {
        let geometry = input.geometry
        guard box.isInside(geometry.size) else {
            throw PixelwiseError.invalidArgument("box \(box) is not inside \(input.name)")
        }
        try checkBlockwise(geometry, name: input.name)
        guard let tiling else {
            // A 3-D network: the box through BlockSegmenter into a volume holding just the box.
            let result = InMemoryVolume(name: input.name, geometry: VolumeGeometry(channels: volumeOutputChannels, size: box.size,
                                                                                 spacing: geometry.spacing, sampleType: .float32))
            let events = onEvent
            onEvent = nil  // per-block lines are the blockwise run's to print
            defer { onEvent = events }
            try segment(volume: input, box: box, into: result, writerOrigin: box.origin)
            return result.values
        }
        let (height, width) = (geometry.size[1], geometry.size[2])
        let region = (y: box.origin[1]..<box.end[1], x: box.origin[2]..<box.end[2])
        let plane = box.size[1] * box.size[2], depth = box.size[0]
        let channels = volumeOutputChannels
        var out = [Float](repeating: 0, count: channels * box.voxels)
        for z in 0..<depth {
            let slice = box.origin[0] + z
            let (classes, probabilities) = try tiling.segment(height: height, width: width, region: region) { rows, columns in
                let raw = try input.read(VoxelBox(origin: [slice, rows.lowerBound, columns.lowerBound], size: [1, rows.count, columns.count]))
                return networkInput(planar: raw, channels: geometry.channels, width: columns.count, height: rows.count, sampleType: geometry.sampleType)
            }
            let image = outputImage(Tensor(shape: [1, classes, box.size[1], box.size[2]], scalars: probabilities))
            // Interleaved output image → channel-major box.
            for c in 0..<channels {
                let base = (c * depth + z) * plane
                for p in 0..<plane { out[base + p] = image.pixels[p * channels + c] }
            }
        }
        return out
    }

    /// Planar raw values of a rectangle → planar network input, normalised as the model says.
    private func networkInput(planar raw: [Float], channels: Int, width: Int, height: Int, sampleType: SampleType) -> [Float] {
        let n = width * height
        var pixels = raw
        if channels > 1 { for p in 0..<n { for c in 0..<channels { pixels[p * channels + c] = raw[c * n + p] } } }
        return conventions.tensor(for: Image(width: width, height: height, channels: channels, sampleType: sampleType, pixels: pixels)).scalars
    }
}
