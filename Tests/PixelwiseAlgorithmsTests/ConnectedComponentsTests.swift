import Testing
@testable import PixelwiseAlgorithms

@Suite struct ConnectedComponentsTests {
    /// Recursive-free depth-first flood fill from every unlabelled foreground pixel in raster order.
    static func floodFill(_ fg: [Bool], _ w: Int, _ h: Int, _ d: Int = 1) -> [Int32] {
        var labels = [Int32](repeating: 0, count: fg.count)
        var next: Int32 = 0
        for seed in fg.indices where fg[seed] && labels[seed] == 0 {
            next += 1
            var stack = [seed]
            labels[seed] = next
            while let p = stack.popLast() {
                let x = p % w, y = (p / w) % h, z = p / (w * h)
                for (dx, dy, dz) in [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)] {
                    let nx = x + dx, ny = y + dy, nz = z + dz
                    guard (0..<w).contains(nx), (0..<h).contains(ny), (0..<d).contains(nz) else { continue }
                    let q = (nz * h + ny) * w + nx
                    if fg[q] && labels[q] == 0 { labels[q] = next; stack.append(q) }
                }
            }
        }
        return labels
    }

    @Test func matchesFloodFillOnRandomImages() {
        for (w, h, d) in [(1, 30, 1), (30, 1, 1), (17, 13, 1), (64, 48, 1), (8, 7, 5)] {
            for density in [0.3, 0.55, 0.7] {
                let fg = randomMask(w * h * d, density: density, seed: UInt64(w * h * d) + UInt64(density * 100))
                let result = connectedComponents(foreground: fg, width: w, height: h, depth: d)
                let expected = Self.floodFill(fg, w, h, d)
                #expect(result.labels == expected)
                #expect(result.count == Int(expected.max() ?? 0))
                for k in 0...result.count { #expect(result.sizes[k] == expected.filter { $0 == Int32(k) }.count) }
            }
        }
    }

    @Test func diagonalPixelsAreSeparateAndOrderIsRaster() {
        let (fg, w, h) = mask(["..#",
                               ".#.",
                               "##."])
        let result = connectedComponents(foreground: fg, width: w, height: h)
        #expect(result.labels == [0, 0, 1, 0, 2, 0, 2, 2, 0])
        #expect(result.count == 2)
        #expect(result.sizes == [5, 1, 3])
    }
}
