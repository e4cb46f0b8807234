import PixelwiseCore

/// A 3-D array of values along (z, y, x), z slowest: element (z, y, x) at
/// `values[(z · size[1] + y) · size[2] + x]`. The working form of 3-D patches (one grid per
/// channel) in sampling and augmentation, as `Plane` is in 2-D.
public struct Grid<T: Sendable>: Sendable {
    public var size: [Int]
    public var values: [T]

    public init(size: [Int], values: [T]) {
        precondition(size.count == 3 && values.count == size.reduce(1, *), "Grid: \(values.count) values for \(size)")
        self.size = size
        self.values = values
    }

    public subscript(z: Int, y: Int, x: Int) -> T {
        get { values[(z * size[1] + y) * size[2] + x] }
        set { values[(z * size[1] + y) * size[2] + x] = newValue }
    }

    /// The region `origin ..< origin + size` of a z-slowest array of `arraySize`, read outside
    /// the array by reflection (`Mirror.reflect`, numpy's "reflect") along each axis.
    public static func mirroredCrop(_ array: UnsafeBufferPointer<T>, arraySize: [Int], origin: [Int], size: [Int]) -> Grid<T> {
        let zs = (0..<size[0]).map { Mirror.reflect(origin[0] + $0, arraySize[0]) }
        let ys = (0..<size[1]).map { Mirror.reflect(origin[1] + $0, arraySize[1]) }
        let xs = (0..<size[2]).map { Mirror.reflect(origin[2] + $0, arraySize[2]) }
        var out = [T]()
        out.reserveCapacity(size.reduce(1, *))
        for z in zs {
            for y in ys {
                let row = (z * arraySize[1] + y) * arraySize[2]
                for x in xs { out.append(array[row + x]) }
            }
        }
        return Grid(size: size, values: out)
    }

    /// The centred region of `size` (the output region of a valid network).
    public func centreCropped(to size: [Int]) -> Grid<T> {
        precondition((0..<3).allSatisfy { size[$0] <= self.size[$0] && (self.size[$0] - size[$0]) % 2 == 0 }, "centre crop \(self.size) → \(size)")
        let o = (0..<3).map { (self.size[$0] - size[$0]) / 2 }
        return values.withUnsafeBufferPointer { Grid.mirroredCrop($0, arraySize: self.size, origin: o, size: size) }
    }
}

extension Grid: Equatable where T: Equatable {}

/// One training or evaluation volume: normalised raw values and the class of every voxel.
///
/// `raw` is channel-major (`channels` × D × H × W), normalised as `RawNormalisation` says, the
/// way 3-D segmentation normalises (`NormalisedVolume`: z-scores over the whole volume); `labels` holds class
/// indices 0…n−1 or `LabelMap.ignore`, D × H × W. Training holds its volumes in memory, as
/// 2-D training holds its images; they are read a slab of slices at a time.
public struct VolumeSample: Sendable, Equatable {
    public var raw: [Float]
    public var channels: Int
    public var labels: [Int32]
    /// (D, H, W).
    public var size: [Int]
    /// Voxel spacing along (z, y, x).
    public var spacing: [Double]
    public var name: String

    public init(raw: [Float], channels: Int, labels: [Int32], size: [Int], spacing: [Double] = [1, 1, 1], name: String) {
        let voxels = size.reduce(1, *)
        precondition(raw.count == channels * voxels && labels.count == voxels, "VolumeSample \(name): \(raw.count) raw values, \(labels.count) labels for \(channels) × \(size)")
        self.raw = raw
        self.channels = channels
        self.labels = labels
        self.size = size
        self.spacing = spacing
        self.name = name
    }

    public var voxels: Int { size.reduce(1, *) }

