import Foundation
import Testing
@testable import PixelwiseAlgorithms
import PixelwiseTestSupport

@Suite struct SegmentationMetricsTests {
    // Two cells (4 columns each) either side of a one-pixel membrane; n = 24 foreground pixels.
    static let truth = mask(["####.####",
                             "####.####",
                             "####.####"])

    @Test func confusionScoresByHand() {
        let prediction: [Bool] = [true, true, false, false, true, false]
        let truth: [Bool] = [true, false, true, false, true, false]
        let c = BinaryConfusion(prediction: prediction, groundTruth: truth)
        #expect(c == BinaryConfusion(truePositives: 2, falsePositives: 1, falseNegatives: 1, trueNegatives: 2))
        #expect(c.accuracy == 4.0 / 6)
        #expect(abs(c.pixelError - 2.0 / 6) < 1e-15)
        #expect(c.intersectionOverUnion == 0.5)
        #expect(c.dice == 4.0 / 6)
        #expect(abs(c.fScoreError - 2.0 / 6) < 1e-15)
        let empty = BinaryConfusion(prediction: [false, false], groundTruth: [false, false])
        #expect(empty.intersectionOverUnion == 1 && empty.dice == 1 && empty.accuracy == 1)
    }

    @Test func perfectPredictionHasNoError() {
        let (t, w, h) = Self.truth
        let e = SegmentationEvaluation(prediction: t, groundTruth: t, width: w, height: h, includeWarping: true)
        #expect(e.pixelError == 0)
        #expect(e.randError == 0)
        #expect(e.informationError == 0)
        #expect(e.warping?.errorCount == 0)
        #expect(e.confusion.intersectionOverUnion == 1 && e.confusion.dice == 1)
    }

    @Test func splitRandAndInformationByHand() {
        // A false membrane (column 1) cuts the left cell into 3 + 6 pixels and 3 singletons.
        let (t, w, h) = Self.truth
        let (p, _, _) = mask(["#.##.####",
                              "#.##.####",
                              "#.##.####"])
        let s = ForegroundRestrictedScores(prediction: p, groundTruth: t, width: w, height: h)
        // Contingency cells: left cell → {3, 6, 1, 1, 1}; right cell → {12}.
        let cells = [3.0, 6, 1, 1, 1, 12]
        let sumP2 = cells.map { $0 * $0 }.reduce(0, +)         // 192
        let sumS2 = sumP2                                      // every S segment lies in one T segment
        let sumT2 = 12.0 * 12 + 12 * 12                        // 288
        #expect(sumP2 == 192)
        #expect(abs(s.rand - 2 * sumP2 / (sumS2 + sumT2)) < 1e-12)
        #expect(abs(s.randError - 0.2) < 1e-12)
        #expect(s.randMerge == 1)
        // H(T) = log 2; S refines T, so I(S;T) = H(T).
        let hS = -cells.map { $0 / 24 * log($0 / 24) }.reduce(0, +)
        #expect(abs(s.information - 2 * log(2.0) / (hS + log(2.0))) < 1e-12)
        #expect(abs(s.informationMerge - 1) < 1e-12)
        #expect(s.pixelCount == 24)
    }

    @Test func mergeRandAndInformationByHand() {
        // A one-pixel gap in the membrane joins the two cells into one segment of 24 (+1 membrane) pixels.
        let (t, w, h) = Self.truth
        let (p, _, _) = mask(["####.####",
                              "#########",
                              "####.####"])
        let s = ForegroundRestrictedScores(prediction: p, groundTruth: t, width: w, height: h)
        // Cells (A, S) = 12, (B, S) = 12: Σp² = 288, Σs² = 24² = 576, Σt² = 288.
        #expect(abs(s.rand - 576.0 / 864) < 1e-12)
        #expect(abs(s.randError - 1.0 / 3) < 1e-12)
        #expect(s.randSplit == 1)
        #expect(abs(s.randMerge - 0.5) < 1e-12)
        // H(S) = 0 and I = 0: V_info = 0.
        #expect(s.information == 0)
        #expect(s.informationError == 1)
    }

    /// V_rand from explicit pair counting over ordered pairs (self-pairs included), with
    /// prediction-background pixels equal only to themselves.
    static func bruteForceRand(_ p: [Int32], _ t: [Int32]) -> Double {
        let fg = t.indices.filter { t[$0] != 0 }
        var both = 0.0, sameS = 0.0, sameT = 0.0
        for i in fg { for j in fg {
            let s = p[i] != 0 ? p[i] == p[j] : i == j
            let tt = t[i] == t[j]
            if s { sameS += 1 }
            if tt { sameT += 1 }
            if s && tt { both += 1 }
        } }
        return fg.isEmpty ? 1 : 2 * both / (sameS + sameT)
    }

