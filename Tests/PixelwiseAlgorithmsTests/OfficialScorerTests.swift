import Foundation
import Testing
@testable import PixelwiseAlgorithms

/// The ISBI 2012 scorer's conventions (issue 22): its thresholds, border thinning, and one
/// threshold sweep for a whole set. Every expected value is worked out by hand in the comments.
@Suite struct OfficialScorerTests {
    /// Two cells of 3 columns either side of a one-pixel membrane (column 3); n = 18.
    static let truth = mask(["###.###",
                             "###.###",
                             "###.###"])

    @Test func fijiThresholdsAreTheScorersLoop() {
        let t = ThresholdSweep.fijiThresholds
        #expect(t.count == 11 && t[0] == 0)
        #expect(ThresholdSweep.defaultThresholds == t)
        // The scorer's double loop reaches 0.2 exactly and 0.9999999999999999 for "1.0": an 8-bit
        // probability of 51/255 = 0.2f and of 255/255 = 1 lies above them (p > t in double).
        #expect(Float(51) / 255 > t[2] && Float(50) / 255 <= t[2])
        #expect(Float(255) / 255 > t[10] && Float(254) / 255 <= t[10])
        for (k, f) in t.enumerated() { #expect(abs(Double(f) - Double(k) / 10) < 1e-6) }
    }

    /// Three-pixel-wide predicted membrane (columns 2–4) between cells at columns 0–1 and 5–6.
    /// Flooding from the two basins: column 2 joins the left one, column 4 the right one, and
    /// column 3, reached from both, stays a watershed line.
    @Test func thinningSplitsAWideBorderInTheMiddle() {
        let (p, w, h) = mask(["##...##",
                              "##...##",
                              "##...##"])
        let thinned = thinnedBorderSegments(foreground: p, width: w, height: h)
        #expect(thinned == Array(repeating: [1, 1, 1, 0, 2, 2, 2] as [Int32], count: 3).flatMap { $0 })
        // Even width (columns 2–5): the queue takes column 3 for the left basin first, so the line
        // falls on column 4, as in the scorer.
        let (q, w2, h2) = mask(["##....##"])
        #expect(thinnedBorderSegments(foreground: q, width: w2, height: h2) == [1, 1, 1, 1, 0, 2, 2, 2])
        // No foreground at all: one basin, no line (the scorer floods a one-level image as one minimum).
        #expect(thinnedBorderSegments(foreground: [false, false, false, false], width: 2, height: 2) == [1, 1, 1, 1])
        // A one-pixel membrane is already thin.
        let (t, tw, th) = Self.truth
        #expect(thinnedBorderSegments(foreground: t, width: tw, height: th) == Array(repeating: [1, 1, 1, 0, 2, 2, 2] as [Int32], count: 3).flatMap { $0 })
    }

    /// The wide predicted membrane against the thin true one: unthinned, the true-cell pixels in
    /// columns 2 and 4 are singletons; thinned, the prediction is the truth.
    @Test func thinnedScoresForgiveBorderWidth() throws {
        let (t, w, h) = Self.truth
        let (p, _, _) = mask(["##...##",
                              "##...##",
                              "##...##"])
        let e = SegmentationEvaluation(prediction: p, groundTruth: t, width: w, height: h)
        // Unthinned: cells {6, 3×1} in each true cell: Σp² = Σs² = 2·(36 + 3) = 78, Σt² = 2·81 = 162,
        // V_rand = 156 / 240 = 0.65.
        #expect(e.foregroundRestricted.pairs == RandPairCounts(joint: 78, prediction: 78, groundTruth: 162))
        #expect(abs(e.randError - 0.35) < 1e-12)
        // V_info: S refines T, so I = H(T) = ln 2; H(S) = 2·(1/3)·ln 3 + 6·(1/18)·ln 18.
        let hS = 2.0 / 3 * log(3.0) + 1.0 / 3 * log(18.0)
        #expect(abs(e.informationError - (1 - 2 * log(2.0) / (log(2.0) + hS))) < 1e-12)
        // Thinned: segments of 9 and 9 pixels = the true cells (column 3 is true membrane, not scored).
        let thin = try #require(e.thinned)
        #expect(thin.pairs == RandPairCounts(joint: 162, prediction: 162, groundTruth: 162))
        #expect(thin.rand == 1 && abs(thin.information - 1) < 1e-12)
    }

    /// Two images whose best thresholds differ. Truth: the 7×3 cells above (n = 18 each).
    /// A: cells 0.7, membrane 0.35 (separates for 0.35 ≤ t < 0.7); B: cells 0.45, membrane 0.2
    /// (separates for 0.2 ≤ t < 0.45). Thresholds 0.3 and 0.5.
    @Test func oneSweepForTheSetPoolsAndAverages() {
        let (t, w, h) = Self.truth
        let a: [Float] = t.map { $0 ? 0.7 : 0.35 }, b: [Float] = t.map { $0 ? 0.45 : 0.2 }
        var set = SetThresholdSweep(thresholds: [0.3, 0.5], includeWarping: false)
        set.add(probability: a, groundTruth: t, width: w, height: h)
        set.add(probability: b, groundTruth: t, width: w, height: h)
        #expect(set.images.count == 2 && set.evaluations.allSatisfy { $0.imageCount == 2 })

        // Per image each is perfect at its own threshold: the old convention's mean is 0.
        for probability in [a, b] {
            let own = ThresholdSweep(probability: probability, groundTruth: t, width: w, height: h, thresholds: [0.3, 0.5])
            #expect(own.randError.value == 0)
        }

        // t = 0.3: A merged (one segment of 18 true pixels: Σp² = 81 + 81, Σs² = 18², Σt² = 162),
        // B perfect (162, 162, 162). Pooled V_rand = 2·324 / (324 + 162 + 162 + 162) = 0.8.
        // t = 0.5: A perfect, B all background (18 singletons: 18, 18, 162):
        // V_rand = 2·180 / (180 + 324) = 360/504.  The set's Rand error: 0.2 at 0.3.
        #expect(set.evaluations[0].pairs == RandPairCounts(joint: 324, prediction: 486, groundTruth: 324))
        #expect(abs(set.randError.value - 0.2) < 1e-12 && set.randError.threshold == 0.3)
        #expect(abs(set.evaluations[1].randError - (1 - 360.0 / 504)) < 1e-12)

        // V_info is the mean of the images': t = 0.3: A 0 (one segment, I = 0), B 1 → 0.5;
        // t = 0.5: A 1, B singletons (H(S) = ln 18, I = H(T) = ln 2): 2 ln 2 / ln 36 → mean.
        let singles = 2 * log(2.0) / (log(18.0) + log(2.0))
        #expect(abs(set.evaluations[0].informationError - 0.5) < 1e-12)
        #expect(abs(set.informationError.value - (1 - (1 + singles) / 2)) < 1e-12 && set.informationError.threshold == 0.5)

        // Pixel counts pool: t = 0.3 → A's 3 membrane pixels wrong of 42: 3/42; TP 36, FP 3: 1 − F = 3/75.
        #expect(abs(set.pixelError.value - 3.0 / 42) < 1e-12 && set.pixelError.threshold == 0.3)
        #expect(abs(set.fScoreError.value - 3.0 / 75) < 1e-12)

        // Thinned V_rand, per-image mean: t = 0.3: A merged 2/3 (2·162 / (324 + 162)), B 1 → 5/6;
        // t = 0.5: A 1, B no foreground → one basin → 2/3 → 5/6 too: a tie goes to 0.3.
        #expect(abs(set.thinnedRandError!.value - 1.0 / 6) < 1e-12 && set.thinnedRandError!.threshold == 0.3)

        // Each image at the set's threshold.
        #expect(set.image(1, at: 0.3).randError == 0)
        #expect(abs(set.image(0, at: 0.3).randError - (1 - 324.0 / 486)) < 1e-12)
    }
}

/// CREMI's instance measures on label images small enough to count by hand.
@Suite struct InstanceEvaluationTests {
    /// Truth [1 1 1 2 2 2], proposal [5 5 7 7 7 7]: cells (5,1) = 2, (7,1) = 1, (7,2) = 3 of n = 6.
    @Test func voiAndAdaptedRandByHand() {
        let s = InstanceScores(segmentation: [5, 5, 7, 7, 7, 7], groundTruth: [1, 1, 1, 2, 2, 2], width: 6, height: 1)
        // H(S|T) = −[(2/6)·log₂(2/3) + (1/6)·log₂(1/3) + (3/6)·log₂(3/3)] = ½·log₂3 − ⅓
        #expect(abs(s.voiSplit - (0.5 * log2(3.0) - 1.0 / 3)) < 1e-12)
        // H(T|S) = −[(2/6)·log₂(2/2) + (1/6)·log₂(1/4) + (3/6)·log₂(3/4)] = 4/3 − ½·log₂3
        #expect(abs(s.voiMerge - (4.0 / 3 - 0.5 * log2(3.0))) < 1e-12)
        // ΣAB = 4 + 1 + 9 = 14, ΣB = 2² + 4² = 20, ΣA = 3² + 3² = 18: F = 28 / 38, error 5/19.
        #expect(abs(s.adaptedRandPrecision - 0.7) < 1e-12 && abs(s.adaptedRandRecall - 14.0 / 18) < 1e-12)
        #expect(abs(s.adaptedRandError - 5.0 / 19) < 1e-12)
        #expect(s.voxelCount == 6)
    }

