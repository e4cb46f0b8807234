import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseModels
import PixelwiseNN

/// `BlockSegmenter` on the shared volume interface: any box of a `VolumeReading` segmented into a
/// `VolumeWriting`, the unit blockwise (multi-process, resumable) segmentation is built from.
extension BlockSegmenter {
    /// A segmenter for the whole of a volume of `geometry` (its size and spacing decide the grid
    /// and the symmetries; every box of that volume must be segmented by segmenters made alike).
    public init(graph: Graph, volume geometry: VolumeGeometry, memoryBudget: Int, block: [Int]? = nil, minimumBlock: [Int]? = nil,
                overlap: Double = 0, testTimeAugmentation: Bool = false) throws {
        guard graph.spatialRank == 3 else {
            throw PixelwiseError.invalidArgument("the network is 2-D; a volume needs a 3-D network (or segment its slices with the 2-D one)")
        }
        try self.init(graph: graph, extent: geometry.size, spacing: geometry.spacing, memoryBudget: memoryBudget, block: block,
                      minimumBlock: minimumBlock, overlap: overlap, testTimeAugmentation: testTimeAugmentation)
    }

    /// Segments `box` of `volume` (which must be the volume of the size this segmenter was made
    /// for, with the network's input channels, values as the network takes them) and writes the
    /// class probabilities (`classes` channels) into `writer`, at the box's position minus
    /// `writerOrigin` (so a writer holding just the box takes `writerOrigin: box.origin`).
    /// Writes are the write units inside the box, in raster order; `finish()` is the caller's.
    /// Bit for bit, the values written are those segmenting the whole volume writes there.
    public func segment(_ box: VoxelBox, of volume: any VolumeReading, into writer: any VolumeWriting, writerOrigin: [Int] = [0, 0, 0],
                        progress: ((Progress) -> Void)? = nil) throws {
        guard volume.geometry.size == extent else {
            throw PixelwiseError.file(path: volume.name, problem: "is \(volume.geometry.size.map(String.init).joined(separator: "×")) voxels; the segmenter was made for \(extent.map(String.init).joined(separator: "×"))")
        }
        guard volume.geometry.channels == graph.inputChannels else {
            throw PixelwiseError.file(path: volume.name, problem: "has \(volume.geometry.channels) channel(s), the network takes \(graph.inputChannels)")
        }
        guard writer.geometry.channels == classes else {
            throw PixelwiseError.file(path: writer.name, problem: "has \(writer.geometry.channels) channel(s) for \(classes) class probabilities")
        }
        guard box.isInside(extent) else {
            throw PixelwiseError.invalidArgument("box \(box) is not inside \(volume.name) (\(extent.map(String.init).joined(separator: "×")))")
        }
        guard VoxelBox(origin: zip(box.origin, writerOrigin).map { $0 - $1 }, size: box.size).isInside(writer.geometry.size) else {
            throw PixelwiseError.file(path: writer.name, problem: "box \(box) less \(writerOrigin) is not inside the output (\(writer.geometry.size.map(String.init).joined(separator: "×")))")
        }
        try segment(origin: box.origin, size: box.size, read: { origin, size in
            try volume.read(VoxelBox(origin: origin, size: size))
        }, write: { values, origin, size in
            try writer.write(values, at: VoxelBox(origin: zip(origin, writerOrigin).map { $0 - $1 }, size: size))
        }, progress: progress)
    }
}

/// A `VolumeWriting` that turns class probabilities into what `Segmenter.Output` asks for before
/// handing them on: labels (one channel of class values), the foreground probability (8-bit
/// 0–255 or float), or every class's probability. Boxes and `finish()` pass straight through.
public final class SegmentationOutputWriter: VolumeWriting {
    public let target: any VolumeWriting
    public let output: Segmenter.Output
    public let classValues: [Float]
    /// Channels of the probabilities this writer takes.
    public let classes: Int

    public var name: String { target.name }
    public var chunkSize: [Int]? { target.chunkSize }
    /// The probabilities' geometry (what `BlockSegmenter` checks); the target has the output's channels.
    public var geometry: VolumeGeometry { var g = target.geometry; g.channels = classes; g.sampleType = .float32; return g }

    /// Channels written for `classes` probabilities (1 for a sigmoid output).
    public static func channels(for output: Segmenter.Output, classes: Int) -> Int {
        output == .labels || classes <= 2 ? 1 : classes
    }

    public init(_ target: any VolumeWriting, output: Segmenter.Output, classes: Int, classValues: [Float]) throws {
        guard target.geometry.channels == Self.channels(for: output, classes: classes) else {
            throw PixelwiseError.file(path: target.name, problem: "has \(target.geometry.channels) channel(s); \(output) of \(classes) classes need \(Self.channels(for: output, classes: classes))")
        }
        self.target = target
        self.output = output
        self.classes = classes
        self.classValues = classValues
    }

    public func write(_ values: [Float], at box: VoxelBox) throws {
        let n = box.voxels
        let converted: [Float]
        switch output {
        case .labels:
            converted = (0..<n).map { i in
                if classes == 1 { return values[i] >= 0.5 ? classValues.last ?? 1 : 0 }
                var best = 0
                for k in 1..<classes where values[k * n + i] > values[best * n + i] { best = k }
                return classValues[best]
            }
        case .probabilities, .floatProbabilities:
            let scale: Float = output == .probabilities ? 255 : 1
            let kept = classes == 1 ? values : classes == 2 ? Array(values[n..<(2 * n)]) : values
            converted = scale == 1 ? kept : kept.map { ($0 * scale).rounded() }
        }
        try target.write(converted, at: box)
    }

    public func finish() throws { try target.finish() }
}
