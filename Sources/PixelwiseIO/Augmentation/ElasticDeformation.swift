import PixelwiseCore

/// Elastic deformation (Simard et al. 2003), the augmentation Tschopp (§4.2, §7) names as the one
/// with most potential for EM images, and U-Net's main one.
///
/// A displacement field (dx, dy) is drawn as independent N(0, 1) values, smoothed by a Gaussian
/// of `sigma` pixels, rescaled so that its root-mean-square length is 1, and multiplied by
/// `alpha`: alpha is the RMS displacement in pixels, sigma its correlation length. Each output
/// pixel (x, y) reads the input at (x + dx, y + dy), mirrored at the patch border: raw planes by
/// bilinear interpolation, labels by the nearest pixel (labels must stay class indices).
///
/// The smoothed field has no detail below σ, so it is drawn on a grid of step s = ⌊σ/2⌋ (s ≥ 1),
/// smoothed there with σ/s, and interpolated bilinearly to every pixel: the same kind of field
/// for s² times less noise and smoothing work (a 256² patch with σ = 8: 64² noise values).
public struct ElasticDeformation: Sendable, Equatable {
    public var alpha: Float
    public var sigma: Float

    public init(alpha: Float, sigma: Float) {
        self.alpha = alpha
        self.sigma = sigma
    }

    /// A displacement field for a `width` × `height` patch: (dx, dy), each row-major.
    public func field(width: Int, height: Int, using rng: inout SeededGenerator) -> (dx: [Float], dy: [Float]) {
        let step = max(1, Int(sigma / 2))
        let cw = (width - 1) / step + 2, ch = (height - 1) / step + 2
        func smoothNoise(_ rng: inout SeededGenerator) -> [Float] {
            let coarse = GaussianBlur.blurred(Plane(width: cw, height: ch, values: (0..<cw * ch).map { _ in rng.nextNormal() }),
                                              sigma: sigma / Float(step))
            var out = [Float](repeating: 0, count: width * height)
            let inv = 1 / Float(step)
            for y in 0..<height {
                let gy = y / step, fy = Float(y % step) * inv
                for x in 0..<width {
                    let gx = x / step, fx = Float(x % step) * inv
                    let top = coarse[gx, gy] * (1 - fx) + coarse[gx + 1, gy] * fx
                    let bottom = coarse[gx, gy + 1] * (1 - fx) + coarse[gx + 1, gy + 1] * fx
                    out[y * width + x] = top * (1 - fy) + bottom * fy
                }
            }
            return out
        }
        let dx = smoothNoise(&rng), dy = smoothNoise(&rng)
        let n = width * height
        var sumSquares: Double = 0
        for i in 0..<n { sumSquares += Double(dx[i] * dx[i] + dy[i] * dy[i]) }
        let rms = Float((sumSquares / Double(max(n, 1))).squareRoot())
        let scale = rms > 0 ? alpha / rms : 0
        return (dx.map { $0 * scale }, dy.map { $0 * scale })
    }

    /// The plane resampled at (x + dx, y + dy) by bilinear interpolation. Zero displacement
    /// gives the input exactly (weights 1 and 0).
    public static func warpBilinear(_ plane: Plane<Float>, dx: [Float], dy: [Float]) -> Plane<Float> {
        let w = plane.width, h = plane.height
        var out = [Float](repeating: 0, count: w * h)
        plane.values.withUnsafeBufferPointer { src in
            for y in 0..<h {
                for x in 0..<w {
                    let i = y * w + x
                    let sx = Float(x) + dx[i], sy = Float(y) + dy[i]
                    let fx0 = sx.rounded(.down), fy0 = sy.rounded(.down)
                    let fx = sx - fx0, fy = sy - fy0
                    let x0 = Int(fx0), y0 = Int(fy0)
                    let c0 = Mirror.reflect(x0, w), c1 = Mirror.reflect(x0 + 1, w)
                    let r0 = Mirror.reflect(y0, h) * w, r1 = Mirror.reflect(y0 + 1, h) * w
                    let top = src[r0 + c0] * (1 - fx) + src[r0 + c1] * fx
                    let bottom = src[r1 + c0] * (1 - fx) + src[r1 + c1] * fx
                    out[i] = top * (1 - fy) + bottom * fy
                }
            }
        }
        return Plane(width: w, height: h, values: out)
    }

    /// The plane resampled at the nearest pixel to (x + dx, y + dy).
    public static func warpNearest<T>(_ plane: Plane<T>, dx: [Float], dy: [Float]) -> Plane<T> {
        let w = plane.width, h = plane.height
        var out = plane.values
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let sx = Mirror.reflect(Int((Float(x) + dx[i]).rounded()), w)
                let sy = Mirror.reflect(Int((Float(y) + dy[i]).rounded()), h)
                out[i] = plane.values[sy * w + sx]
            }
        }
        return Plane(width: w, height: h, values: out)
    }

    /// Deforms raw (bilinear) and labels (nearest) of a pair by the same random field.
    /// The labels must have the raw planes' size.
    public func apply(to pair: inout PatchPair, using rng: inout SeededGenerator) {
        let (dx, dy) = field(width: pair.width, height: pair.height, using: &rng)
        pair.raw = pair.raw.map { ElasticDeformation.warpBilinear($0, dx: dx, dy: dy) }
        pair.labels = ElasticDeformation.warpNearest(pair.labels, dx: dx, dy: dy)
    }
}
