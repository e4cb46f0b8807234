/// Border thinning for the ISBI 2012 ranking's V_rand and V_info "after thinning"
/// (Arganda-Carreras et al. 2015, Front. Neuroanat. 9:142; the challenge's 2016 scoring script).
///
/// The challenge found its first scores too sensitive to how wide a proposal draws the membranes,
/// so the final ranking first thins the proposal's background to lines one pixel wide: the
/// foreground (cell interiors) is the set of basins of a watershed, and the background pixels
/// are flooded from those basins; a background pixel reached from two basins at once stays a
/// watershed pixel (label 0), every other one joins the basin that reached it. The ground truth
/// is not thinned. The scores are then the usual foreground-restricted V_rand and V_info of the
/// thinned proposal (`ForegroundRestrictedScores`), whose watershed pixels count as singletons.
///
/// The flooding is Vincent and Soille's (IEEE PAMI 13(6), 1991) on the two-level image
/// "0 = foreground, 1 = background" with 4-connectivity, done exactly as the Fiji scorer does it
/// so that the lines land on the same pixels: pixels of a level are visited column by column
/// (x outer, y inner), neighbours in the order left, up, right, down, and a first-in first-out
/// queue grows the basins into the background level; its `flag` rule (a pixel first marked as
/// watershed may still be taken by a basin reached later through another watershed pixel) is
/// kept too. Foreground basins are the 4-connected foreground components. An image with no
/// foreground is one basin (no lines), as in the scorer.
///
/// - Returns: segment ids row-major (x fastest), 1… for basins, 0 for the watershed lines.
public func thinnedBorderSegments(foreground: [Bool], width: Int, height: Int) -> [Int32] {
    let shape = GridShape(width: width, height: height)
    shape.check(foreground, "foreground")
    let initial: Int32 = -1, mask: Int32 = -2, queued: Int32 = -3, watershed: Int32 = 0
    var label = [Int32](repeating: initial, count: shape.count)
    var fifo = PixelQueue(capacity: shape.count)
    var flag = false
    var current: Int32 = 0

    // Neighbours of (x, y) in the scorer's order: left, up, right, down (in bounds only).
    func forEachNeighbour(_ p: Int, _ body: (Int) -> Bool) {
        let x = p % width, y = p / width
        if x > 0, !body(p - 1) { return }
        if y > 0, !body(p - width) { return }
        if x + 1 < width, !body(p + 1) { return }
        if y + 1 < height { _ = body(p + width) }
    }
    // The pixels of one level in the scorer's visiting order: column by column.
    func forEachPixel(atLevel background: Bool, _ body: (Int) -> Void) {
        for x in 0..<width {
            for y in 0..<height where foreground[y * width + x] != background { body(y * width + x) }
        }
    }

    let levels: [Bool] = [false, true].filter { level in foreground.contains { $0 != level } }   // background = true
    for level in levels {
        // Mark the level; pixels next to a basin or watershed pixel start the queue.
        forEachPixel(atLevel: level) { p in
            label[p] = mask
            forEachNeighbour(p) { q in
                if label[q] >= watershed { fifo.push(p); label[p] = queued; return false }
                return true
            }
        }
        // Grow the existing basins into the level.
        while let p = fifo.pop() {
            forEachNeighbour(p) { q in
                let lq = label[q]
                if lq > 0 {
                    if label[p] == queued || (label[p] == watershed && flag) {
                        label[p] = lq
                    } else if label[p] > 0 && label[p] != lq {
                        label[p] = watershed
                        flag = false
                    }
                } else if lq == watershed {
                    if label[p] == queued { label[p] = watershed; flag = true }
                } else if lq == mask {
                    label[q] = queued
                    fifo.push(q)
                }
                return true
            }
        }
        // Pixels not reached are new minima: each connected piece a new basin.
        forEachPixel(atLevel: level) { p in
            guard label[p] == mask else { return }
            current += 1
            label[p] = current
            fifo.push(p)
            while let r = fifo.pop() {
                forEachNeighbour(r) { q in
                    if label[q] == mask { label[q] = current; fifo.push(q) }
                    return true
                }
            }
        }
    }
    return label.map { $0 < 0 ? 0 : $0 }
}

/// A first-in first-out queue of pixel indices that never holds more than `capacity` at once
/// (each pixel is queued at most once per phase).
struct PixelQueue {
    private var storage: [Int]
    private var head = 0, count = 0

    init(capacity: Int) { storage = [Int](repeating: 0, count: max(capacity, 1)) }

    mutating func push(_ p: Int) {
        precondition(count < storage.count, "pixel queue overflow")
        storage[(head + count) % storage.count] = p
        count += 1
    }

    mutating func pop() -> Int? {
        guard count > 0 else { return nil }
        let p = storage[head]
        head = (head + 1) % storage.count
        count -= 1
        return p
    }
}
