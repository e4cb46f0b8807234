import PixelwiseCore

/// A dataset of an HDF5 file (`FILE.h5:/DATASET`) read as a volume, a hyperslab per box:
///
/// - [D,H,W]: a one-channel volume (CREMI's `/volumes/raw`); [H,W]: depth 1;
/// - [C,D,H,W] or [D,H,W,C]: channels along the first or the last axis. The channel axis is the
///   last when it holds at most 16 values and fewer than half of the axis before it (an RGB or
///   few-channel volume written z, y, x, c), else the first when that holds at most 16 values
///   (PyTorch's and PyTorch Connectomics' c, z, y, x); anything else is an error that names the
///   shape. A 4-D dataset with one channel is therefore read correctly either way.
///
/// Sample type (which fixes the normalisation) by the rule 2-D training uses
/// (`HDF5Volume.sampleType`): 8- and 16-bit integers are uint8 and uint16; wider integers and
/// floats go by their values, which opening scans a slab at a time (memory stays flat). Integers
/// wider than 16 bits are read as 64-bit and must be exact in float32 (at most 2²⁴).
///
/// Spacing from the dataset's `resolution` attribute (CREMI, z, y, x in nm) or `element_size_um`
/// (Fiji, ilastik; z, y, x in µm), else 1.
public struct HDF5DatasetVolume: VolumeReading {
    public let file: String
    public let dataset: String
    public private(set) var geometry: VolumeGeometry
    /// The dataset's shape as stored.
    public let shape: [Int]
    /// nil: no channel axis; 0: [C,D,H,W]; 3: [D,H,W,C].
    public let channelAxis: Int?
    let integers: (bytes: Int, signed: Bool)?

    public var name: String { file + ":" + dataset }

    /// Opens `file`'s dataset `dataset` (both as in `FILE.h5:/DATASET`).
    public init(file: String, dataset: String) throws {
        self.file = file
        self.dataset = HDF5File.normalised(dataset)
        let h5 = try HDF5File(reading: file)
        defer { h5.close() }
        shape = try h5.shape(at: dataset)
        integers = try h5.integerLayout(at: dataset)
        let name = file + ":" + self.dataset
        let channels: Int, size: [Int]
        switch shape.count {
        case 2: (channelAxis, channels, size) = (nil, 1, [1, shape[0], shape[1]])
        case 3: (channelAxis, channels, size) = (nil, 1, shape)
        case 4:
            if shape[3] <= 16 && 2 * shape[3] < shape[2] {
                (channelAxis, channels, size) = (3, shape[3], Array(shape[0..<3]))
            } else if shape[0] <= 16 {
                (channelAxis, channels, size) = (0, shape[0], Array(shape[1..<4]))
            } else {
                throw PixelwiseError.file(path: name, problem: "has shape \(Shape(shape)): no axis reads as channels (at most 16 values, first or last); store it as [C,D,H,W]")
            }
        default:
            throw PixelwiseError.file(path: name, problem: "has shape \(Shape(shape)), expected [D,H,W], [H,W], [C,D,H,W] or [D,H,W,C]")
        }
        guard size.allSatisfy({ $0 > 0 }), channels > 0 else { throw PixelwiseError.file(path: name, problem: "is empty (shape \(Shape(shape)))") }
        var spacing = [1.0, 1, 1]
        for attribute in ["resolution", "element_size_um"] {
            if let values = try h5.numericAttribute(attribute, at: dataset), values.count >= 3, values.suffix(3).allSatisfy({ $0 > 0 }) {
                spacing = Array(values.suffix(3))
                break
            }
        }
        let sampleType: SampleType
        switch integers?.bytes {
        case 1?: sampleType = .uint8
        case 2?: sampleType = .uint16
        default: sampleType = .float32  // decided below by the values
        }
        geometry = VolumeGeometry(channels: channels, size: size, spacing: spacing, sampleType: sampleType)
        if integers == nil || integers!.bytes > 2 {
            // The values decide: all integers up to 255 → uint8, up to 65535 → uint16, else float32.
            var integral = true, largest: Float = 0
            for z in 0..<size[0] {
                let values = try read(VoxelBox(origin: [z, 0, 0], size: [1, size[1], size[2]]))
                for v in values {
                    if v < 0 || v != v.rounded() { integral = false }
                    largest = max(largest, v)
                }
            }
            geometry.sampleType = integral && largest <= 255 ? .uint8 : integral && largest <= 65535 ? .uint16 : .float32
        }
    }

    public func read(_ box: VoxelBox) throws -> [Float] {
        guard box.isInside(geometry.size) else { throw VolumeBoxes.outside(box, of: self) }
        let channels = geometry.channels
        let start: [Int], count: [Int]
        switch (shape.count, channelAxis) {
        case (2, _): (start, count) = (Array(box.origin[1...]), Array(box.size[1...]))
        case (_, 0?): (start, count) = ([0] + box.origin, [channels] + box.size)
        case (_, 3?): (start, count) = (box.origin + [0], box.size + [channels])
        default: (start, count) = (box.origin, box.size)
        }
        let h5 = try HDF5File(reading: file)
        defer { h5.close() }
        var values: [Float]
        switch integers {
        case let (bytes, signed)? where bytes > 2 && signed:
            let wide = try h5.readRegion(Int64.self, at: dataset, start: start, count: count)
            try HDF5Volume.checkExact(wide.lazy.map { $0.magnitude }, path: file, dataset: dataset)
            values = wide.map { Float($0) }
        case let (bytes, _)? where bytes > 2:
            let wide = try h5.readRegion(UInt64.self, at: dataset, start: start, count: count)
            try HDF5Volume.checkExact(wide.lazy, path: file, dataset: dataset)
            values = wide.map { Float($0) }
        default:
            values = try h5.readRegion(Float.self, at: dataset, start: start, count: count)
        }
        if channelAxis == 3 && channels > 1 {  // [z][y][x][c] → [c][z][y][x]
            let n = box.voxels
            var planar = [Float](repeating: 0, count: values.count)
            for i in 0..<n { for c in 0..<channels { planar[c * n + i] = values[i * channels + c] } }
            values = planar
        }
        return values
    }
}
