import Foundation
import Testing
@testable import PixelwiseAlgorithms
import PixelwiseTestSupport

@Suite struct WarpingErrorTests {
    /// Neighbour bits: 0 NW, 1 N, 2 NE, 3 E, 4 SE, 5 S, 6 SW, 7 W.
    @Test func simplePointTableByHand() {
        let simple = SimplePoint.isSimple
        #expect(!simple[0])                              // isolated pixel: removing it deletes a component
        #expect(!simple[255])                            // interior pixel: removing it makes a hole
        #expect(simple[1 << 1])                          // end of a line
        #expect(!simple[1 << 2])                         // only a diagonal neighbour: 4-isolated
        #expect(!simple[1 << 1 | 1 << 5])                // on a line between N and S: removal splits
        #expect(simple[1 << 1 | 1 << 2 | 1 << 3])        // corner of a block
        #expect(!simple[1 << 1 | 1 << 3])                // N and E without NE: two 4-components
        #expect(simple[0b1111_1000])                     // E, SE, S, SW, W: on a straight edge
        #expect(!simple[0b1011_1011])                    // all but NE and SW: {W,NW,N} and {E,SE,S}
        #expect(simple[0b1111_1110])                     // all but NW: removing p opens a dent, no hole
        #expect(simple[0b1110_1111])                     // all but SE: one fg run, bg {SE} alone
    }

    @Test func oneColumnMembraneShiftCostsNothing() {
        let (truth, w, h) = mask(["#####.######",
                                  "#####.######",
                                  "#####.######",
                                  "#####.######",
                                  "#####.######"])
        let (shifted, _, _) = mask(["######.#####",
                                    "######.#####",
                                    "######.#####",
                                    "######.#####",
                                    "######.#####"])
        let r = warpingError(prediction: shifted, groundTruth: truth, width: w, height: h)
        #expect(r.errorCount == 0 && r.error == 0)
        #expect(r.flips == 10)
        #expect(r.warpedLabels == shifted)
    }

    @Test func shiftedBlobCostsNothing() {
        let (truth, w, h) = mask(["..........",
                                  "..#####...",
                                  "..######..",
                                  "..######..",
                                  "...####...",
                                  ".........."])
        let (shifted, _, _) = mask(["..........",
                                    "...#####..",
                                    "...######.",
                                    "...######.",
                                    "....####..",
                                    ".........."])
        let r = warpingError(prediction: shifted, groundTruth: truth, width: w, height: h)
        #expect(r.errorCount == 0)
        #expect(r.warpedLabels == shifted)
    }

    @Test func mergeThroughAGapIsOneError() {
        let (truth, w, h) = mask(["#####.######",
                                  "#####.######",
                                  "#####.######",
                                  "#####.######"])
        var merged = truth
        merged[2 * w + 5] = true
        let r = warpingError(prediction: merged, groundTruth: truth, width: w, height: h)
        #expect(r.errorCount == 1)
        #expect(r.error == 1.0 / Double(w * h))
        #expect(r.warpedLabels == truth)
    }

    @Test func falseMembraneSplitLeavesOnePixel() {
        let (truth, w, h) = mask(["#####.######",
                                  "#####.######",
                                  "#####.######",
                                  "#####.######"])
        // A predicted membrane across the left cell from the image border to the true membrane:
        // all its pixels but one can be carved in from the border; the last one would split the cell.
        var split = truth
        for x in 0..<5 { split[2 * w + x] = false }
        let r = warpingError(prediction: split, groundTruth: truth, width: w, height: h)
        #expect(r.errorCount == 1)
        #expect(r.flips == 4)
    }

    @Test func confidentPixelsWarpFirst() {
        // A two-pixel object predicted as background: either pixel alone is simple (an end point),
        // but after one flips the other is isolated and must stay. The more confident one flips.
        let (truth, w, h) = mask(["...",
                                  "##.",
                                  "..."])
        for (left, right) in [(Float(0.1), Float(0.4)), (0.4, 0.1)] {
            var probability: [Float] = truth.map { $0 ? 1 : 0 }
            probability[3] = left
            probability[4] = right
            let r = warpingError(prediction: probability, groundTruth: truth, width: w, height: h)
            #expect(r.flips == 1 && r.errorCount == 1)
            #expect(r.warpedLabels[3] == (left > right))
            #expect(r.warpedLabels[4] == (right > left))
        }
    }

    /// A noisy 512² prediction (its timing: `pixelwise-benchmarks measures`).
    @Test func noisy512KeepsOnlyTopologicalErrors() {
        let w = 512, h = 512
        let truth = cellImage(width: w, height: h, cell: 30)
        var rng = SplitMix64(seed: 9)
        // A noisy prediction: every pixel flipped with probability 2 %, confidence random.
        let probability: [Float] = truth.map { t in
            let flip = Double.random(in: 0..<1, using: &rng) < 0.02
            let confidence = Float.random(in: 0.55...1, using: &rng)
            return (t != flip) ? confidence : 1 - confidence
        }
        let r = warpingError(prediction: probability, groundTruth: truth, width: w, height: h)
        // Isolated noise pixels are holes or membrane breaks (topological); every other
        // disagreement was warped away.
        let disagreements = zip(probability, truth).filter { ($0 > 0.5) != $1 }.count
        #expect(r.errorCount > 0 && r.flips > 0)
        #expect(r.errorCount + r.flips == disagreements)
    }
}
