import Testing
@testable import PixelwiseAlgorithms

/// Per-class IoU and Dice from the confusion matrix, and HD95, checked by hand in 2-D and 3-D.
@Suite struct ClassScoresTests {
    @Test func confusionMatrixByHand() {
        // Counted pairs (truth, predicted): (0,0) (1,1) (1,2) (2,2) (2,0); one ignored pixel.
        let m = ConfusionMatrix(prediction: [0, 1, 2, 2, 1, 0], truth: [0, 1, 1, 2, -1, 2], classCount: 4)
        #expect(m.total == 5 && m.count(truth: 1, predicted: 2) == 1 && m.count(truth: 2, predicted: 0) == 1)
        #expect(m.intersectionOverUnion(ofClass: 0) == 0.5 && m.dice(ofClass: 0) == 2.0 / 3)
        #expect(m.intersectionOverUnion(ofClass: 1) == 0.5 && m.dice(ofClass: 1) == 2.0 / 3)
        #expect(m.intersectionOverUnion(ofClass: 2) == 1.0 / 3 && m.dice(ofClass: 2) == 0.5)
        #expect(m.intersectionOverUnion(ofClass: 3) == nil && m.dice(ofClass: 3) == nil)  // in neither
        #expect(abs(m.meanIntersectionOverUnion()! - 4.0 / 9) < 1e-12)
        #expect(abs(m.meanIntersectionOverUnion(includeBackground: false)! - 5.0 / 12) < 1e-12)
        #expect(abs(m.meanDice()! - (2.0 / 3 + 2.0 / 3 + 0.5) / 3) < 1e-12)
        #expect(m.accuracy == 0.6)
        var twice = m
        twice.add(m)
        #expect(twice.total == 10 && twice.dice(ofClass: 2) == 0.5)
    }

    @Test func surfaceOfASquareAndOfTheBorder() {
        // 4×4 square inside 6×6: its 12 outer pixels are surface, the 2×2 core is not.
        let shape = GridShape(width: 6, height: 6)
        let mask = (0..<36).map { i in (1...4).contains(i % 6) && (1...4).contains(i / 6) }
        let s = surface(of: mask, shape: shape)
        #expect(s.filter { $0 }.count == 12 && !s[2 * 6 + 2] && s[1 * 6 + 1])
        // A full image: only the pixels on the image border are surface.
        #expect(surface(of: [Bool](repeating: true, count: 9), shape: GridShape(width: 3, height: 3)) == [true, true, true, true, false, true, true, true, true])
    }

    @Test func hd95ByHandIn2D() {
        // A: the row y = 0, x = 0…4; B: pixel (0, 0). A→B: 0 1 2 3 4, B→A: 0.
        // Sorted [0 0 1 2 3 4]: the 95th percentile sits at 0.95·5 = 4.75 → 3 + 0.75 = 3.75.
        let shape = GridShape(width: 5, height: 3)
        let a = (0..<15).map { $0 < 5 }, b = (0..<15).map { $0 == 0 }
        #expect(hausdorffDistance(a, b, shape: shape) == 3.75)
        #expect(hausdorffDistance(a, b, shape: shape, percentile: 100) == 4)
        // x spacing 0.5: every distance halves.
        #expect(hausdorffDistance(a, b, shape: shape, spacing: [0.5, 1, 1]) == 1.875)
        #expect(hausdorffDistance(a, a, shape: shape) == 0)
        #expect(hausdorffDistance([Bool](repeating: false, count: 15), [Bool](repeating: false, count: 15), shape: shape) == 0)
        #expect(hausdorffDistance(a, [Bool](repeating: false, count: 15), shape: shape) == nil)
    }

    @Test func hd95ByHandIn3D() {
        // A: the cube [0, 2]³ in a 5³ volume; B: the same cube one voxel up in z. Surfaces are 26
        // voxels each (all but the centre). A→B: the z = 0 face (9) and A's centre column top
        // (1, 1, 2) are 1 away, the other 16 are on B's surface: 10 ones, 16 zeros; B→A the same.
        // 52 sorted: 32 zeros then 20 ones; HD95 at 0.95·51 = 48.45 → 1; the 62nd percentile at
        // 31.62 → 0 + 0.62·(1 − 0) = 0.62.
        let shape = GridShape(width: 5, height: 5, depth: 5)
        func cube(z0: Int) -> [Bool] {
            (0..<125).map { (i: Int) -> Bool in
                let x = i % 5, y = (i / 5) % 5, z = i / 25
                return x <= 2 && y <= 2 && z >= z0 && z <= z0 + 2
            }
        }
        let a = cube(z0: 0), b = cube(z0: 1)
        #expect(hausdorffDistance(a, b, shape: shape) == 1)
        #expect(abs(hausdorffDistance(a, b, shape: shape, percentile: 62)! - 0.62) < 1e-12)
        // Two single voxels 2 apart along z with z spacing 2.5 mm: 5 mm.
        let p = (0..<125).map { $0 == 0 }, q = (0..<125).map { $0 == 50 }
        #expect(hausdorffDistance(p, q, shape: shape, spacing: [0.7, 0.7, 2.5]) == 5)
    }

    /// The spacing-aware distance transform against brute force on random sites.
    @Test func distanceTransformWithSpacingMatchesBruteForce() {
        var state: UInt64 = 12345
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        for shape in [GridShape(width: 9, height: 7), GridShape(width: 6, height: 5, depth: 4)] {
            let sites = (0..<shape.count).map { _ in next() % 9 == 0 }
            let spacing = [0.8, 1.7, 2.3]
            let fast = distanceToNearest(sites, shape: shape, spacing: spacing)
            for i in 0..<shape.count {
                var best = Double.infinity
                for j in 0..<shape.count where sites[j] {
                    var d2 = 0.0
                    for axis in 0..<3 {
                        let d = Double(shape.coordinate(of: i, axis: axis) - shape.coordinate(of: j, axis: axis)) * spacing[axis]
                        d2 += d * d
                    }
                    best = min(best, d2)
                }
                #expect(abs(fast[i] - best.squareRoot()) < 1e-9)
            }
        }
    }
}
