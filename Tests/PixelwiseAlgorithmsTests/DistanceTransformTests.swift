import Testing
@testable import PixelwiseAlgorithms

@Suite struct DistanceTransformTests {
    /// min over foreground pixels of the squared distance, by checking every pair.
    static func bruteForce(_ fg: [Bool], _ w: Int, _ h: Int, _ d: Int = 1) -> [Float] {
        let points = fg.indices.filter { fg[$0] }.map { ($0 % w, ($0 / w) % h, $0 / (w * h)) }
        return fg.indices.map { i in
            let x = i % w, y = (i / w) % h, z = i / (w * h)
            var best = Float.infinity
            for (px, py, pz) in points {
                best = min(best, Float((x - px) * (x - px) + (y - py) * (y - py) + (z - pz) * (z - pz)))
            }
            return best
        }
    }

    @Test(arguments: [(1, 17), (13, 1), (1, 1), (7, 5), (32, 29), (64, 3)])
    func matchesBruteForce2D(size: (Int, Int)) {
        let (w, h) = size
        for (seed, density) in [(1, 0.02), (2, 0.1), (3, 0.5)] {
            let fg = randomMask(w * h, density: density, seed: UInt64(seed * 1000 + w * h))
            #expect(squaredDistanceToNearest(foreground: fg, width: w, height: h) == Self.bruteForce(fg, w, h))
        }
    }

    @Test func matchesBruteForce3D() {
        for (w, h, d) in [(6, 5, 4), (1, 1, 9), (9, 1, 3)] {
            let fg = randomMask(w * h * d, density: 0.05, seed: UInt64(w * 100 + d))
            #expect(squaredDistanceToNearest(foreground: fg, width: w, height: h, depth: d) == Self.bruteForce(fg, w, h, d))
        }
    }

    @Test func emptyAndFullImages() {
        let none = squaredDistanceToNearest(foreground: [Bool](repeating: false, count: 12), width: 4, height: 3)
        #expect(none.allSatisfy { $0 == .infinity })
        let all = squaredDistanceToNearest(foreground: [Bool](repeating: true, count: 12), width: 4, height: 3)
        #expect(all.allSatisfy { $0 == 0 })
        // A row without foreground next to one with: distances come from the other row only.
        let (fg, w, h) = mask(["#....", "....."])
        #expect(squaredDistanceToNearest(foreground: fg, width: w, height: h) == [0, 1, 4, 9, 16, 1, 2, 5, 10, 17])
        #expect(distanceToNearest(foreground: fg, width: w, height: h)[9] == Float(17).squareRoot())
    }
}