    @Test func randMatchesPairCountingOnRandomLabels() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<20 {
            let n = 120
            let p = (0..<n).map { _ in Int32.random(in: 0...5, using: &rng) }
            let t = (0..<n).map { _ in Int32.random(in: 0...4, using: &rng) * 1000 }   // sparse ids
            let s = ForegroundRestrictedScores(prediction: p, groundTruth: t)
            #expect(abs(s.rand - Self.bruteForceRand(p, t)) < 1e-12)
            #expect(s.information >= 0 && s.information <= 1)
        }
    }

    @Test func informationOfIndependentSplit() {
        // T: two segments of 2; S cuts across them: p_ij = 1/4 each, so I = 0 and V_info = 0.
        let s = ForegroundRestrictedScores(prediction: [1, 2, 1, 2], groundTruth: [7, 7, 9, 9])
        #expect(abs(s.information) < 1e-12)
        // Relabelled identical segmentations score 1.
        let same = ForegroundRestrictedScores(prediction: [5, 5, 3, 0], groundTruth: [1, 1, 2, 0])
        #expect(abs(same.information - 1) < 1e-12 && abs(same.rand - 1) < 1e-12)
    }

    @Test func thresholdSweepFindsTheSeparatingThreshold() {
        // Cells at 0.7, membrane at 0.6: only 0.6 ≤ t < 0.7 separates them (foreground is p > t).
        let (t, w, h) = Self.truth
        let probability: [Float] = t.map { $0 ? 0.7 : 0.6 }
        let sweep = ThresholdSweep(probability: probability, groundTruth: t, width: w, height: h,
                                   thresholds: ThresholdSweep.midpointThresholds, includeWarping: true)
        #expect(sweep.thresholds.count == 19 && sweep.thresholds.contains(0.5))
        #expect(sweep.randError == ThresholdedScore(value: 0, threshold: 0.6))
        #expect(sweep.pixelError == ThresholdedScore(value: 0, threshold: 0.6))
        #expect(sweep.informationError.value < 1e-12 && sweep.informationError.threshold == 0.6)
        #expect(sweep.dice == ThresholdedScore(value: 1, threshold: 0.6))
        #expect(sweep.warpingError == ThresholdedScore(value: 0, threshold: 0.6))
        // At 0.5 the membrane is foreground: the merge of two equal cells.
        let atHalf = sweep.evaluations[sweep.thresholds.firstIndex(of: 0.5)!]
        #expect(abs(atHalf.randError - 1.0 / 3) < 1e-12)
        #expect(atHalf.warping?.errorCount == 3)
    }

    /// The ISBI scorer's "pixel error" is 1 − F-score, which weighs errors by the foreground they
    /// touch: with little foreground it prefers a threshold that 1 − accuracy does not.
    @Test func fScoreErrorAndPixelErrorPickTheirOwnThresholds() {
        let truth = [true, false, false, false]
        let probability: [Float] = [0.6, 0.7, 0.8, 0.1]
        let sweep = ThresholdSweep(probability: probability, groundTruth: truth, width: 4, height: 1, thresholds: [0.5, 0.85])
        // t = 0.5: TP 1, FP 2 → 1 − accuracy = 2/4, 1 − F = 1 − 2/4.  t = 0.85: FN 1 → 1/4 and 1 − 0 = 1.
        #expect(sweep.pixelError == ThresholdedScore(value: 0.25, threshold: 0.85))
        #expect(sweep.fScoreError == ThresholdedScore(value: 0.5, threshold: 0.5))
        #expect(sweep.evaluations[0].confusion.fScoreError == 1 - sweep.evaluations[0].confusion.dice)
    }

    /// A 512² sweep with every measure (its timing: `pixelwise-benchmarks measures`).
    @Test func sweep512FindsThePerfectThresholds() {
        let w = 512, h = 512
        let truth = cellImage(width: w, height: h, cell: 30)
        var rng = SplitMix64(seed: 11)
        let probability: [Float] = truth.map { ($0 ? 0.75 : 0.25) + Float.random(in: -0.19...0.19, using: &rng) }
        let s = ThresholdSweep(probability: probability, groundTruth: truth, width: w, height: h,
                               thresholds: ThresholdSweep.midpointThresholds, includeWarping: true)
        // Noise of ±0.2 around 0.25/0.75 never crosses 0.45…0.55, so those thresholds are perfect.
        #expect(s.pixelError == ThresholdedScore(value: 0, threshold: 0.45))
        #expect(s.randError.value == 0 && s.informationError.value < 1e-12 && s.warpingError!.value == 0)
    }
}
