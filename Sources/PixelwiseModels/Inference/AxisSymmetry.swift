import PixelwiseCore

/// A symmetry of the voxel grid acting on the spatial axes of a (1, C, spatial…) tensor: a
/// permutation of the axes followed by flips. Output axis a is input axis `permutation[a]`, read
/// backwards when `flips[a]`. Flips of every axis, quarter turns in the section plane (the y–x
/// swap combined with flips) and the 48 rotations and reflections of a cube are all of this form;
/// `BlockSegmenter` uses them for test-time augmentation. `inverse.apply` undoes `apply`.
public struct AxisSymmetry: Sendable, Hashable, CustomStringConvertible {
    public let permutation: [Int]
    public let flips: [Bool]

    public init(permutation: [Int], flips: [Bool]) {
        precondition(permutation.sorted() == Array(0..<permutation.count) && flips.count == permutation.count,
                     "AxisSymmetry: a permutation of the axes and one flip flag per axis")
        self.permutation = permutation
        self.flips = flips
    }

    public static func identity(rank: Int) -> AxisSymmetry {
        AxisSymmetry(permutation: Array(0..<rank), flips: Array(repeating: false, count: rank))
    }

    public var isIdentity: Bool { permutation == Array(0..<permutation.count) && !flips.contains(true) }

    /// The symmetry that undoes this one.
    public var inverse: AxisSymmetry {
        var back = [Int](repeating: 0, count: permutation.count)
        for (a, b) in permutation.enumerated() { back[b] = a }
        return AxisSymmetry(permutation: back, flips: back.map { flips[$0] })
    }

    /// The spatial shape after the symmetry.
    public func shape(_ spatial: [Int]) -> [Int] { permutation.map { spatial[$0] } }

    public var description: String {
        let names = permutation.count == 3 ? ["z", "y", "x"] : ["y", "x"]
        return permutation.enumerated().map { (flips[$0.offset] ? "-" : "") + names[$0.element] }.joined(separator: ",")
    }

    /// Every flip of every axis, combined with every permutation that only exchanges axes within
    /// one of `permutable` (groups of axes; e.g. [[1, 2]] for quarter turns in the y–x plane,
    /// [[0, 1, 2]] for all rotations of a cube). Identity first, then a fixed order.
    public static func group(rank: Int, permutable: [[Int]] = []) -> [AxisSymmetry] {
        var permutations: [[Int]] = [Array(0..<rank)]
        for axes in permutable where axes.count > 1 {
            var next: [[Int]] = []
            for base in permutations {
                for order in orderings(axes) {
                    var p = base
                    for (slot, axis) in zip(axes, order) { p[slot] = base[axis] }
                    next.append(p)
                }
            }
            permutations = next
        }
        return permutations.flatMap { p in
            (0..<(1 << rank)).map { mask in AxisSymmetry(permutation: p, flips: (0..<rank).map { mask & (1 << $0) != 0 }) }
        }
    }

    /// All orderings of `items`, the given order first.
    static func orderings(_ items: [Int]) -> [[Int]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { i -> [[Int]] in
            var rest = items
            let head = rest.remove(at: i)
            return orderings(rest).map { [head] + $0 }
        }
    }

    /// out[n, c, o] = in[n, c, i] with i[permutation[a]] = o[a], or its mirror when `flips[a]`.
    public func apply(_ t: Tensor) -> Tensor {
        if isIdentity { return t }
        let shape = t.shape.dims, rank = permutation.count
        precondition(shape.count == rank + 2, "AxisSymmetry: a (N, C, spatial…) tensor of \(rank) spatial axes")
        let spatial = Array(shape.dropFirst(2)), out = self.shape(spatial)
        var strides = [Int](repeating: 1, count: rank)
        for a in stride(from: rank - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * spatial[a + 1] }
        // Source offset contributed by output index o along output axis a.
        let tables = (0..<rank).map { a -> [Int] in
            let b = permutation[a], n = spatial[b]
            return (0..<n).map { (flips[a] ? n - 1 - $0 : $0) * strides[b] }
        }
        let source = t.inLayout(.rowMajor).scalars
        let planes = shape[0] * shape[1], inner = out.reduce(1, *), last = tables[rank - 1]
        var result = [Float](repeating: 0, count: source.count)
        var index = [Int](repeating: 0, count: rank)
        for plane in 0..<planes {
            let base = plane * inner
            var o = base
            index = index.map { _ in 0 }
            while true {
                var offset = base
                for a in 0..<(rank - 1) { offset += tables[a][index[a]] }
                for x in 0..<out[rank - 1] { result[o + x] = source[offset + last[x]] }
                o += out[rank - 1]
                var a = rank - 2
                while a >= 0 {
                    index[a] += 1
                    if index[a] < out[a] { break }
                    index[a] = 0
                    a -= 1
                }
                if a < 0 { break }
            }
        }
        return Tensor(shape: Shape(Array(shape.prefix(2)) + out), scalars: result)
    }
}
