import Testing
import PixelwiseCore
@testable import PixelwiseIO

@Suite struct GeometricTests {
    @Test func fourQuarterTurnsAreTheIdentity() {
        let p = randomPlane(width: 7, height: 5, seed: 3)
        var q = p
        for _ in 0..<4 { q = q.rotated(quarterTurns: 1) }
        #expect(q == p)
        #expect(p.rotated(quarterTurns: 1).rotated(quarterTurns: 3) == p)
        #expect(p.rotated(quarterTurns: 2) == p.flippedHorizontally().flippedVertically())
        #expect(p.flippedHorizontally().flippedHorizontally() == p)
    }

    @Test func quarterTurnMovesAMarkerCounterClockwise() {
        var p = Plane(width: 8, height: 6, values: [Int32](repeating: 0, count: 48))
        p[3, 1] = 9
        let r = p.rotated(quarterTurns: 1)
        #expect(r.width == 6 && r.height == 8)
        // (x, y) → (y, W − 1 − x): the top edge goes to the left edge.
        #expect(r[1, 4] == 9)
        #expect(r.values.filter { $0 == 9 }.count == 1)
        #expect(p.flippedHorizontally()[4, 1] == 9)
        #expect(p.flippedVertically()[3, 4] == 9)
    }

    @Test func rawAndLabelsMoveTogether() {
        for seed in UInt64(0)..<16 {
            var raw = Plane(width: 9, height: 9, values: [Float](repeating: 0, count: 81))
            var labels = Plane(width: 9, height: 9, values: [Int32](repeating: 0, count: 81))
            raw[2, 1] = 1
            labels[2, 1] = 1
            var pair = PatchPair(raw: [raw], labels: labels)
            var rng = SeededGenerator(seed: seed)
            Augmentation(rotate: true, mirror: true).apply(to: &pair, using: &rng)
            let rawAt = pair.raw[0].values.firstIndex(of: 1)
            let labelAt = pair.labels.values.firstIndex(of: 1)
            #expect(rawAt != nil && rawAt == labelAt, "seed \(seed)")
        }
    }

    @Test func augmentationIsReproducibleFromTheSeed() {
        let raw = randomPlane(width: 32, height: 32, seed: 5)
        let labels = Plane(width: 32, height: 32, values: raw.values.map { $0 > 0 ? Int32(1) : 0 })
        func run(_ seed: UInt64) -> PatchPair {
            var pair = PatchPair(raw: [raw], labels: labels)
            var rng = SeededGenerator(seed: seed)
            Augmentation.all.apply(to: &pair, using: &rng)
            return pair
        }
        #expect(run(4) == run(4))
        #expect(run(4) != run(5))
    }
}
