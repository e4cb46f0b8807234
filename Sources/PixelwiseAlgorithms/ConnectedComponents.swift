/// Connected components of a binary image or volume.
///
/// Two foreground elements are connected when they are face neighbours: 4-connectivity in 2-D
/// (left, right, up, down) and 6-connectivity in 3-D (plus front, back). This is the connectivity
/// of the ISBI 2012 evaluation and of the Malis "ConnectedComponents" layer (Tschopp §5.3.4), and
/// it is the one for which the affinity graph of `affinities(from:…)` is a graph of face edges.
///
/// Labels: background 0; components 1…K numbered in raster order of their first element (the
/// one with the smallest flat index), so the labelling is deterministic.
///
/// Cost: one breadth-first flood per component with a single preallocated Int32 queue, O(N).
public struct ComponentLabels: Sendable, Equatable {
    /// Row-major labels, 0 = background, 1…count.
    public var labels: [Int32]
    /// K, the number of components.
    public var count: Int
    /// Elements per component: `sizes[k]` for label k (index 0 counts the background).
    public var sizes: [Int]
}

/// Labels the face-connected components of `foreground` (see `ComponentLabels`).
public func connectedComponents(foreground: [Bool], width: Int, height: Int, depth: Int = 1) -> ComponentLabels {
    let shape = GridShape(width: width, height: height, depth: depth)
    shape.check(foreground, "foreground")
    let n = shape.count
    var labels = [Int32](repeating: 0, count: n)
    var queue = [Int32](repeating: 0, count: n)
    var sizes = [0]
    let w = width, h = height, plane = width * height
    foreground.withUnsafeBufferPointer { fg in
    labels.withUnsafeMutableBufferPointer { lab in
    queue.withUnsafeMutableBufferPointer { queue in
        var next: Int32 = 0
        for seed in 0..<n where fg[seed] && lab[seed] == 0 {
            next += 1
            lab[seed] = next
            queue[0] = Int32(seed)
            var head = 0, tail = 1
            while head < tail {
                let p = Int(queue[head]); head += 1
                let x = p % w, y = (p / w) % h, z = p / plane
                @inline(__always) func visit(_ q: Int) {
                    if fg[q] && lab[q] == 0 { lab[q] = next; queue[tail] = Int32(q); tail += 1 }
                }
                if x > 0 { visit(p - 1) }
                if x + 1 < w { visit(p + 1) }
                if y > 0 { visit(p - w) }
                if y + 1 < h { visit(p + w) }
                if z > 0 { visit(p - plane) }
                if z + 1 < depth { visit(p + plane) }
            }
            sizes.append(tail)
        }
    }}}
    sizes[0] = n - sizes.dropFirst().reduce(0, +)
    return ComponentLabels(labels: labels, count: sizes.count - 1, sizes: sizes)
}
