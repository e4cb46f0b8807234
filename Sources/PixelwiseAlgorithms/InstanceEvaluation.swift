import Foundation

/// Instance measures of the CREMI challenge (cremi.org; its `cremi_python` evaluation, which
/// takes them from gala): variation of information split and merge, and the adapted Rand error,
/// for label images or volumes of object ids (e.g. CREMI `neuron_ids`, or the connected
/// components of a thresholded prediction). 2-D is a volume of depth 1; ids are compared over the
/// whole volume (an object spans sections).
///
/// With S the proposed segmentation and T the ground truth, over the N' voxels whose truth id is
/// not ignored (`ignoredTruthIds`), p_ij = |S = i ∧ T = j| / N', s_i = Σ_j p_ij, t_j = Σ_i p_ij:
///
///     VOI split = H(S|T) = −Σ p_ij log₂(p_ij / t_j)     (over-segmentation, bits)
///     VOI merge = H(T|S) = −Σ p_ij log₂(p_ij / s_i)     (under-segmentation, bits)
///
/// Every proposed id counts as a segment here, 0 included (CREMI ignores nothing in the proposal).
///
/// Adapted Rand error (the SNEMI3D definition as CREMI codes it), with raw counts c_ij over the
/// same voxels, a_i = Σ_j c_ij (truth rows), b_j = Σ_i c_ij for proposed ids j ≠ 0, c₀ = the
/// voxels the proposal labels 0, and N = every voxel of the volume (ignored ones included —
/// CREMI's `n = segA.size`):
///
///     ΣAB = Σ_{j≠0} c_ij² + c₀/N,   ΣB = Σ_{j≠0} b_j² + c₀/N,   ΣA = Σ a_i²
///     precision = ΣAB / ΣB,  recall = ΣAB / ΣA,  error = 1 − 2·P·R / (P + R).
///
/// So proposed id 0 means "unassigned": those voxels pair with nothing (the c₀/N terms are what
/// the original script adds and are negligible), where VOI takes 0 as an ordinary segment —
/// CREMI's own inconsistency, kept so that the numbers are CREMI's.
///
/// Boundary and background, CREMI's way: the truth ids equal to `UInt64.max` (CREMI's background
/// label, which its border mask also writes) are ignored; with `borderDistance` the truth voxels
/// within that many pixels of an id boundary *in the same section* are ignored too
/// (`cremiBorderMask`; the challenge used 25 nm = 6.25 pixels at 4 nm). Any further ids
/// (e.g. 0 for the background of a binary label image) can be listed in `ignoredTruthIds`.
public struct InstanceScores: Sendable, Hashable {
    /// H(S|T) in bits.
    public var voiSplit: Double
    /// H(T|S) in bits.
    public var voiMerge: Double
    public var adaptedRandError: Double
    public var adaptedRandPrecision: Double
    public var adaptedRandRecall: Double
    /// N': the voxels scored.
    public var voxelCount: Int

    /// CREMI's background id in `neuron_ids`.
    public static let cremiBackground = UInt64.max

    /// - Parameters:
    ///   - segmentation, groundTruth: ids, `width·height·depth` each, x fastest.
    ///   - borderDistance: CREMI's border mask in pixels (nil: none).
    public init(segmentation: [UInt64], groundTruth: [UInt64], width: Int, height: Int, depth: Int = 1,
                ignoredTruthIds: Set<UInt64> = [InstanceScores.cremiBackground], borderDistance: Double? = nil) {
        let shape = GridShape(width: width, height: height, depth: depth)
        shape.check(segmentation, "segmentation")
        shape.check(groundTruth, "ground truth")
        var counts = InstanceContingency(ignoredTruthIds: ignoredTruthIds, borderDistance: borderDistance)
        let plane = width * height
        for z in 0..<depth {
            counts.add(segmentation: Array(segmentation[z * plane..<(z + 1) * plane]),
                       groundTruth: Array(groundTruth[z * plane..<(z + 1) * plane]), width: width, height: height)
        }
        self = counts.scores
    }

