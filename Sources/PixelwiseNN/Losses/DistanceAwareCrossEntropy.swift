import PixelwiseAlgorithms
#if canImport(Glibc)
import Glibc
import PixelwiseCore
#endif

/// Distance-aware cross-entropy (MagmaDNN's L_det, seed 001; CenterNet's penalty-reduced focal loss):
///
/// L = −(1/Σ_p w_p) Σ_p w_p · { (1 − q_p)^α log q_p                     if y_p = 1 (foreground)
///                           { (1 − g_p)^β q_p^α log(1 − q_p)          otherwise
///
/// q_p = σ(z_p) is the foreground probability (`BinaryLogits`: 1-channel sigmoid or 2-channel
/// softmax output), g_p = exp(−d_p² / 2σ²) a Gaussian of the distance d_p from pixel p to the
/// nearest foreground pixel, and w_p the pixel weight (0 for ignored pixels). Background pixels near
/// the foreground are thus forgiven (g → 1), far ones count fully; α focuses on hard pixels as in the
/// focal loss. With α = β = 0 this is `BinaryCrossEntropy`.
///
/// Gradient with respect to z (dq/dz = q(1 − q)):
///   foreground: dL/dz = α q (1 − q)^α log q − (1 − q)^(α+1)
///   background: dL/dz = (1 − g)^β [q^(α+1) − α q^α (1 − q) log(1 − q)]
/// each times w_p / Σ w.
///
/// The distances are computed once per label image, by an exact linear-time Euclidean distance
/// transform, and cached with the background weights (1 − g)^β: MagmaDNN recomputed them every step
/// and gave up on the loss. The cache is keyed by the label image's content, so repeated images
/// (whole-image training, fixed patches, validation) cost a hash and a compare. Distances given in
/// `Target.foregroundSquaredDistances` (computed once on the whole label image by the data source and
/// cropped with the patch) take precedence and are not cached. Its cost next to a training step:
/// `pixelwise-benchmarks distance-aware-loss`, docs/performance.md. An image without foreground has
/// d = ∞, so every pixel counts fully.
public struct DistanceAwareCrossEntropy: Loss {
    /// σ of the Gaussian, in pixels.
    public var sigma: Float
    /// Focusing exponent α (0: none; CenterNet uses 2).
    public var alpha: Float
    /// Exponent β of the background weight (1 − g)^β (CenterNet uses 4).
    public var beta: Float
    public var ignoreLabel: Int32?
    /// How many label images the cache keeps (oldest dropped first).
    public var cacheCapacity: Int

    private var cache: [Int: [CacheEntry]] = [:]
    private var cacheOrder: [Int] = []
    /// Distance transforms computed so far (cache misses): tests check the cache with it.
    public private(set) var transformsComputed = 0

    private struct CacheEntry {
        let labels: [Int32]
        let backgroundWeights: [Float]
    }

    public init(sigma: Float = 5, alpha: Float = 2, beta: Float = 4, ignoreLabel: Int32? = nil, cacheCapacity: Int = 1024) {
        self.sigma = sigma
        self.alpha = alpha
        self.beta = beta
        self.ignoreLabel = ignoreLabel
        self.cacheCapacity = cacheCapacity
    }

    /// (1 − exp(−d²/2σ²))^β for squared distances d².
    func backgroundWeights(squaredDistances d2: [Float]) -> [Float] {
        let k = -1 / (2 * sigma * sigma)
        return d2.map { d2 in
            let g = d2.isFinite ? expf(k * d2) : 0
            if beta == 4 { let h = (1 - g) * (1 - g); return h * h }
            return beta == 0 ? 1 : powf(1 - g, beta)
        }
    }

