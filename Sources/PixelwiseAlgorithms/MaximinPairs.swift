/// Pair counts of the Malis criterion (Turaga et al., "Maximin affinity learning of image
/// segmentation", NIPS 2009): for every edge, how many labelled pixel pairs have it as their
/// *maximin edge*.
///
/// The maximin affinity of pixels u, v is max over paths P from u to v of min_{e ∈ P} A_e; the edge
/// attaining it lies on the maximum spanning tree, and it is the edge whose insertion by Kruskal's
/// algorithm (edges by decreasing affinity) first joins u's and v's sets. So when edge e joins sets
/// S₁ and S₂, every pair (u ∈ S₁, v ∈ S₂) has e as maximin edge. With label histograms h₁, h₂ of
/// the sets (label 0 = unlabelled pixels, not counted):
///
///     positive pairs(e) = Σ_l h₁(l)·h₂(l)                     (same ground-truth component)
///     negative pairs(e) = |S₁|_labelled·|S₂|_labelled − positive pairs(e)
///
/// Ties in affinity are broken by edge index (smaller first); edges are ordered by a radix
/// sort. Histograms are merged small into
/// large, and a set whose labelled pixels share one label keeps it inline (no allocation), so the
/// cost is near-linear in the number of edges E.
public struct MaximinPairs: Sendable {
    /// Per edge (same layout as `AffinityGraph.values`): the pairs counted there; 0 off the tree.
    public var pairs: [Int64]
    /// Σ over edges: all same-label pairs Σ_l C(n_l, 2) (positive) or all different-label pairs
    /// C(n_labelled, 2) − Σ_l C(n_l, 2) (negative).
    public var totalPairs: Int64
    /// Of those, pairs whose maximin affinity is ≤ 0.5 (positive) or > 0.5 (negative): the pairs
    /// a 0.5-threshold segmentation by maximin affinity gets wrong.
    public var misclassifiedPairs: Int64
}

/// Positive (same component) or negative (different components) maximin pair counts of the
/// graph `affinities` (axis-major, see `AffinityGraph`) for the labelling `components`
/// (0 = background/unlabelled).
public func maximinPairs(affinities: [Float], components: [Int32], width: Int, height: Int, depth: Int = 1,
                         positive: Bool) -> MaximinPairs {
    let shape = GridShape(width: width, height: height, depth: depth)
    shape.check(components, "components")
    let n = shape.count, axes = shape.axisCount
    precondition(affinities.count == axes * n, "affinities have \(affinities.count) values, expected \(axes) × \(n)")
    precondition(!components.contains { $0 < 0 }, "component labels must be ≥ 0 (0 = unlabelled)")

    let order = edgesByDescendingAffinity(affinities, shape: shape)

    var histograms = LabelHistograms(components: components)
    var sets = UnionFind(count: n)
    var pairs = [Int64](repeating: 0, count: axes * n)
    var total: Int64 = 0, misclassified: Int64 = 0
    for edge in order {
        let e = Int(edge), axis = e / n, i = e % n
        let a = sets.find(i), b = sets.find(i + shape.stride(axis))
        if a == b { continue }
        let same = histograms.sameLabelPairs(a, b)
        let count = positive ? same : histograms.labelled[a] * histograms.labelled[b] - same
        guard let root = sets.union(a, b) else { continue }
        histograms.merge(into: root, from: root == a ? b : a)
        if count == 0 { continue }
        pairs[e] = count
        total += count
        if positive ? affinities[e] <= 0.5 : affinities[e] > 0.5 { misclassified += count }
    }
    return MaximinPairs(pairs: pairs, totalPairs: total, misclassifiedPairs: misclassified)
}

