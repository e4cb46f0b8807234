import PixelwiseCore

/// Which random changes a training patch goes through, and how strong they are.
///
/// Order, per patch, all from one seeded generator:
///   1. geometric, identical for raw and labels: rotation by k·90° (k uniform in 0…3; only 0 or 2
///      for non-square patches, whose size must not change), left–right and top–bottom mirroring
///      (each with probability ½), elastic deformation;
///   2. intensity, raw only: CLAHE, Gaussian blur with σ ~ |N(0, blurSigma)|, brightness /
///      contrast / gamma jitter, per-patch normalisation.
/// The defaults are Tschopp's DS1 training setup (§6.6): rotations and mirroring only.
public struct Augmentation: Sendable, Equatable {
    public var rotate: Bool
    public var mirror: Bool
    /// `nil`: no elastic deformation.
    public var elastic: ElasticDeformation?
    /// `nil`: no CLAHE.
    public var clahe: CLAHE?
    /// Scale s of the blur's random σ ~ |N(0, s)| in pixels; 0: no blur.
    public var blurSigma: Float
    public var jitter: IntensityJitter
    public var normalisation: PatchNormalisation
    /// The range raw values are in (the loader's normalisation): CLAHE's histogram range and the
    /// jitter's clamp.
    public var range: ClosedRange<Float>

    public init(rotate: Bool = true, mirror: Bool = true, elastic: ElasticDeformation? = nil,
                clahe: CLAHE? = nil, blurSigma: Float = 0, jitter: IntensityJitter = IntensityJitter(),
                normalisation: PatchNormalisation = .none, range: ClosedRange<Float> = -1...1) {
        self.rotate = rotate
        self.mirror = mirror
        self.elastic = elastic
        self.clahe = clahe
        self.blurSigma = blurSigma
        self.jitter = jitter
        self.normalisation = normalisation
        self.range = range
    }

    /// No change at all.
    public static let none = Augmentation(rotate: false, mirror: false)

    /// Every augmentation switched on with moderate strengths.
    public static let all = Augmentation(
        rotate: true, mirror: true, elastic: ElasticDeformation(alpha: 2, sigma: 8),
        clahe: CLAHE(tilesX: 4, tilesY: 4, clipLimit: 2), blurSigma: 1,
        jitter: IntensityJitter(brightness: 0.1, contrast: 0.1, gamma: 0.1))

    /// Applies the geometric changes to raw and labels (which must have the same size) and the
    /// intensity changes to raw.
    public func apply(to pair: inout PatchPair, using rng: inout SeededGenerator) {
        applyGeometric(to: &pair, using: &rng)
        applyIntensity(to: &pair, using: &rng)
    }

    public func applyGeometric(to pair: inout PatchPair, using rng: inout SeededGenerator) {
        precondition(pair.labels.width == pair.width && pair.labels.height == pair.height,
                     "augmentation: labels \(pair.labels.width)×\(pair.labels.height) differ from raw \(pair.width)×\(pair.height)")
        if rotate {
            let square = pair.width == pair.height
            let k = square ? Int(rng.next() % 4) : 2 * Int(rng.next() % 2)
            pair.transformAll({ $0.rotated(quarterTurns: k) }, { $0.rotated(quarterTurns: k) })
        }
        if mirror {
            if rng.next() & 1 == 1 { pair.transformAll({ $0.flippedHorizontally() }, { $0.flippedHorizontally() }) }
            if rng.next() & 1 == 1 { pair.transformAll({ $0.flippedVertically() }, { $0.flippedVertically() }) }
        }
        elastic?.apply(to: &pair, using: &rng)
    }

    public func applyIntensity(to pair: inout PatchPair, using rng: inout SeededGenerator) {
        if let clahe {
            var c = clahe
            c.range = range
            pair.raw = pair.raw.map { c.apply(to: $0) }
        }
        if blurSigma > 0 {
            let sigma = abs(rng.nextNormal()) * blurSigma
            // Below ~0.3 px the 3-tap kernel is within 1e-5 of the identity: skip the work.
            if sigma >= 0.3 { pair.raw = pair.raw.map { GaussianBlur.blurred($0, sigma: sigma) } }
        }
        if !jitter.isIdentity {
            let d = jitter.draw(using: &rng)
            pair.raw = pair.raw.map { IntensityJitter.apply($0, shift: d.shift, factor: d.factor, gamma: d.gamma, range: range) }
        }
        if normalisation != .none { pair.raw = pair.raw.map { normalisation.apply(to: $0) } }
    }
}
