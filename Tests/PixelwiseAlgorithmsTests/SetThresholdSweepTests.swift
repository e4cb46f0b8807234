import Foundation
import Testing
@testable import PixelwiseAlgorithms

/// The ISBI 2012 scorer's thresholds and one threshold sweep for a whole set (`SetThresholdSweep`).
/// Expected values are worked out by hand in the comments.
@Suite struct SetThresholdSweepTests {
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
