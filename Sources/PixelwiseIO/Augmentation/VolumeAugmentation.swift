import PixelwiseCore

/// The random changes a 3-D training patch goes through, all from one seeded generator, in
/// this order:
///   1. geometric, identical for raw and labels:
///      - where the voxels are isotropic (`isotropic`) and the patch is a cube, one of the 6
///        permutations of the axes (uniform): with the flips below, all 48 symmetries of the cube;
///      - a quarter turn k·90° in the section (y, x) plane (k uniform in 0…3; 0 or 2 when the
///        section is not square, whose size must not change), as `Plane.rotated` per slice;
///      - flips along z, y and x, each with probability ½;
///      - elastic deformation (`elastic`), in the section plane (one 2-D field for every slice,
///        so sections stay sections) or in 3-D (`elastic3D`; the field's z component and
///        correlation length scaled by the spacing, so displacements are the same physical length
///        along every axis); raw trilinearly (bilinearly in-plane), labels by the nearest voxel;
///   2. intensity, raw only: brightness / contrast / gamma jitter over the whole patch
///      (`IntensityJitter`), then per-patch normalisation.
/// These are the 2-D `Augmentation` rules extended by the third axis; CLAHE and blur stay 2-D.
public struct VolumeAugmentation: Sendable, Equatable {
    public var rotate: Bool
    public var flip: Bool
    /// Whether the voxel spacing is the same along all axes, which allows turns out of the section plane.
    public var isotropic: Bool
    public var elastic: ElasticDeformation?
    public var elastic3D: Bool
    /// Voxel spacing (z, y, x) that the 3-D elastic field is scaled by.
    public var spacing: [Double]
    public var jitter: IntensityJitter
    public var normalisation: PatchNormalisation
    public var range: ClosedRange<Float>

    public init(rotate: Bool = true, flip: Bool = true, isotropic: Bool = false, elastic: ElasticDeformation? = nil, elastic3D: Bool = false,
                spacing: [Double] = [1, 1, 1], jitter: IntensityJitter = IntensityJitter(), normalisation: PatchNormalisation = .none,
                range: ClosedRange<Float> = -1...1) {
        self.rotate = rotate
        self.flip = flip
        self.isotropic = isotropic
        self.elastic = elastic
        self.elastic3D = elastic3D
        self.spacing = spacing
        self.jitter = jitter
        self.normalisation = normalisation
        self.range = range
    }

    public static let none = VolumeAugmentation(rotate: false, flip: false)

    /// Whether `spacing` counts as isotropic: every axis within 10 % of the others.
    public static func isIsotropic(_ spacing: [Double]) -> Bool {
        guard let lo = spacing.min(), let hi = spacing.max(), lo > 0 else { return false }
        return hi <= 1.1 * lo
    }

    /// The six orderings of the axes (z, y, x).
    static let permutations = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]

    public func apply(to patch: inout VolumePatch, using rng: inout SeededGenerator) {
        applyGeometric(to: &patch, using: &rng)
        applyIntensity(to: &patch, using: &rng)
    }

    public func applyGeometric(to patch: inout VolumePatch, using rng: inout SeededGenerator) {
        precondition(patch.labels.size == patch.size, "augmentation: labels \(patch.labels.size) differ from raw \(patch.size)")
        if rotate {
            let s = patch.size
            if isotropic && s[0] == s[1] && s[1] == s[2] {
                let p = Self.permutations[Int(rng.next() % 6)]
                patch.transformAll({ $0.transposed(p) }, { $0.transposed(p) })
            }
            let k = s[1] == s[2] ? Int(rng.next() % 4) : 2 * Int(rng.next() % 2)
            patch.transformAll({ $0.rotatedInPlane(quarterTurns: k) }, { $0.rotatedInPlane(quarterTurns: k) })
        }
        if flip {
            for axis in 0..<3 where rng.next() & 1 == 1 {
                patch.transformAll({ $0.flipped(axis: axis) }, { $0.flipped(axis: axis) })
            }
        }
        if let elastic {
            let field = elastic3D ? elastic.field(size: patch.size, spacing: spacing, using: &rng)
                                  : elastic.inPlaneField(size: patch.size, using: &rng)
            patch.raw = patch.raw.map { ElasticDeformation.warpTrilinear($0, field) }
            patch.labels = ElasticDeformation.warpNearest(patch.labels, field)
        }
    }

    public func applyIntensity(to patch: inout VolumePatch, using rng: inout SeededGenerator) {
        func asPlane(_ g: Grid<Float>) -> Plane<Float> { Plane(width: g.size[2], height: g.size[0] * g.size[1], values: g.values) }
        if !jitter.isIdentity {
            let d = jitter.draw(using: &rng)
            patch.raw = patch.raw.map {
                Grid(size: $0.size, values: IntensityJitter.apply(asPlane($0), shift: d.shift, factor: d.factor, gamma: d.gamma, range: range).values)
            }
        }
        if normalisation != .none {
            patch.raw = patch.raw.map { Grid(size: $0.size, values: normalisation.apply(to: asPlane($0)).values) }
        }
    }
}