    /// Reads a raw volume and its label volume (which must have its size and one channel),
    /// normalises the raw values (`normalised`) and maps the labels through `labelMap`.
    public static func load(raw: any VolumeReading, labels: any VolumeReading, labelMap: LabelMap,
                            normalisation: RawNormalisation) throws -> VolumeSample {
        guard raw.geometry.size == labels.geometry.size else {
            func s(_ v: [Int]) -> String { v.map(String.init).joined(separator: "×") }
            throw PixelwiseError.file(path: raw.name, problem: "volume is \(s(raw.geometry.size)) (z×y×x) but its labels \(labels.name) are \(s(labels.geometry.size))")
        }
        let classes = try VolumeSources.classes(of: labels, labelMap: labelMap)
        let (values, channels) = try normalised(raw, normalisation: normalisation)
        return VolumeSample(raw: values, channels: channels, labels: classes, size: raw.geometry.size,
                            spacing: raw.geometry.spacing, name: raw.name)
    }

    /// The whole volume normalised as segmentation normalises it (`NormalisedVolume`: per voxel
    /// for the type and fixed ranges, z-scores over the whole volume's channel), channel-major,
    /// read a slab of slices at a time; and its channel count. A volume's channels are taken as
    /// stored: a channel choice that would change their number is a one-line error.
    public static func normalised(_ volume: any VolumeReading, normalisation: RawNormalisation) throws -> (values: [Float], channels: Int) {
        let g = volume.geometry
        let channels = normalisation.outputChannels(stored: g.channels)
        guard channels == g.channels else {
            throw PixelwiseError.file(path: volume.name, problem: "has \(g.channels) channel(s), but the channel choice \(normalisation.channels.rawValue) gives \(channels): a volume's channels are taken as stored (--channels stored)")
        }
        let normalised = try NormalisedVolume(volume, normalisation: normalisation)
        let plane = g.size[1] * g.size[2]
        let slab = max(1, (1 << 22) / max(1, plane * channels))
        var out = [Float](repeating: 0, count: channels * g.voxels)
        for z in stride(from: 0, to: g.size[0], by: slab) {
            let depth = min(slab, g.size[0] - z)
            let values = try normalised.read(VoxelBox(origin: [z, 0, 0], size: [depth, g.size[1], g.size[2]]))
            for c in 0..<channels {
                let from = c * depth * plane, to = (c * g.size[0] + z) * plane
                out.replaceSubrange(to ..< to + depth * plane, with: values[from ..< from + depth * plane])
            }
        }
        return (out, channels)
    }

    /// Raw channel `channel` over `origin ..< origin + size`, mirrored outside the volume.
    public func mirroredRaw(channel: Int, origin: [Int], size: [Int]) -> Grid<Float> {
        raw.withUnsafeBufferPointer { all in
            Grid.mirroredCrop(UnsafeBufferPointer(rebasing: all[channel * voxels ..< (channel + 1) * voxels]),
                              arraySize: self.size, origin: origin, size: size)
        }
    }

    /// Labels over `origin ..< origin + size`, mirrored outside the volume.
    public func mirroredLabels(origin: [Int], size: [Int]) -> Grid<Int32> {
        labels.withUnsafeBufferPointer { Grid.mirroredCrop($0, arraySize: self.size, origin: origin, size: size) }
    }
}

/// The sizes a 3-D network takes and gives, along (z, y, x): the input extends the output by
/// the context on each side (0 for same-padding networks).
public struct VolumePatchGeometry: Sendable, Equatable {
    public let input: [Int]
    public let output: [Int]

    public init(input: [Int], output: [Int]) throws {
        guard input.count == 3, output.count == 3, input.allSatisfy({ $0 > 0 }), output.allSatisfy({ $0 > 0 }) else {
            throw PixelwiseError.invalidArgument("3-D patch sizes must be three positive numbers: input \(input), output \(output)")
        }
        guard (0..<3).allSatisfy({ input[$0] >= output[$0] && (input[$0] - output[$0]) % 2 == 0 }) else {
            throw PixelwiseError.invalidArgument("3-D patch input \(input) and output \(output): the input must exceed the output by an even amount along each axis")
        }
        self.input = input
        self.output = output
    }

    /// Voxels of mirrored context on each side, per axis.
    public var context: [Int] { (0..<3).map { (input[$0] - output[$0]) / 2 } }
}
