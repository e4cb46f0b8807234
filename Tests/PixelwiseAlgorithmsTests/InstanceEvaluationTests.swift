import Foundation
import Testing
@testable import PixelwiseAlgorithms

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
