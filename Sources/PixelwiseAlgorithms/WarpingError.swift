/// Warping error (Jain, Bollmann, Richardson et al., "Boundary learning by optimization with
/// topological constraints", CVPR 2010), the topology-aware measure of the ISBI 2012 challenge.
///
/// Let L* be the binary ground truth and T the prediction (a foreground probability in [0, 1], or
/// 0/1), binarised as B = [T > threshold]. A *warping* of L* is any L reachable from L* by flipping
/// simple points one at a time (see `SimplePoint`: foreground 4-connected, background
/// 8-connected), so L has the topology of L*. The warping error is
///
///     D(T ‖ L*) = min_{L ◁ L*} |{p : L_p ≠ B_p}| / N,
///
/// the pixels where even the best topology-preserving deformation of the ground truth cannot
/// agree with the prediction — splits, merges, holes, spurious or missing objects — as a fraction
/// of all N pixels. Boundary shifts cost nothing: they are absorbed by the warping.
///
/// What is computed (Jain et al.'s greedy descent, the one their paper and the ISBI scorer use):
/// start from L = L*; among the pixels where L disagrees with B and that are simple in L, flip the
/// one with the largest |T_p − L_p| (ties: smallest raster index); repeat until no disagreeing
/// pixel is simple. The labels are warped toward the prediction, as in the paper's definition
/// (the ground truth carries the topology; the prediction supplies the ordering by confidence).
/// Exact greedy order with a heap: a rejected (non-simple) pixel is reconsidered only when one of
/// its 8 neighbours flips, because simplicity depends only on the 3×3 neighbourhood.
/// Cost O(N log N). Pixels outside the image count as background.
public struct WarpingResult: Sendable, Hashable {
    /// Pixels where the warped labels still disagree with the binarised prediction.
    public var errorCount: Int
    /// errorCount / N.
    public var error: Double
    /// Simple points flipped while warping.
    public var flips: Int
    /// The warped ground truth L (row-major).
    public var warpedLabels: [Bool]
}

/// Warping error of a probability map (see `WarpingResult`).
public func warpingError(prediction: [Float], groundTruth: [Bool], width: Int, height: Int,
                         threshold: Float = 0.5) -> WarpingResult {
    let shape = GridShape(width: width, height: height)
    shape.check(prediction, "prediction")
    shape.check(groundTruth, "ground truth")
    let pw = width + 2, n = shape.count
    // Labels with a one-pixel background border, so neighbourhoods need no bounds checks.
    var labels = [UInt8](repeating: 0, count: pw * (height + 2))
    for y in 0..<height { for x in 0..<width where groundTruth[y * width + x] { labels[(y + 1) * pw + x + 1] = 1 } }

    let (candidates, rank) = warpingCandidates(prediction: prediction, groundTruth: groundTruth, threshold: threshold)

    var heap = MinHeap(sortedKeys: (0..<Int32(candidates.count)).map { $0 })
    var inHeap = [Bool](repeating: false, count: n)
    for i in candidates { inHeap[Int(i)] = true }
    var pending = candidates.count   // pixels still disagreeing
    var flips = 0
    let table = SimplePoint.isSimple
    labels.withUnsafeMutableBufferPointer { lab in
        while let r = heap.pop() {
            let i = Int(candidates[Int(r)])
            inHeap[i] = false
            let x = i % width, y = i / width, pi = (y + 1) * pw + x + 1
            guard table[SimplePoint.mask(padded: lab, rowLength: pw, index: pi)] else { continue }
            lab[pi] ^= 1
            flips += 1
            pending -= 1
            // Neighbours that still disagree may have become simple.
            for (dx, dy) in SimplePoint.offsets {
                let nx = x + dx, ny = y + dy
                guard nx >= 0, nx < width, ny >= 0, ny < height else { continue }
                let j = ny * width + nx
                if rank[j] >= 0 && !inHeap[j] && lab[(ny + 1) * pw + nx + 1] != ((prediction[j] > threshold) ? 1 : 0) {
                    inHeap[j] = true
                    heap.push(rank[j])
                }
            }
        }
    }
    var warped = [Bool](repeating: false, count: n)
    for y in 0..<height { for x in 0..<width { warped[y * width + x] = labels[(y + 1) * pw + x + 1] != 0 } }
    return WarpingResult(errorCount: pending, error: n == 0 ? 0 : Double(pending) / Double(n),
                         flips: flips, warpedLabels: warped)
}

/// The pixels (or voxels) where the thresholded prediction disagrees with the truth, by decreasing
/// |T − L|, then raster index, and each one's rank in that order (−1 elsewhere): the heap keys of
/// the 2-D and 3-D warping error.
func warpingCandidates(prediction: [Float], groundTruth: [Bool], threshold: Float) -> (candidates: [Int32], rank: [Int32]) {
    let n = prediction.count
    var candidates: [Int32] = []
    for i in 0..<n where (prediction[i] > threshold) != groundTruth[i] { candidates.append(Int32(i)) }
    func priority(_ i: Int32) -> Float { abs(prediction[Int(i)] - (groundTruth[Int(i)] ? 1 : 0)) }
    candidates.sort { a, b in
        let pa = priority(a), pb = priority(b)
        return pa != pb ? pa > pb : a < b
    }
    var rank = [Int32](repeating: -1, count: n)
    for (r, i) in candidates.enumerated() { rank[Int(i)] = Int32(r) }
    return (candidates, rank)
}

/// Warping error of a binary prediction: every disagreeing pixel has the same priority, so the
/// greedy order is the raster order.
public func warpingError(prediction: [Bool], groundTruth: [Bool], width: Int, height: Int) -> WarpingResult {
    warpingError(prediction: prediction.map { $0 ? 1 : 0 }, groundTruth: groundTruth, width: width, height: height)
}

/// A binary min-heap of Int32 keys.
struct MinHeap {
    var keys: [Int32]

    /// Keys in ascending order already form a heap.
    init(sortedKeys: [Int32]) { keys = sortedKeys }

    mutating func push(_ key: Int32) {
        keys.append(key)
        var c = keys.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            if keys[p] <= keys[c] { break }
            keys.swapAt(p, c)
            c = p
        }
    }

    mutating func pop() -> Int32? {
        guard let last = keys.popLast() else { return nil }
        guard !keys.isEmpty else { return last }
        let top = keys[0]
        keys[0] = last
        var p = 0
        let n = keys.count
        while true {
            let l = 2 * p + 1, r = l + 1
            var m = p
            if l < n && keys[l] < keys[m] { m = l }
            if r < n && keys[r] < keys[m] { m = r }
            if m == p { break }
            keys.swapAt(p, m)
            p = m
        }
        return top
    }
}
