import Testing
@testable import PixelwiseNN

@Suite struct DistanceTransformTests {
    static func bruteForce(_ fg: [Bool], extents: [Int]) -> [Float] {
        let coords: (Int) -> [Int] = { i in
            var i = i
            return extents.reversed().map { e in defer { i /= e }; return i % e }.reversed()
        }
        let sites = fg.indices.filter { fg[$0] }.map(coords)
        return fg.indices.map { i in
            let c = coords(i)
            return Float(sites.map { s in zip(s, c).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }.min() ?? Int.max)
        }
    }

    @Test(arguments: [0.02, 0.2, 0.7]) func equalsBruteForceOnRandomImages(density: Float) {
        var g = SeededGenerator(seed: UInt64(density * 1000))
        for (w, h) in [(1, 1), (17, 1), (1, 9), (23, 31), (40, 12)] {
            var fg = (0..<(w * h)).map { _ in g.nextUniform() < density }
            fg[Int(g.next() % UInt64(w * h))] = true
            #expect(squaredDistanceToNearest(foreground: fg, width: w, height: h) == Self.bruteForce(fg, extents: [h, w]), "\(w)×\(h)")
        }
    }

    @Test func volumes() {
        var g = SeededGenerator(seed: 9)
        let extents = [6, 9, 7]
        let fg = (0..<378).map { _ in g.nextUniform() < 0.05 }
        #expect(squaredDistanceToNearest(foreground: fg, extents: extents) == Self.bruteForce(fg, extents: extents))
    }

    @Test func singlePointAndEmpty() {
        var fg = [Bool](repeating: false, count: 12)
        fg[5] = true  // (row 1, column 1) of 3×4
        #expect(squaredDistanceToNearest(foreground: fg, width: 4, height: 3) == [2, 1, 2, 5, 1, 0, 1, 4, 2, 1, 2, 5])
        #expect(squaredDistanceToNearest(foreground: .init(repeating: false, count: 6), width: 3, height: 2).allSatisfy { $0 == .infinity })
    }
}