    /// Background weights of one label image, from the cache or a fresh distance transform.
    mutating func backgroundWeights(labels: ArraySlice<Int32>, extents: [Int]) -> [Float] {
        var hasher = Hasher()
        labels.withUnsafeBytes { hasher.combine(bytes: $0) }
        let key = hasher.finalize()
        if let hit = cache[key]?.first(where: { $0.labels.elementsEqual(labels) }) { return hit.backgroundWeights }
        transformsComputed += 1
        // extents are (…, H, W) outermost first; PixelwiseAlgorithms takes width, height, depth.
        let spatial = Array(extents.suffix(3))
        let (w, h, d) = (spatial[spatial.count - 1], spatial.count > 1 ? spatial[spatial.count - 2] : 1, spatial.count > 2 ? spatial[0] : 1)
        let d2 = squaredDistanceToNearest(foreground: labels.map { $0 == 1 }, width: w, height: h, depth: d)
        let weights = backgroundWeights(squaredDistances: d2)
        cache[key, default: []].append(CacheEntry(labels: Array(labels), backgroundWeights: weights))
        cacheOrder.append(key)
        while cacheOrder.count > max(cacheCapacity, 0) {
            let old = cacheOrder.removeFirst()
            cache[old]?.removeFirst()
            if cache[old]?.isEmpty == true { cache[old] = nil }
        }
        return weights
    }

    /// x^a, by multiplication for the usual a = 0, 1, 2 (powf costs as much as the rest of a pixel).
    @inline(__always) static func power(_ x: Float, _ a: Float) -> Float {
        switch a {
        case 0: 1
        case 1: x
        case 2: x * x
        default: powf(x, a)
        }
    }

    public mutating func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
        try checkTarget(output, target)
        guard sigma > 0, alpha >= 0, beta >= 0 else {
            throw PixelwiseError.invalidArgument("distance-aware cross-entropy: σ = \(sigma) must be > 0, α = \(alpha) and β = \(beta) ≥ 0")
        }
        let weighting = PixelWeighting(ignoreLabel: ignoreLabel)
        try BinaryLogits.checkBinary(target, weighting)
        let z = try BinaryLogits.logits(output)
        let w = try weighting.weights(for: target, classes: 2)
        let background: [Float]
        if let d2 = target.foregroundSquaredDistances {
            guard d2.count == z.count else {
                throw PixelwiseError.shapeMismatch("distance-aware cross-entropy: \(d2.count) distances for \(z.count) pixels")
            }
            background = backgroundWeights(squaredDistances: d2)
        } else {
            let extents = output.shape.spatial, perImage = extents.reduce(1, *)
            var all = [Float]()
            all.reserveCapacity(z.count)
            for n in 0..<output.shape[0] {
                all += backgroundWeights(labels: target.labels[n * perImage..<(n + 1) * perImage], extents: extents)
            }
            background = all
        }
        var dz = [Float](repeating: 0, count: z.count)
        var total = 0.0, weightSum = 0.0
        let a = alpha
        for p in 0..<z.count where w[p] != 0 {
            // One exp and one log1p per pixel: with e = exp(−|z|), σ(z) = 1/(1+e) or e/(1+e),
            // log σ(z) = −(max(−z, 0) + log1p(e)), log(1 − σ(z)) = −(max(z, 0) + log1p(e)).
            let zp = z[p], e = expf(-abs(zp)), l1p = log1pf(e), inv = 1 / (1 + e)
            let q = zp >= 0 ? inv : e * inv, r = zp >= 0 ? e * inv : inv
            let logQ = -(max(-zp, 0) + l1p), logR = -(max(zp, 0) + l1p)
            let l: Float, d: Float
            if target.labels[p] == 1 {
                let ra = Self.power(r, a)
                l = -ra * logQ
                d = a * q * ra * logQ - ra * r
            } else {
                let qa = Self.power(q, a)
                l = -background[p] * qa * logR
                d = background[p] * (qa * q - a * qa * r * logR)
            }
            total += Double(w[p] * l)
            weightSum += Double(w[p])
            dz[p] = w[p] * d
        }
        guard weightSum > 0 else { return (0, Tensor(zeros: output.shape)) }
        let scale = Float(1 / weightSum)
        for p in 0..<dz.count { dz[p] *= scale }
        return (Float(total / weightSum), BinaryLogits.gradient(dz, like: output))
    }
}
