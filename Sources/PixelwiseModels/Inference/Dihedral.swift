import PixelwiseCore

/// The 8 symmetries of a square (rotations by 90° and mirror images) acting on the spatial
/// axes of an (N, C, H, W) tensor: bit 0 flips W, bit 1 flips H, bit 2 transposes H and W.
/// Used for test-time augmentation; `invert` undoes `apply`.
public struct Dihedral: Sendable, Equatable {
    public let index: Int
    public init(index: Int) {
        precondition((0..<8).contains(index))
        self.index = index
    }

    var flipW: Bool { index & 1 != 0 }
    var flipH: Bool { index & 2 != 0 }
    var transpose: Bool { index & 4 != 0 }

    public func apply(_ t: Tensor) -> Tensor {
        var x = t
        if flipW { x = Dihedral.map(x, transpose: false) { h, w, _, W in (h, W - 1 - w) } }
        if flipH { x = Dihedral.map(x, transpose: false) { h, w, H, _ in (H - 1 - h, w) } }
        if transpose { x = Dihedral.map(x, transpose: true) { h, w, _, _ in (w, h) } }
        return x
    }

    public func invert(_ t: Tensor) -> Tensor {
        var x = t
        if transpose { x = Dihedral.map(x, transpose: true) { h, w, _, _ in (w, h) } }
        if flipH { x = Dihedral.map(x, transpose: false) { h, w, H, _ in (H - 1 - h, w) } }
        if flipW { x = Dihedral.map(x, transpose: false) { h, w, _, W in (h, W - 1 - w) } }
        return x
    }

    /// out[n, c, h, w] = in[n, c, source(h, w)], with H and W swapped in the output when transposing.
    static func map(_ t: Tensor, transpose: Bool, _ source: (Int, Int, Int, Int) -> (Int, Int)) -> Tensor {
        let s = t.shape, v = t.scalars
        let (n, c, H, W) = (s[0], s[1], s[2], s[3])
        let (oh, ow) = transpose ? (W, H) : (H, W)
        var out = [Float](repeating: 0, count: v.count)
        for plane in 0..<(n * c) {
            for h in 0..<oh {
                for w in 0..<ow {
                    let (sh, sw) = source(h, w, H, W)
                    out[(plane * oh + h) * ow + w] = v[(plane * H + sh) * W + sw]
                }
            }
        }
        return Tensor(shape: [n, c, oh, ow], scalars: out)
    }
}