    /// Proposal id 0 and CREMI's background id: truth [1 1 1 2 2 2 max], proposal [5 0 7 7 7 7 9].
    /// The last voxel is ignored (truth = 2⁶⁴ − 1) but still counts in CREMI's N = 7.
    @Test func unassignedProposalAndIgnoredTruth() {
        let s = InstanceScores(segmentation: [5, 0, 7, 7, 7, 7, 9], groundTruth: [1, 1, 1, 2, 2, 2, .max], width: 7, height: 1)
        #expect(s.voxelCount == 6)
        // Rand: the 0 voxel pairs with nothing: ΣAB = 1 + 9 + 1/7, ΣB = 1 + 16 + 1/7, ΣA = 18.
        // Cells off id 0: (5,1) = 1, (7,1) = 1, (7,2) = 3 → 1 + 1 + 9 = 11; columns 5: 1, 7: 4.
        let ab = 11 + 1.0 / 7, b = 17 + 1.0 / 7, a = 18.0
        let p = ab / b, r = ab / a
        #expect(abs(s.adaptedRandError - (1 - 2 * p * r / (p + r))) < 1e-12)
        // VOI takes 0 as a segment: cells (5,1) (0,1) (7,1) = 1 each, (7,2) = 3 of 6.
        // H(S|T) = 3·(1/6)·log₂3 = ½·log₂3; H(T|S) = −[(1/6)·log₂(1/4) + (3/6)·log₂(3/4)] = 4/3 − ½·log₂3.
        #expect(abs(s.voiSplit - 0.5 * log2(3.0)) < 1e-12)
        #expect(abs(s.voiMerge - (4.0 / 3 - 0.5 * log2(3.0))) < 1e-12)
        // Further ignored ids: ignoring truth 2 leaves (5,1) (0,1) (7,1): H(S|T) = log₂3, H(T|S) = 0.
        let only1 = InstanceScores(segmentation: [5, 0, 7, 7, 7, 7, 9], groundTruth: [1, 1, 1, 2, 2, 2, .max],
                                   width: 7, height: 1, ignoredTruthIds: [.max, 2])
        #expect(abs(only1.voiSplit - log2(3.0)) < 1e-12 && abs(only1.voiMerge) < 1e-12)
    }

