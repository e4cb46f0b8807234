/// Disjoint sets over 0..<count with path halving and union by size: the building block of
/// connected components, Malis' maximum spanning tree and the Rand index bookkeeping.
public struct UnionFind: Sendable {
    public private(set) var parent: [Int32]
    public private(set) var size: [Int32]

    public init(count: Int) {
        parent = (0..<count).map { Int32($0) }
        size = [Int32](repeating: 1, count: count)
    }

    /// The representative of `x`'s set.
    public mutating func find(_ x: Int) -> Int {
        var x = Int32(x)
        while parent[Int(x)] != x {
            parent[Int(x)] = parent[Int(parent[Int(x)])]
            x = parent[Int(x)]
        }
        return Int(x)
    }

    /// Joins the sets of `a` and `b`; returns the new representative, or nil if already joined.
    @discardableResult
    public mutating func union(_ a: Int, _ b: Int) -> Int? {
        var ra = find(a), rb = find(b)
        if ra == rb { return nil }
        if size[ra] < size[rb] { swap(&ra, &rb) }
        parent[rb] = Int32(ra)
        size[ra] += size[rb]
        return ra
    }
}