/// The edges that exist (both endpoints inside the grid) by decreasing affinity, ties by
/// increasing edge index: a stable least-significant-digit radix sort on the order-preserving
/// bits of the affinity, two passes of 16 bits, O(E).
func edgesByDescendingAffinity(_ affinities: [Float], shape: GridShape) -> [Int32] {
    let n = shape.count, w = shape.width, h = shape.height, d = shape.depth
    if n == 0 { return [] }
    var keys: [UInt32] = [], edges: [Int32] = []
    keys.reserveCapacity(shape.axisCount * n)
    edges.reserveCapacity(shape.axisCount * n)
    for axis in 0..<shape.axisCount {
        // Elements with a successor along `axis`: x < w−1, y < h−1 or z < d−1.
        for z in 0..<(axis == 2 ? d - 1 : d) {
            for y in 0..<(axis == 1 ? h - 1 : h) {
                let row = (z * h + y) * w
                for x in 0..<(axis == 0 ? w - 1 : w) {
                    let e = axis * n + row + x
                    keys.append(~orderedBits(affinities[e]))    // ascending key = descending value
                    edges.append(Int32(e))
                }
            }
        }
    }
    var otherKeys = keys, otherEdges = edges
    var counts = [Int](repeating: 0, count: 1 << 16)
    for shift in [UInt32(0), 16] {
        keys.withUnsafeBufferPointer { keys in
        edges.withUnsafeBufferPointer { edges in
        otherKeys.withUnsafeMutableBufferPointer { outKeys in
        otherEdges.withUnsafeMutableBufferPointer { outEdges in
        counts.withUnsafeMutableBufferPointer { counts in
            for i in counts.indices { counts[i] = 0 }
            for k in keys { counts[Int((k >> shift) & 0xFFFF)] += 1 }
            var start = 0
            for i in counts.indices { let c = counts[i]; counts[i] = start; start += c }
            for j in keys.indices {
                let digit = Int((keys[j] >> shift) & 0xFFFF)
                outKeys[counts[digit]] = keys[j]
                outEdges[counts[digit]] = edges[j]
                counts[digit] += 1
            }
        }}}}}
        swap(&keys, &otherKeys)
        swap(&edges, &otherEdges)
    }
    return edges
}

/// Float bits mapped so that unsigned order equals numeric order.
@inline(__always)
func orderedBits(_ f: Float) -> UInt32 {
    let b = f.bitPattern
    return b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000
}

/// Per-set ground-truth label histograms for Kruskal's algorithm, indexed by set representative.
struct LabelHistograms {
    /// The one label of the set's labelled pixels, 0 if none, −1 if several (see `mixed`).
    var sole: [Int32]
    /// Labelled pixels in the set.
    var labelled: [Int64]
    /// For sets with several labels: index into `pool`.
    var mixed: [Int32]
    var pool: [[Int32: Int64]] = []

    init(components: [Int32]) {
        sole = components
        labelled = components.map { $0 != 0 ? 1 : 0 }
        mixed = [Int32](repeating: -1, count: components.count)
    }

    /// Σ_l h_a(l)·h_b(l).
    func sameLabelPairs(_ a: Int, _ b: Int) -> Int64 {
        if labelled[a] == 0 || labelled[b] == 0 { return 0 }
        switch (sole[a], sole[b]) {
        case let (la, lb) where la > 0 && lb > 0:
            return la == lb ? labelled[a] * labelled[b] : 0
        case let (la, _) where la > 0:
            return labelled[a] * (pool[Int(mixed[b])][la] ?? 0)
        case let (_, lb) where lb > 0:
            return labelled[b] * (pool[Int(mixed[a])][lb] ?? 0)
        default:
            var small = pool[Int(mixed[a])], large = pool[Int(mixed[b])]
            if small.count > large.count { swap(&small, &large) }
            var sum: Int64 = 0
            for (label, count) in small { sum += count * (large[label] ?? 0) }
            return sum
        }
    }

    /// Moves the histogram of set `from` into set `root` (its new representative).
    mutating func merge(into root: Int, from other: Int) {
        defer { labelled[other] = 0; sole[other] = 0; mixed[other] = -1 }
        if labelled[other] == 0 { return }
        if labelled[root] == 0 {
            sole[root] = sole[other]; mixed[root] = mixed[other]; labelled[root] = labelled[other]
            return
        }
        let total = labelled[root] + labelled[other]
        if sole[root] > 0 && sole[root] == sole[other] {
            labelled[root] = total
            return
        }
        // The result has several labels: reuse the larger dictionary, or start one.
        var target = mixed[root], source = mixed[other]
        if target < 0 || (source >= 0 && pool[Int(source)].count > pool[Int(target)].count) { swap(&target, &source) }
        if target < 0 {
            target = Int32(pool.count)
            pool.append([sole[root]: labelled[root]])
            pool[Int(target)][sole[other], default: 0] += labelled[other]
        } else {
            // Whichever side is not `target` is added to it.
            let addFrom = target == mixed[root] ? other : root
            if source >= 0 {
                for (label, count) in pool[Int(source)] { pool[Int(target)][label, default: 0] += count }
                pool[Int(source)] = [:]
            } else {
                pool[Int(target)][sole[addFrom], default: 0] += labelled[addFrom]
            }
        }
        sole[root] = -1
        mixed[root] = target
        labelled[root] = total
    }
}
