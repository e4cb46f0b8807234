import Testing
import PixelwiseCore
@testable import PixelwiseIO

@Suite struct ElasticDeformationTests {
    @Test func zeroStrengthIsExactlyTheIdentity() {
        let raw = randomPlane(width: 40, height: 30, seed: 8)
        let labels = Plane(width: 40, height: 30, values: raw.values.map { Int32(($0 + 1) * 4) })
        var pair = PatchPair(raw: [raw, randomPlane(width: 40, height: 30, seed: 9)], labels: labels)
        let original = pair
        var rng = SeededGenerator(seed: 1)
        ElasticDeformation(alpha: 0, sigma: 4).apply(to: &pair, using: &rng)
        #expect(pair == original)
    }

    @Test func constantDisplacementShiftsBilinearly() {
        let p = Plane(width: 6, height: 4, values: (0..<24).map { Float($0) })   // value = 6y + x
        let n = 24
        let out = ElasticDeformation.warpBilinear(p, dx: [Float](repeating: 0.5, count: n), dy: [Float](repeating: 1, count: n))
        // Interior: reads (x + 0.5, y + 1) → 6(y + 1) + x + 0.5.
        #expect(out[2, 1] == 6 * 2 + 2.5)
        // Right edge: x + 1 = 6 reflects to 4, so (p(5) + p(4)) / 2 on row y + 1.
        #expect(out[5, 0] == Float(6 + 5 + 6 + 4) / 2)
        let nearest = ElasticDeformation.warpNearest(p, dx: [Float](repeating: 1.2, count: n), dy: [Float](repeating: -0.2, count: n))
        #expect(nearest[1, 2] == p[2, 2])
    }

    @Test func fieldHasRequestedRootMeanSquareAndLabelsStayClasses() {
        var rng = SeededGenerator(seed: 2)
        let elastic = ElasticDeformation(alpha: 3, sigma: 5)
        let (dx, dy) = elastic.field(width: 64, height: 64, using: &rng)
        let ms = zip(dx, dy).reduce(0.0) { $0 + Double($1.0 * $1.0 + $1.1 * $1.1) } / Double(dx.count)
        #expect(abs(ms.squareRoot() - 3) < 1e-3)
        // Smooth: neighbouring displacements differ far less than the displacement itself.
        let step = (1..<64).reduce(0.0) { $0 + Double(abs(dx[$1] - dx[$1 - 1])) } / 63
        #expect(step < 0.5)
        let labels = Plane(width: 64, height: 64, values: (0..<4096).map { Int32(($0 / 64) / 16) })
        var pair = PatchPair(raw: [randomPlane(width: 64, height: 64, seed: 3)], labels: labels)
        elastic.apply(to: &pair, using: &rng)
        #expect(Set(pair.labels.values).isSubset(of: [0, 1, 2, 3]))
        #expect(pair.labels != labels)
    }
}