/// The symmetries of the voxel grid used by 3-D augmentation. None interpolates.
extension Grid {
    /// Mirrored along `axis` (0 z, 1 y, 2 x): index i → n − 1 − i.
    public func flipped(axis: Int) -> Grid<T> {
        let (d, h, w) = (size[0], size[1], size[2])
        var out = [T]()
        out.reserveCapacity(values.count)
        for z in 0..<d {
            let sz = axis == 0 ? d - 1 - z : z
            for y in 0..<h {
                let sy = axis == 1 ? h - 1 - y : y
                let row = (sz * h + sy) * w
                if axis == 2 { for x in 0..<w { out.append(values[row + w - 1 - x]) } } else { out.append(contentsOf: values[row ..< row + w]) }
            }
        }
        return Grid(size: size, values: out)
    }

    /// Every z slice rotated by `quarterTurns` × 90° in the (y, x) plane, as `Plane.rotated`.
    public func rotatedInPlane(quarterTurns: Int) -> Grid<T> {
        let k = ((quarterTurns % 4) + 4) % 4
        if k == 0 { return self }
        let plane = size[1] * size[2]
        var out = [T]()
        out.reserveCapacity(values.count)
        var outSize = size
        for z in 0..<size[0] {
            let slice = Plane(width: size[2], height: size[1], values: Array(values[z * plane ..< (z + 1) * plane])).rotated(quarterTurns: k)
            outSize = [size[0], slice.height, slice.width]
            out += slice.values
        }
        return Grid(size: outSize, values: out)
    }

    /// The axes reordered: output axis i is input axis `permutation[i]`
    /// (out[a₀, a₁, a₂] = in at the index whose axis permutation[i] is aᵢ).
    public func transposed(_ permutation: [Int]) -> Grid<T> {
        if permutation == [0, 1, 2] { return self }
        let outSize = permutation.map { size[$0] }
        let inStride = [size[1] * size[2], size[2], 1]
        let s = permutation.map { inStride[$0] }
        var out = [T]()
        out.reserveCapacity(values.count)
        for a in 0..<outSize[0] {
            for b in 0..<outSize[1] {
                let base = a * s[0] + b * s[1]
                for c in 0..<outSize[2] { out.append(values[base + c * s[2]]) }
            }
        }
        return Grid(size: outSize, values: out)
    }
}

/// A displacement field over a grid: voxel (z, y, x) reads the input at (z + dz, y + dy, x + dx).
public struct DisplacementField: Sendable, Equatable {
    public var size: [Int]
    public var dz: [Float], dy: [Float], dx: [Float]
}

extension ElasticDeformation {
    /// One 2-D field (`field(width:height:)`) shared by every slice; dz = 0.
    public func inPlaneField(size: [Int], using rng: inout SeededGenerator) -> DisplacementField {
        let (dx, dy) = field(width: size[2], height: size[1], using: &rng)
        let n = size.reduce(1, *)
        return DisplacementField(size: size, dz: [Float](repeating: 0, count: n),
                                 dy: Array([[Float]](repeating: dy, count: size[0]).joined()),
                                 dx: Array([[Float]](repeating: dx, count: size[0]).joined()))
    }

    /// A 3-D field: N(0, 1) noise on a coarse grid (step s = ⌊σ/2⌋ in-plane, scaled by the
    /// spacing along z), smoothed by a Gaussian of σ (in-plane voxels; σ·sx/sz voxels along z),
    /// interpolated trilinearly to every voxel, and scaled so that the root-mean-square length of
    /// the displacement in in-plane voxel units (dz counted as dz·sz/sx) is `alpha`.
    public func field(size: [Int], spacing: [Double], using rng: inout SeededGenerator) -> DisplacementField {
        let ratio = spacing[2] / spacing[0]  // in-plane voxel / section thickness
        let sigmas = [Double(sigma) * ratio, Double(sigma), Double(sigma)]
        let steps = sigmas.map { max(1, Int($0 / 2)) }
        let coarse = (0..<3).map { (size[$0] - 1) / steps[$0] + 2 }
        func smoothNoise(_ rng: inout SeededGenerator) -> [Float] {
            var g = (0..<coarse.reduce(1, *)).map { _ in rng.nextNormal() }
            for axis in 0..<3 { g = Self.blur(g, size: coarse, axis: axis, sigma: Float(sigmas[axis] / Double(steps[axis]))) }
            var out = [Float]()
            out.reserveCapacity(size.reduce(1, *))
            for z in 0..<size[0] {
                let gz = z / steps[0], fz = Float(z % steps[0]) / Float(steps[0])
                for y in 0..<size[1] {
                    let gy = y / steps[1], fy = Float(y % steps[1]) / Float(steps[1])
                    for x in 0..<size[2] {
                        let gx = x / steps[2], fx = Float(x % steps[2]) / Float(steps[2])
                        func at(_ a: Int, _ b: Int, _ c: Int) -> Float { g[((gz + a) * coarse[1] + gy + b) * coarse[2] + gx + c] }
                        let c00 = at(0, 0, 0) * (1 - fx) + at(0, 0, 1) * fx, c01 = at(0, 1, 0) * (1 - fx) + at(0, 1, 1) * fx
                        let c10 = at(1, 0, 0) * (1 - fx) + at(1, 0, 1) * fx, c11 = at(1, 1, 0) * (1 - fx) + at(1, 1, 1) * fx
                        out.append(((c00 * (1 - fy) + c01 * fy) * (1 - fz)) + (c10 * (1 - fy) + c11 * fy) * fz)
                    }
                }
            }
            return out
        }
        var dz = smoothNoise(&rng), dy = smoothNoise(&rng), dx = smoothNoise(&rng)
        // dz is drawn in in-plane units; its voxel displacement is dz · sx / sz.
        var sumSquares = 0.0
        for i in dz.indices { sumSquares += Double(dz[i] * dz[i] + dy[i] * dy[i] + dx[i] * dx[i]) }
        let rms = Float((sumSquares / Double(max(dz.count, 1))).squareRoot())
        let scale = rms > 0 ? alpha / rms : 0
        for i in dz.indices {
            dz[i] *= scale * Float(ratio)
            dy[i] *= scale
            dx[i] *= scale
        }
        return DisplacementField(size: size, dz: dz, dy: dy, dx: dx)
    }

