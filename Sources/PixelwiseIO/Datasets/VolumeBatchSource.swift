import PixelwiseCore

/// A 3-D training patch: one grid per raw channel and the labels, all of one size.
public struct VolumePatch: Sendable, Equatable {
    public var raw: [Grid<Float>]
    public var labels: Grid<Int32>

    public init(raw: [Grid<Float>], labels: Grid<Int32>) {
        self.raw = raw
        self.labels = labels
    }

    public var size: [Int] { raw.first?.size ?? labels.size }

    /// Applies a geometric transform to every raw grid and to the labels.
    public mutating func transformAll(_ raw: (Grid<Float>) -> Grid<Float>, _ labels: (Grid<Int32>) -> Grid<Int32>) {
        self.raw = self.raw.map(raw)
        self.labels = labels(self.labels)
    }
}

/// Cuts 3-D training batches out of in-memory volumes, as `PatchBatchSource` does in 2-D: random
/// output windows (uniform over every window position of every volume, or weighted by the patch
/// prior per voxel), their input regions mirrored at the volume borders by the network's context,
/// augmented (`VolumeAugmentation`), and stacked into [B, C, D, H, W] tensors with labels
/// [B, d, h, w].
///
/// Batch k depends only on (seed, k), with the same generator as in 2-D, so a prefetching
/// thread, a resumed run and the synchronous path give the same batches.
public struct VolumeBatchSource: Sendable {
    public let samples: [VolumeSample]
    public let geometry: VolumePatchGeometry
    public let batchSize: Int
    public var augmentation: VolumeAugmentation
    public let prior: VolumePatchPrior?
    public var seed: UInt64
    public let channels: Int

    public init(samples: [VolumeSample], geometry: VolumePatchGeometry, batchSize: Int, augmentation: VolumeAugmentation = VolumeAugmentation(),
                prior: VolumePatchPrior? = nil, seed: UInt64) throws {
        guard let first = samples.first else { throw PixelwiseError.invalidArgument("patch sampling: no volumes") }
        guard batchSize > 0 else { throw PixelwiseError.invalidArgument("patch sampling: batch size \(batchSize)") }
        if let odd = samples.first(where: { $0.channels != first.channels }) {
            throw PixelwiseError.invalidArgument("patch sampling: \(odd.name) has \(odd.channels) channels, \(first.name) has \(first.channels)")
        }
        if let prior, prior.window != geometry.output {
            throw PixelwiseError.invalidArgument("patch prior windows are \(prior.window), network output is \(geometry.output)")
        }
        self.samples = samples
        self.geometry = geometry
        self.batchSize = batchSize
        self.augmentation = augmentation
        self.prior = prior
        self.seed = seed
        channels = first.channels
    }

    /// The generator of batch `index`: the 2-D sources' (`SeededGenerator.forBatch`).
    public func generator(forBatch index: Int) -> SeededGenerator { .forBatch(index, seed: seed) }

    /// An output window drawn uniformly over all window positions of all volumes.
    func drawUniform(using rng: inout SeededGenerator) -> (volume: Int, origin: [Int]) {
        let per = samples.map { s in (0..<3).map { max(0, s.size[$0] - geometry.output[$0]) + 1 } }
        let counts = per.map { $0.reduce(1, *) }
        var k = Int(rng.next() % UInt64(counts.reduce(0, +)))
        var volume = 0
        while k >= counts[volume] { k -= counts[volume]; volume += 1 }
        let p = per[volume]
        return (volume, [k / (p[1] * p[2]), k / p[2] % p[1], k % p[2]])
    }

    /// The augmented patch whose output window has corner `origin` in volume `volume`: raw grids
    /// of input size, labels of output size.
    public func patch(volume: Int, origin: [Int], using rng: inout SeededGenerator) -> VolumePatch {
        let s = samples[volume]
        let start = (0..<3).map { origin[$0] - geometry.context[$0] }
        var patch = VolumePatch(raw: (0..<channels).map { s.mirroredRaw(channel: $0, origin: start, size: geometry.input) },
                                labels: s.mirroredLabels(origin: start, size: geometry.input))
        augmentation.apply(to: &patch, using: &rng)
        patch.labels = patch.labels.centreCropped(to: geometry.output)
        return patch
    }

    /// Batch `index`.
    public func batch(_ index: Int) -> Batch {
        var rng = generator(forBatch: index)
        let inCount = channels * geometry.input.reduce(1, *)
        let outCount = geometry.output.reduce(1, *)
        var raw = [Float](repeating: 0, count: batchSize * inCount)
        var classes = [Int32](repeating: 0, count: batchSize * outCount)
        for b in 0..<batchSize {
            let (volume, origin) = prior?.draw(using: &rng) ?? drawUniform(using: &rng)
            let patch = patch(volume: volume, origin: origin, using: &rng)
            for (c, grid) in patch.raw.enumerated() {
                let start = b * inCount + c * grid.values.count
                raw.replaceSubrange(start ..< start + grid.values.count, with: grid.values)
            }
            classes.replaceSubrange(b * outCount ..< (b + 1) * outCount, with: patch.labels.values)
        }
        return Batch(index: index,
                     raw: Tensor(shape: Shape([batchSize, channels] + geometry.input), scalars: raw),
                     labels: Tensor(shape: Shape([batchSize] + geometry.output), scalars: classes.map(Float.init)),
                     classes: classes)
    }
}
