/// Simple points of a 2-D binary image with (4, 8) connectivity: foreground 4-connected,
/// background 8-connected (the pair that matches 4-connected foreground components).
///
/// A pixel p is *simple* when flipping it changes neither the number of foreground components
/// nor the number of background components nor their adjacency, i.e. topology is preserved
/// (Bertrand 1994). In 2-D this is decided on the 3×3 neighbourhood alone, through the
/// topological numbers on the 8 neighbours N*(p) (p itself excluded):
///
///     T4(p, X)  = number of 4-components of X ∩ N*(p) that contain a 4-neighbour of p,
///     T8(p, X̄) = number of 8-components of X̄ ∩ N*(p),
///     p simple  ⇔  T4(p, X) = 1 and T8(p, X̄) = 1.
///
/// The test does not depend on p's own value, so it serves for adding and for removing p.
/// Pixels outside the image count as background.
public enum SimplePoint {
    /// Neighbour bit k (0…7) walks around p clockwise from the top left:
    /// NW, N, NE, E, SE, S, SW, W. Offsets (dx, dy) in that order.
    public static let offsets: [(dx: Int, dy: Int)] =
        [(-1, -1), (0, -1), (1, -1), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0)]

    /// `isSimple[mask]` for the 256 neighbourhoods; bit k of `mask` is neighbour k being foreground.
    public static let isSimple: [Bool] = (0..<256).map { mask in
        topologicalNumber(mask: mask, foreground: true) == 1 && topologicalNumber(mask: mask, foreground: false) == 1
    }

    /// The neighbourhood mask of element `index` of a row-major 0/1 image of row length
    /// `rowLength` that has a background border of one pixel all around (so no bounds checks).
    @inline(__always)
    static func mask(padded image: UnsafeMutableBufferPointer<UInt8>, rowLength w: Int, index i: Int) -> Int {
        Int(image[i - w - 1]) | Int(image[i - w]) << 1 | Int(image[i - w + 1]) << 2 | Int(image[i + 1]) << 3
            | Int(image[i + w + 1]) << 4 | Int(image[i + w]) << 5 | Int(image[i + w - 1]) << 6 | Int(image[i - 1]) << 7
    }

    /// T4 of the foreground (foreground = true) or T8 of the background, by flood fill on the ring.
    static func topologicalNumber(mask: Int, foreground: Bool) -> Int {
        func member(_ k: Int) -> Bool { ((mask >> k) & 1 == 1) == foreground }
        func adjacent(_ a: Int, _ b: Int) -> Bool {
            let da = abs(offsets[a].dx - offsets[b].dx), db = abs(offsets[a].dy - offsets[b].dy)
            return foreground ? da + db == 1 : max(da, db) == 1
        }
        var seen = [Bool](repeating: false, count: 8)
        var components = 0
        for start in 0..<8 where member(start) && !seen[start] {
            var stack = [start], touchesP = false
            seen[start] = true
            while let k = stack.popLast() {
                // 4-neighbours of p are the odd positions; for the background every ring cell is 8-adjacent to p.
                if !foreground || k % 2 == 1 { touchesP = true }
                for j in 0..<8 where member(j) && !seen[j] && adjacent(k, j) {
                    seen[j] = true
                    stack.append(j)
                }
            }
            if touchesP { components += 1 }
        }
        return components
    }
}