    /// An object spanning two sections, split by section in the proposal (2×1×2 volume).
    @Test func volumeSplitAcrossSections() {
        let s = InstanceScores(segmentation: [3, 3, 4, 4], groundTruth: [1, 1, 1, 1], width: 2, height: 1, depth: 2)
        // H(S|T) = 1 bit, H(T|S) = 0. ΣAB = ΣB = 4 + 4 = 8, ΣA = 16: P = 1, R = ½, F = ⅔.
        #expect(abs(s.voiSplit - 1) < 1e-12 && abs(s.voiMerge) < 1e-12)
        #expect(abs(s.adaptedRandError - 1.0 / 3) < 1e-12)
    }

    /// Two ids side by side (columns 0–2 and 3–5, 3 rows): columns 2 and 3 are boundary pixels.
    @Test func borderMaskByHand() {
        let ids: [UInt64] = Array(repeating: [1, 1, 1, 2, 2, 2] as [UInt64], count: 3).flatMap { $0 }
        let row = { (m: [Bool]) in Array(m[0..<6]) }
        #expect(row(cremiBorderMask(ids: ids, width: 6, height: 3, maxDistance: 0.5)) == [false, false, true, true, false, false])
        #expect(row(cremiBorderMask(ids: ids, width: 6, height: 3, maxDistance: 1)) == [false, true, true, true, true, false])
        // Per section: two sections of one id each have no boundary (z neighbours do not count).
        #expect(!cremiBorderMask(ids: [1, 1, 2, 2], width: 2, height: 1, depth: 2, maxDistance: 3).contains(true))
        // With the mask (distance 0.5) only columns 0, 1, 4, 5 are scored: a perfect proposal, and
        // a proposal that is wrong only on the boundary columns scores perfectly too.
        let wrongOnBorder: [UInt64] = Array(repeating: [1, 1, 9, 9, 2, 2] as [UInt64], count: 3).flatMap { $0 }
        let s = InstanceScores(segmentation: wrongOnBorder, groundTruth: ids, width: 6, height: 3, borderDistance: 0.5)
        #expect(s.voxelCount == 12 && s.voiSplit == 0 && s.voiMerge == 0 && s.adaptedRandError == 0)
    }
}
