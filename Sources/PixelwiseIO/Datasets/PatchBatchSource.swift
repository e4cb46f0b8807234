import PixelwiseCore

/// One training batch: B patches with their labels.
public struct Batch: Sendable {
    /// Position of the batch in the training sequence.
    public let index: Int
    /// Raw patches, [B, C, inputHeight, inputWidth].
    public let raw: Tensor
    /// Class index of every output pixel as a float (−1 = ignore), [B, outputHeight, outputWidth].
    public let labels: Tensor
    /// The same classes as integers, row-major over [B, outputHeight, outputWidth].
    public let classes: [Int32]
}

extension SeededGenerator {
    /// The generator of training batch `index` of a run seeded `seed` (2-D and 3-D batch
    /// sources): SplitMix-style mixing of seed and index, so that neighbouring seeds do not share
    /// shifted batch sequences, and batch k depends only on (seed, k).
    public static func forBatch(_ index: Int, seed: UInt64) -> SeededGenerator {
        SeededGenerator(seed: seed ^ (UInt64(truncatingIfNeeded: index) &+ 1) &* 0xD1B5_4A32_D192_ED03)
    }
}

/// Cuts training batches out of in-memory samples: random output windows (uniform over every
/// window position, or weighted by the patch prior), their input regions mirrored at the image
/// border by the network's context, augmented, and stacked into tensors.
///
/// Batch k depends only on (seed, k): its generator is seeded from the seed and the batch index,
/// so a prefetching thread, a resumed run and the synchronous path give the same batches.
public struct PatchBatchSource: Sendable {
    public let samples: [Sample]
    public let geometry: PatchGeometry
    public let batchSize: Int
    public var augmentation: Augmentation
    /// `nil`: windows are drawn uniformly.
    public let prior: PatchPrior?
    public var seed: UInt64
    public let channels: Int

    public init(samples: [Sample], geometry: PatchGeometry, batchSize: Int, augmentation: Augmentation = Augmentation(),
                prior: PatchPrior? = nil, seed: UInt64) throws {
        guard let first = samples.first else { throw PixelwiseError.invalidArgument("patch sampling: no samples") }
        guard batchSize > 0 else { throw PixelwiseError.invalidArgument("patch sampling: batch size \(batchSize)") }
        if let odd = samples.first(where: { $0.raw.channels != first.raw.channels }) {
            throw PixelwiseError.invalidArgument("patch sampling: \(odd.name) has \(odd.raw.channels) channels, \(first.name) has \(first.raw.channels)")
        }
        if let prior, prior.windowWidth != geometry.outputWidth || prior.windowHeight != geometry.outputHeight {
            throw PixelwiseError.invalidArgument("patch prior windows are \(prior.windowWidth)×\(prior.windowHeight), network output is \(geometry.outputWidth)×\(geometry.outputHeight)")
        }
        self.samples = samples
        self.geometry = geometry
        self.batchSize = batchSize
        self.augmentation = augmentation
        self.prior = prior
        self.seed = seed
        self.channels = first.raw.channels
    }

    /// The generator of batch `index` (`SeededGenerator.forBatch`).
    public func generator(forBatch index: Int) -> SeededGenerator { .forBatch(index, seed: seed) }

    /// Draws an output window uniformly over all window positions of all images.
    func drawUniform(using rng: inout SeededGenerator) -> (image: Int, x: Int, y: Int) {
        let counts = samples.map { (max(0, $0.width - geometry.outputWidth) + 1) * (max(0, $0.height - geometry.outputHeight) + 1) }
        var k = Int(rng.next() % UInt64(counts.reduce(0, +)))
        var image = 0
        while k >= counts[image] { k -= counts[image]; image += 1 }
        let columns = max(0, samples[image].width - geometry.outputWidth) + 1
        return (image, k % columns, k / columns)
    }

    /// The augmented patch whose output window has top-left (x, y) in sample `image`: raw planes
    /// of input size, labels of output size.
    public func patch(image: Int, x: Int, y: Int, using rng: inout SeededGenerator) -> PatchPair {
        let s = samples[image]
        let x0 = x - geometry.contextX, y0 = y - geometry.contextY
        let w = geometry.inputWidth, h = geometry.inputHeight
        var pair = PatchPair(raw: (0..<channels).map { s.mirroredRaw(channel: $0, x0: x0, y0: y0, width: w, height: h) },
                             labels: s.mirroredLabels(x0: x0, y0: y0, width: w, height: h))
        augmentation.apply(to: &pair, using: &rng)
        pair.labels = pair.labels.centreCropped(width: geometry.outputWidth, height: geometry.outputHeight)
        return pair
    }

    /// Batch `index`.
    public func batch(_ index: Int) -> Batch {
        var rng = generator(forBatch: index)
        let inCount = channels * geometry.inputWidth * geometry.inputHeight
        let outCount = geometry.outputWidth * geometry.outputHeight
        var raw = [Float](repeating: 0, count: batchSize * inCount)
        var classes = [Int32](repeating: 0, count: batchSize * outCount)
        for b in 0..<batchSize {
            let (image, x, y) = prior?.draw(using: &rng) ?? drawUniform(using: &rng)
            let pair = patch(image: image, x: x, y: y, using: &rng)
            for (c, plane) in pair.raw.enumerated() {
                let start = b * inCount + c * plane.values.count
                raw.replaceSubrange(start ..< start + plane.values.count, with: plane.values)
            }
            classes.replaceSubrange(b * outCount ..< (b + 1) * outCount, with: pair.labels.values)
        }
        return Batch(index: index,
                     raw: Tensor(shape: [batchSize, channels, geometry.inputHeight, geometry.inputWidth], scalars: raw),
                     labels: Tensor(shape: [batchSize, geometry.outputHeight, geometry.outputWidth], scalars: classes.map(Float.init)),
                     classes: classes)
    }
}

extension Batch {
    /// Share `part` of `parts` equal shares of the batch's patches (data-parallel training:
    /// process r of n trains on share r, so the n processes together see exactly the batch one
    /// process would). The batch size must be a multiple of `parts`.
    public func share(_ part: Int, of parts: Int) -> Batch {
        let size = raw.shape[0]
        precondition(parts >= 1 && part >= 0 && part < parts && size % parts == 0, "batch of \(size): share \(part) of \(parts)")
        if parts == 1 { return self }
        let n = size / parts
        func slice(_ t: Tensor) -> Tensor {
            let per = t.count / size
            var shape = t.shape.dims
            shape[0] = n
            let values = t.inLayout(.rowMajor).withUnsafeBufferPointer { Array($0[part * n * per ..< (part + 1) * n * per]) }
            return Tensor(shape: Shape(shape), scalars: values)
        }
        let per = classes.count / size
        return Batch(index: index, raw: slice(raw), labels: slice(labels),
                     classes: Array(classes[part * n * per ..< (part + 1) * n * per]))
    }
}
