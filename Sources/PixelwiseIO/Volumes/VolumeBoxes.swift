import PixelwiseCore

/// Moving boxes of values between 2-D images (channels interleaved) and the channel-major boxes
/// `VolumeReading.read` returns.
enum VolumeBoxes {
    /// Copies rows y of `box`, columns x of `box`, of `image` (one slice, interleaved channels)
    /// into `out` (channel-major over `box.size`) at box depth `dz`.
    static func copy(_ image: Image, box: VoxelBox, depthIndex dz: Int, into out: inout [Float]) {
        let (d, h, w) = (box.size[0], box.size[1], box.size[2])
        let (y0, x0) = (box.origin[1], box.origin[2])
        let channels = image.channels
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    for y in 0..<h {
                        let from = ((y0 + y) * image.width + x0) * channels + c
                        let to = ((c * d + dz) * h + y) * w
                        for x in 0..<w { dst[to + x] = src[from + x * channels] }
                    }
                }
            }
        }
    }

    /// The error for a box outside a volume.
    static func outside(_ box: VoxelBox, of volume: some VolumeReading) -> PixelwiseError {
        let s = volume.geometry.size
        return .file(path: volume.name, problem: "the box \(box) is not inside the volume (\(s[0])×\(s[1])×\(s[2]), z×y×x)")
    }
}

/// A volume whose voxel spacing is given rather than read from its file (`--spacing z,y,x`).
public struct RespacedVolume: VolumeReading {
    public let base: any VolumeReading
    public let geometry: VolumeGeometry
    public var name: String { base.name }

    public init(_ base: any VolumeReading, spacing: [Double]) {
        self.base = base
        var geometry = base.geometry
        geometry.spacing = spacing
        self.geometry = geometry
    }

    public func read(_ box: VoxelBox) throws -> [Float] { try base.read(box) }
}

extension LabelMap {
    /// The classes of a box of label values (one channel, as `VolumeReading.read` gives them,
    /// z slowest). Instance ids (`instances`) become boundary/interior targets section by
    /// section (4-neighbours within each z slice, the convention for serial-section EM).
    /// Throws `PixelwiseError.file` naming `name` and the first unmapped value with its voxel.
    public func apply(toBox values: [Float], size: [Int], name: String) throws -> [Int32] {
        precondition(values.count == size.reduce(1, *), "LabelMap.apply(toBox:): \(values.count) values for \(size)")
        let plane = size[1] * size[2]
        if instances != nil {
            var out = [Int32]()
            out.reserveCapacity(values.count)
            for z in 0..<size[0] {
                let slice = Image(width: size[2], height: size[1], channels: 1, sampleType: .float32,
                                  pixels: Array(values[z * plane ..< (z + 1) * plane]))
                out += try apply(to: slice, name: name)
            }
            return out
        }
        var out = [Int32](repeating: 0, count: values.count)
        // Label volumes hold few distinct values: cache the last lookup.
        var lastValue = Float.nan, lastClass: Int32 = 0
        for (i, v) in values.enumerated() {
            if v != lastValue {
                guard let c = classIndex(of: v) else {
                    throw PixelwiseError.file(path: name, problem: "label value \(Self.formatted(v)) at voxel (z \(i / plane), y \(i % plane / size[2]), x \(i % size[2])) has no class in the label map")
                }
                lastValue = v
                lastClass = c
            }
            out[i] = lastClass
        }
        return out
    }
}