    /// Gaussian smoothing along one axis of a z-slowest grid, mirrored at its ends.
    static func blur(_ values: [Float], size: [Int], axis: Int, sigma: Float) -> [Float] {
        guard sigma > 0 else { return values }
        let taps = GaussianBlur.kernel(sigma: sigma), r = taps.count / 2
        let stride = [size[1] * size[2], size[2], 1][axis], n = size[axis]
        var out = [Float](repeating: 0, count: values.count)
        for i in values.indices {
            let position = i / stride % n, base = i - position * stride
            var s: Float = 0
            for (j, t) in taps.enumerated() { s += t * values[base + Mirror.reflect(position - r + j, n) * stride] }
            out[i] = s
        }
        return out
    }

    /// The grid resampled at (z + dz, y + dy, x + dx) by trilinear interpolation, mirrored at the
    /// borders. Zero displacement gives the input exactly.
    public static func warpTrilinear(_ grid: Grid<Float>, _ f: DisplacementField) -> Grid<Float> {
        let (d, h, w) = (grid.size[0], grid.size[1], grid.size[2])
        var out = [Float](repeating: 0, count: grid.values.count)
        grid.values.withUnsafeBufferPointer { src in
            for z in 0..<d {
                for y in 0..<h {
                    for x in 0..<w {
                        let i = (z * h + y) * w + x
                        let sz = Float(z) + f.dz[i], sy = Float(y) + f.dy[i], sx = Float(x) + f.dx[i]
                        let z0 = sz.rounded(.down), y0 = sy.rounded(.down), x0 = sx.rounded(.down)
                        let (tz, ty, tx) = (sz - z0, sy - y0, sx - x0)
                        let zs = [Mirror.reflect(Int(z0), d), Mirror.reflect(Int(z0) + 1, d)]
                        let ys = [Mirror.reflect(Int(y0), h), Mirror.reflect(Int(y0) + 1, h)]
                        let xs = [Mirror.reflect(Int(x0), w), Mirror.reflect(Int(x0) + 1, w)]
                        func v(_ a: Int, _ b: Int, _ c: Int) -> Float { src[(zs[a] * h + ys[b]) * w + xs[c]] }
                        let c0 = (v(0, 0, 0) * (1 - tx) + v(0, 0, 1) * tx) * (1 - ty) + (v(0, 1, 0) * (1 - tx) + v(0, 1, 1) * tx) * ty
                        let c1 = (v(1, 0, 0) * (1 - tx) + v(1, 0, 1) * tx) * (1 - ty) + (v(1, 1, 0) * (1 - tx) + v(1, 1, 1) * tx) * ty
                        out[i] = tz == 0 ? c0 : c0 * (1 - tz) + c1 * tz
                    }
                }
            }
        }
        return Grid(size: grid.size, values: out)
    }

    /// The grid resampled at the nearest voxel to (z + dz, y + dy, x + dx), mirrored at the borders.
    public static func warpNearest<T>(_ grid: Grid<T>, _ f: DisplacementField) -> Grid<T> {
        let (d, h, w) = (grid.size[0], grid.size[1], grid.size[2])
        var out = grid.values
        for z in 0..<d {
            for y in 0..<h {
                for x in 0..<w {
                    let i = (z * h + y) * w + x
                    let sz = Mirror.reflect(Int((Float(z) + f.dz[i]).rounded()), d)
                    let sy = Mirror.reflect(Int((Float(y) + f.dy[i]).rounded()), h)
                    let sx = Mirror.reflect(Int((Float(x) + f.dx[i]).rounded()), w)
                    out[i] = grid.values[(sz * h + sy) * w + sx]
                }
            }
        }
        return Grid(size: grid.size, values: out)
    }
}
