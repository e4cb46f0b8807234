/// Nearest-neighbour affinity graph of an image or volume (Tschopp 2015, §5.3.3, Eq. 5.3–5.12).
///
/// Every element i has one edge per axis to its successor i + stride(axis) (x: right, y: down,
/// z: next slice). Edges are stored axis-major, `values[axis · N + i]`, N = width·height·depth,
/// with 2 axes for images and 3 for volumes. The last element along an axis has no edge there:
/// its value is 0 and its argmin −1, and Malis ignores it.
///
/// From a foreground probability map I⁺ (1 = inside a cell, 0 = membrane):
///
///     A_e = min(I⁺_i, I⁺_j),   M_e = argmin_{k ∈ {i, j}} I⁺_k       (Eq. 5.3–5.6)
///
/// (ties choose i). Backward (Eq. 5.9–5.12) sends each edge's gradient to the pixel that held
/// the minimum: ΔI⁺_{M_e} += ΔA_e, and ΔI⁻ = −ΔI⁺ for the background channel of a softmax.
public struct AffinityGraph: Sendable, Hashable {
    public var shape: GridShape
    /// Edge affinities, axis-major: `values[axis · shape.count + i]`.
    public var values: [Float]
    /// Flat index of the endpoint that gave the minimum; −1 for missing edges.
    public var argmin: [Int32]

    public var axisCount: Int { shape.axisCount }
    public var edgeCount: Int { values.count }

    /// The two endpoints of edge `e`, or nil if it leaves the grid.
    @inline(__always)
    public func endpoints(ofEdge e: Int) -> (Int, Int)? {
        let n = shape.count, axis = e / n, i = e % n
        guard shape.coordinate(of: i, axis: axis) + 1 < shape.extent(axis) else { return nil }
        return (i, i + shape.stride(axis))
    }

    /// Gradient with respect to the probability map: ΔI⁺_p = Σ_{e : M_e = p} ΔA_e (Eq. 5.9, 5.11).
    public func backward(edgeGradient: [Float]) -> [Float] {
        precondition(edgeGradient.count == values.count,
                     "edge gradient has \(edgeGradient.count) values, graph \(values.count) edges")
        var pixelGradient = [Float](repeating: 0, count: shape.count)
        for e in 0..<argmin.count where argmin[e] >= 0 { pixelGradient[Int(argmin[e])] += edgeGradient[e] }
        return pixelGradient
    }
}

/// The affinity graph of a foreground probability map (see `AffinityGraph`).
public func affinities(from probability: [Float], width: Int, height: Int, depth: Int = 1) -> AffinityGraph {
    let shape = GridShape(width: width, height: height, depth: depth)
    shape.check(probability, "probability")
    let n = shape.count, axes = shape.axisCount
    var values = [Float](repeating: 0, count: axes * n)
    var argmin = [Int32](repeating: -1, count: axes * n)
    for axis in 0..<axes {
        let step = shape.stride(axis), extent = shape.extent(axis)
        for i in 0..<n where shape.coordinate(of: i, axis: axis) + 1 < extent {
            let a = probability[i], b = probability[i + step]
            values[axis * n + i] = min(a, b)
            argmin[axis * n + i] = Int32(b < a ? i + step : i)
        }
    }
    return AffinityGraph(shape: shape, values: values, argmin: argmin)
}

/// Ground-truth affinities from a component labelling (0 = background): 1 on edges joining two
/// elements of the same component, 0 elsewhere (Turaga et al.'s target graph). For components of
/// a binary map this equals `affinities(from:)` of the 0/1 map.
public func groundTruthAffinities(components: [Int32], width: Int, height: Int, depth: Int = 1) -> [Float] {
    let shape = GridShape(width: width, height: height, depth: depth)
    shape.check(components, "components")
    let n = shape.count, axes = shape.axisCount
    var values = [Float](repeating: 0, count: axes * n)
    for axis in 0..<axes {
        let step = shape.stride(axis), extent = shape.extent(axis)
        for i in 0..<n where components[i] != 0 && shape.coordinate(of: i, axis: axis) + 1 < extent
            && components[i + step] == components[i] {
            values[axis * n + i] = 1
        }
    }
    return values
}
