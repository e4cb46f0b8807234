import PixelwiseCore

/// A volume with a model's intensity normalisation applied as boxes are read, so a network sees
/// what training fed it. Type-range and fixed-range scaling are per voxel, computed by the very
/// code that normalises images (`IntensityNormalisation.apply`); z-scores use the mean and
/// standard deviation of the whole volume's channel, computed once at `init` in one pass of
/// z-slabs (memory flat), so every box is normalised alike — what box-exact segmentation needs.
/// Percentile clipping would need the whole volume's order statistics and is refused.
public struct NormalisedVolume: VolumeReading {
    public let base: any VolumeReading
    public let normalisation: RawNormalisation
    /// Per channel, for z-scores: the whole volume's mean and 1 / standard deviation.
    let moments: [(mean: Double, scale: Double)?]

    public var name: String { base.name }
    public var geometry: VolumeGeometry { var g = base.geometry; g.sampleType = .float32; return g }

    public init(_ base: any VolumeReading, normalisation: RawNormalisation) throws {
        self.base = base
        self.normalisation = normalisation
        try normalisation.validate(channels: base.geometry.channels)
        moments = try (0..<base.geometry.channels).map { c in
            switch normalisation.intensity(forChannel: c) {
            case .typeRange, .fixedRange: return nil
            case .zScore(let nonZeroOnly):
                let (mean, std) = try Self.moments(of: base, channel: c, nonZeroOnly: nonZeroOnly)
                return (mean, 1 / max(std, 1e-8))
            case .percentile:
                throw PixelwiseError.file(path: base.name, problem: "percentile normalisation needs the whole volume's order statistics; volumes take type, range, zscore or zscore-nonzero")
            }
        }
    }

    /// Mean and population standard deviation of one channel over the whole volume, read a z-slab at a time.
    static func moments(of volume: any VolumeReading, channel: Int, nonZeroOnly: Bool) throws -> (Double, Double) {
        let s = volume.geometry.size, slab = max(1, (1 << 22) / max(1, s[1] * s[2] * volume.geometry.channels))
        var n = 0, sum = 0.0
        var z = 0
        // Two passes, as the image path computes them (mean first, then squared deviations).
        func slabs(_ body: (ArraySlice<Float>) -> Void) throws {
            z = 0
            while z < s[0] {
                let depth = min(slab, s[0] - z), per = depth * s[1] * s[2]
                let values = try volume.read(VoxelBox(origin: [z, 0, 0], size: [depth, s[1], s[2]]))
                body(values[(channel * per)..<((channel + 1) * per)])
                z += depth
            }
        }
        try slabs { for v in $0 where !nonZeroOnly || v != 0 { sum += Double(v); n += 1 } }
        guard n > 0 else { return (0, 1) }
        let mean = sum / Double(n)
        var squares = 0.0
        try slabs { for v in $0 where !nonZeroOnly || v != 0 { squares += (Double(v) - mean) * (Double(v) - mean) } }
        return (mean, (squares / Double(n)).squareRoot())
    }

    public func read(_ box: VoxelBox) throws -> [Float] {
        var values = try base.read(box)
        let per = box.voxels
        for c in 0..<geometry.channels {
            if let (mean, scale) = moments[c] {
                let nonZeroOnly = normalisation.intensity(forChannel: c) == .zScore(nonZeroOnly: true)
                for i in (c * per)..<((c + 1) * per) where !nonZeroOnly || values[i] != 0 {
                    values[i] = Float((Double(values[i]) - mean) * scale)
                }
            } else {
                normalisation.intensity(forChannel: c).apply(&values, start: c * per, stride: 1, count: per, typeMaximum: base.geometry.sampleType.maximum)
            }
        }
        return values
    }
}
