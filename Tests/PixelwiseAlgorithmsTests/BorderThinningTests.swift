import Foundation
import Testing
@testable import PixelwiseAlgorithms

/// Border thinning as the ISBI 2012 ranking's 2016 script does it (`thinnedBorderSegments`), and the
/// thinned scores. Expected values are worked out by hand in the comments.
@Suite struct BorderThinningTests {
    /// Two cells of 3 columns either side of a one-pixel membrane (column 3); n = 18.
    static let truth = mask(["###.###",
                             "###.###",
                             "###.###"])

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
}
