/// Simple points of a 3-D binary volume with (6, 26) connectivity: foreground 6-connected (the
/// connectivity of the 3-D connected components the Rand and V_info scores use), background
/// 26-connected.
///
/// A voxel p is *simple* when flipping it changes no foreground or background component, cavity
/// or tunnel. Bertrand & Malandain (1994) decide it on the 26-neighbourhood N26*(p) (p itself
/// excluded) through two topological numbers:
///
///     T6(p, X)   = number of 6-components of X ∩ N18*(p) that contain a 6-neighbour of p,
///     T26(p, X̄) = number of 26-components of X̄ ∩ N26*(p),
///     p simple  ⇔  T6(p, X) = 1 and T26(p, X̄) = 1.
///
/// Like the 2-D test (`SimplePoint`) it does not depend on p's own value, so it serves for adding
/// and removing p. Voxels outside the volume count as background.
public enum SimplePoint3D {
    /// Neighbour k (0…25) is offset (dx, dy, dz), z slowest, p's own (0, 0, 0) left out.
    public static let offsets: [(dx: Int, dy: Int, dz: Int)] = {
        var o: [(dx: Int, dy: Int, dz: Int)] = []
        for dz in -1...1 { for dy in -1...1 { for dx in -1...1 where dx != 0 || dy != 0 || dz != 0 { o.append((dx, dy, dz)) } } }
        return o
    }()

    /// Bits of the 6 face neighbours, and of the 18 face and edge neighbours.
    static let faces: UInt32 = mask { abs($0.dx) + abs($0.dy) + abs($0.dz) == 1 }
    static let within18: UInt32 = mask { abs($0.dx) + abs($0.dy) + abs($0.dz) <= 2 }
    /// For each neighbour, the neighbours 6-adjacent to it (one coordinate differs by 1), and 26-adjacent.
    static let adjacent6: [UInt32] = offsets.map { a in mask { b in abs(a.dx - b.dx) + abs(a.dy - b.dy) + abs(a.dz - b.dz) == 1 } }
    static let adjacent26: [UInt32] = offsets.map { a in
        mask { b in max(abs(a.dx - b.dx), abs(a.dy - b.dy), abs(a.dz - b.dz)) == 1 }
    }

    static func mask(_ where: ((dx: Int, dy: Int, dz: Int)) -> Bool) -> UInt32 {
        offsets.enumerated().reduce(0) { $0 | (`where`($1.element) ? 1 << UInt32($1.offset) : 0) }
    }

    /// Whether p is simple, given `neighbours` (bit k set: neighbour k is foreground).
    public static func isSimple(_ neighbours: UInt32) -> Bool {
        let foreground = neighbours & within18
        let background = ~neighbours & ((1 << 26) - 1)
        return components(of: foreground, seeds: faces, adjacency: adjacent6, stopAfter: 2) == 1
            && components(of: background, seeds: background, adjacency: adjacent26, stopAfter: 2) == 1
    }

    /// Components of `set` (under `adjacency`) that contain a bit of `seeds`, counted up to `stopAfter`.
    static func components(of set: UInt32, seeds: UInt32, adjacency: [UInt32], stopAfter limit: Int) -> Int {
        var remaining = set, count = 0
        while remaining & seeds != 0 && count < limit {
            let start = UInt32(1) << UInt32((remaining & seeds).trailingZeroBitCount)
            var component = start, frontier = start
            while frontier != 0 {
                let b = frontier.trailingZeroBitCount
                frontier &= frontier - 1
                let grow = adjacency[b] & remaining & ~component
                component |= grow
                frontier |= grow
            }
            remaining &= ~component
            count += 1
        }
        return count
    }
}

/// Warping error of a probability volume (`depth` > 1): `warpingError(prediction:groundTruth:width:height:threshold:)`
/// with 3-D simple points (`SimplePoint3D`) — the ground truth is warped toward the prediction by
/// flipping voxels whose flip keeps its 6-connected topology, greedily by decreasing |T − L|
/// (ties: smallest raster index), and a rejected voxel is reconsidered when one of its 26
/// neighbours flips. Voxels outside the volume count as background.
public func warpingError(prediction: [Float], groundTruth: [Bool], width: Int, height: Int, depth: Int,
                         threshold: Float = 0.5) -> WarpingResult {
    if depth == 1 { return warpingError(prediction: prediction, groundTruth: groundTruth, width: width, height: height, threshold: threshold) }
    let shape = GridShape(width: width, height: height, depth: depth)
    shape.check(prediction, "prediction")
    shape.check(groundTruth, "ground truth")
    let (pw, ph) = (width + 2, height + 2), n = shape.count
    func padded(_ x: Int, _ y: Int, _ z: Int) -> Int { ((z + 1) * ph + y + 1) * pw + x + 1 }
    var labels = [UInt8](repeating: 0, count: pw * ph * (depth + 2))
    for i in 0..<n where groundTruth[i] { labels[padded(i % width, (i / width) % height, i / (width * height))] = 1 }
    let steps = SimplePoint3D.offsets.map { ($0.dz * ph + $0.dy) * pw + $0.dx }

    let (candidates, rank) = warpingCandidates(prediction: prediction, groundTruth: groundTruth, threshold: threshold)
    var heap = MinHeap(sortedKeys: (0..<Int32(candidates.count)).map { $0 })
    var inHeap = [Bool](repeating: false, count: n)
    for i in candidates { inHeap[Int(i)] = true }
    var pending = candidates.count
    var flips = 0
    while let r = heap.pop() {
        let i = Int(candidates[Int(r)])
        inHeap[i] = false
        let (x, y, z) = (i % width, (i / width) % height, i / (width * height))
        let pi = padded(x, y, z)
        var neighbours: UInt32 = 0
        for (k, s) in steps.enumerated() where labels[pi + s] != 0 { neighbours |= 1 << UInt32(k) }
        guard SimplePoint3D.isSimple(neighbours) else { continue }
        labels[pi] ^= 1
        flips += 1
        pending -= 1
        for o in SimplePoint3D.offsets {
            let (nx, ny, nz) = (x + o.dx, y + o.dy, z + o.dz)
            guard nx >= 0, nx < width, ny >= 0, ny < height, nz >= 0, nz < depth else { continue }
            let j = (nz * height + ny) * width + nx
            if rank[j] >= 0 && !inHeap[j] && labels[padded(nx, ny, nz)] != ((prediction[j] > threshold) ? 1 : 0) {
                inHeap[j] = true
                heap.push(rank[j])
            }
        }
    }
    var warped = [Bool](repeating: false, count: n)
    for i in 0..<n { warped[i] = labels[padded(i % width, (i / width) % height, i / (width * height))] != 0 }
    return WarpingResult(errorCount: pending, error: n == 0 ? 0 : Double(pending) / Double(n), flips: flips, warpedLabels: warped)
}