    init(_ c: InstanceContingency) {
        var rows: [UInt64: Int] = [:], columns: [UInt64: Int] = [:]   // truth sizes a_i, proposal sizes
        var scored = 0
        for (pair, n) in c.joint { rows[pair.t, default: 0] += n; columns[pair.s, default: 0] += n; scored += n }
        voxelCount = scored

        // VOI in bits.
        if scored > 0 {
            let n = Double(scored)
            var split = 0.0, merge = 0.0
            for (pair, count) in c.joint {
                let p = Double(count) / n
                split -= p * log2(Double(count) / Double(rows[pair.t]!))
                merge -= p * log2(Double(count) / Double(columns[pair.s]!))
            }
            voiSplit = max(0, split); voiMerge = max(0, merge)
        } else {
            voiSplit = 0; voiMerge = 0
        }

        // Adapted Rand.
        let total = Double(c.voxels)
        var unassigned = 0.0, sumAB = 0.0, sumB = 0.0, sumA = 0.0
        for (pair, n) in c.joint {
            if pair.s == 0 { unassigned += Double(n) } else { sumAB += Double(n) * Double(n) }
        }
        for (s, b) in columns where s != 0 { sumB += Double(b) * Double(b) }
        for (_, a) in rows { sumA += Double(a) * Double(a) }
        if total > 0 { sumAB += unassigned / total; sumB += unassigned / total }
        adaptedRandPrecision = sumB == 0 ? 1 : sumAB / sumB
        adaptedRandRecall = sumA == 0 ? 1 : sumAB / sumA
        let pr = adaptedRandPrecision + adaptedRandRecall
        adaptedRandError = pr == 0 ? 1 : 1 - 2 * adaptedRandPrecision * adaptedRandRecall / pr
    }
}

/// The contingency counts of `InstanceScores`, gathered one section (x–y plane) at a time, so that
/// a volume is scored with memory flat in its depth: `add` each section in order, then `scores`.
/// The border mask is per section, as in CREMI.
public struct InstanceContingency: Sendable {
    struct Pair: Hashable, Sendable { var s: UInt64; var t: UInt64 }
    public let ignoredTruthIds: Set<UInt64>
    public let borderDistance: Double?
    var joint: [Pair: Int] = [:]
    /// Every voxel added, ignored ones included (CREMI's N).
    public private(set) var voxels = 0

    public init(ignoredTruthIds: Set<UInt64> = [InstanceScores.cremiBackground], borderDistance: Double? = nil) {
        self.ignoredTruthIds = ignoredTruthIds
        self.borderDistance = borderDistance
    }

    /// Adds one section: `width·height` ids each, x fastest.
    public mutating func add(segmentation: [UInt64], groundTruth: [UInt64], width: Int, height: Int) {
        let shape = GridShape(width: width, height: height)
        shape.check(segmentation, "segmentation")
        shape.check(groundTruth, "ground truth")
        let border = borderDistance.map { cremiBorderMask(ids: groundTruth, width: width, height: height, maxDistance: $0) }
        voxels += shape.count
        // Runs of equal (proposal, truth) pairs in raster order: one dictionary update per run.
        var i = 0
        while i < shape.count {
            let s = segmentation[i], t = groundTruth[i]
            if ignoredTruthIds.contains(t) || border?[i] == true { i += 1; continue }
            var j = i + 1
            while j < shape.count && segmentation[j] == s && groundTruth[j] == t && border?[j] != true { j += 1 }
            joint[Pair(s: s, t: t), default: 0] += j - i
            i = j
        }
    }

    public var scores: InstanceScores { InstanceScores(self) }
}

/// CREMI's border mask: in each section (2-D, x–y), a pixel is a boundary pixel when one of its
/// four neighbours has another id (outside the image counts as the same id), and every pixel
/// whose Euclidean distance to the nearest boundary pixel is at most `maxDistance` is masked
/// (boundary pixels themselves at distance 0). A section without boundaries masks nothing.
public func cremiBorderMask(ids: [UInt64], width: Int, height: Int, depth: Int = 1, maxDistance: Double) -> [Bool] {
    let shape = GridShape(width: width, height: height, depth: depth)
    shape.check(ids, "ids")
    let plane = width * height
    var mask = [Bool](repeating: false, count: shape.count)
    let limit = max(maxDistance, 0)
    for z in 0..<depth {
        let base = z * plane
        var boundary = [Bool](repeating: false, count: plane)
        for y in 0..<height {
            for x in 0..<width {
                let i = base + y * width + x, v = ids[i]
                boundary[y * width + x] = (x > 0 && ids[i - 1] != v) || (x + 1 < width && ids[i + 1] != v)
                    || (y > 0 && ids[i - width] != v) || (y + 1 < height && ids[i + width] != v)
            }
        }
        guard boundary.contains(true) else { continue }
        let squared = squaredDistanceToNearest(foreground: boundary, width: width, height: height)
        for p in 0..<plane where Double(squared[p]).squareRoot() <= limit { mask[base + p] = true }
    }
    return mask
}
