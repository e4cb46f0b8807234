import Foundation

/// The ISBI 2012 segmentation scores V_rand and V_info (Arganda-Carreras et al., "Crowdsourcing
/// the creation of image segmentation algorithms for connectomics", Front. Neuroanat. 2015).
///
/// Both compare a proposed segmentation S with the ground truth T through the contingency table
/// restricted to the ground-truth foreground: with n the number of pixels whose ground-truth
/// label is non-zero,
///
///     p_ij = |{pixels in segment i of S and segment j of T}| / n,   s_i = Σ_j p_ij,   t_j = Σ_i p_ij.
///
/// Ground-truth background (label 0, the membranes) is left out entirely. A pixel that the
/// proposal labels 0 (background) although it is ground-truth foreground is its own singleton
/// segment of S. This is what the challenge's Fiji scorer computes (`RandError.
/// foregroundRestrictedStatsN2` adds p_i0/n = Σ (1/n)² to Σs² and Σp²): predicting membrane
/// inside a cell is a split of every pixel from every other, never a free merge into one big
/// "background segment".
///
/// Rand (F-score of the pair-counting precision and recall):
///
///     V_rand_split = Σ p_ij² / Σ t_j²,  V_rand_merge = Σ p_ij² / Σ s_i²,
///     V_rand = 2·Σ p_ij² / (Σ s_i² + Σ t_j²),   Rand error = 1 − V_rand.
///
/// Information (F-score of the normalised mutual information):
///
///     H(S) = −Σ s_i log s_i,  H(T) = −Σ t_j log t_j,  I(S;T) = Σ p_ij log(p_ij / (s_i t_j)),
///     V_info_split = I / H(S),  V_info_merge = I / H(T),
///     V_info = 2·I / (H(S) + H(T)),   information error = 1 − V_info.
///
/// Degenerate cases: with no ground-truth foreground (n = 0) every score is 1; a ratio 0/0
/// (e.g. H(S) = H(T) = 0: one segment each, which then coincide) is 1. (Fiji's V_info scores
/// that one case 0; every other case agrees.)
///
/// `pairs` keeps the un-normalised pair counts, so that the scores of a set of images can be
/// pooled as the Fiji scorer pools them (see `SetThresholdSweep`).
public struct ForegroundRestrictedScores: Sendable, Hashable {
    public var randSplit: Double
    public var randMerge: Double
    /// V_rand.
    public var rand: Double
    public var informationSplit: Double
    public var informationMerge: Double
    /// V_info.
    public var information: Double
    /// n: the ground-truth foreground pixels the scores are computed on.
    public var pixelCount: Int
    /// n²·Σp_ij², n²·Σs_i², n²·Σt_j²: the Fiji scorer's true positives, TP + false positives
    /// and TP + false negatives of the pair classification (ordered pairs, self-pairs included).
    public var pairs: RandPairCounts

    public var randError: Double { 1 - rand }
    public var informationError: Double { 1 - information }

    /// Scores of two label images (0 = background, any other value = segment id).
    public init(prediction: [Int32], groundTruth: [Int32]) {
        precondition(prediction.count == groundTruth.count,
                     "prediction has \(prediction.count) pixels, ground truth \(groundTruth.count)")
        let table = ContingencyTable(prediction: prediction, groundTruth: groundTruth)
        self.init(table)
    }

    /// Scores of two binary maps whose segments are the 4-connected (6-connected in 3-D)
    /// components of their foreground, as in the ISBI 2012 challenge.
    public init(prediction: [Bool], groundTruth: [Bool], width: Int, height: Int, depth: Int = 1) {
        let truth = connectedComponents(foreground: groundTruth, width: width, height: height, depth: depth)
        self.init(prediction: prediction, groundTruthComponents: truth, width: width, height: height, depth: depth)
    }

    /// As above with the ground-truth components already computed (threshold sweeps reuse them).
    public init(prediction: [Bool], groundTruthComponents truth: ComponentLabels, width: Int, height: Int, depth: Int = 1) {
        let proposal = connectedComponents(foreground: prediction, width: width, height: height, depth: depth)
        self.init(prediction: proposal.labels, groundTruth: truth.labels)
    }

    init(_ table: ContingencyTable) {
        pixelCount = table.n
        let sumP2 = table.joint.reduce(0) { $0 + Double($1.count) * Double($1.count) }
        let sumS2 = table.predictionSizes.reduce(0) { $0 + Double($1) * Double($1) }
        let sumT2 = table.groundTruthSizes.reduce(0) { $0 + Double($1) * Double($1) }
        pairs = RandPairCounts(joint: sumP2, prediction: sumS2, groundTruth: sumT2)
        guard table.n > 0 else {
            randSplit = 1; randMerge = 1; rand = 1
            informationSplit = 1; informationMerge = 1; information = 1
            return
        }
        let n = Double(table.n)
        func ratio(_ a: Double, _ b: Double) -> Double { b == 0 ? (a == 0 ? 1 : 0) : a / b }

        // Pair counting on raw counts; the n² normalisation cancels in every ratio.
        randSplit = ratio(sumP2, sumT2)
        randMerge = ratio(sumP2, sumS2)
        rand = ratio(2 * sumP2, sumS2 + sumT2)

        // Entropies in nats, p log p with p = count / n.
        func plogp(_ count: Int) -> Double { count == 0 ? 0 : Double(count) / n * log(Double(count) / n) }
        let hS = -table.predictionSizes.reduce(0) { $0 + plogp($1) }
        let hT = -table.groundTruthSizes.reduce(0) { $0 + plogp($1) }
        var mutual = 0.0
        for cell in table.joint {
            // p log(p / (s t)) = (c/n) log(c·n / (s_count·t_count))
            let s = Double(table.predictionSizes[Int(cell.prediction)])
            let t = Double(table.groundTruthSizes[Int(cell.groundTruth)])
            mutual += Double(cell.count) / n * log(Double(cell.count) * n / (s * t))
        }
        mutual = max(0, mutual)   // rounding can leave −1e−17
        informationSplit = ratio(mutual, hS)
        informationMerge = ratio(mutual, hT)
        information = ratio(2 * mutual, hS + hT)
    }
}

/// Un-normalised pair counts of the foreground-restricted Rand index: `joint` = Σ c_ij²,
/// `prediction` = Σ (row sum)², `groundTruth` = Σ (column sum)², with c_ij the pixel counts of
/// the contingency table (prediction background pixels as singletons). Counts of several images
/// add up; V_rand of the sum is the Fiji scorer's "micro-averaged" V_rand of the stack.
public struct RandPairCounts: Sendable, Hashable {
    public var joint: Double
    public var prediction: Double
    public var groundTruth: Double

    public init(joint: Double = 0, prediction: Double = 0, groundTruth: Double = 0) {
        self.joint = joint; self.prediction = prediction; self.groundTruth = groundTruth
    }

    public static func + (a: RandPairCounts, b: RandPairCounts) -> RandPairCounts {
        RandPairCounts(joint: a.joint + b.joint, prediction: a.prediction + b.prediction, groundTruth: a.groundTruth + b.groundTruth)
    }

    /// 2·Σp² / (Σs² + Σt²); 1 when there are no pairs at all.
    public var rand: Double { prediction + groundTruth == 0 ? 1 : 2 * joint / (prediction + groundTruth) }
    /// Σp² / Σt² (1 when Σt² = 0).
    public var split: Double { groundTruth == 0 ? 1 : joint / groundTruth }
    /// Σp² / Σs² (1 when Σs² = 0).
    public var merge: Double { prediction == 0 ? 1 : joint / prediction }
}

/// The non-zero cells of the contingency table over ground-truth-foreground pixels, with the
/// prediction's background pixels split into singletons. Segment ids are renumbered densely:
/// `predictionSizes[i]`, `groundTruthSizes[j]` are the row and column sums n·s_i and n·t_j.
struct ContingencyTable {
    struct Cell { var prediction: Int32; var groundTruth: Int32; var count: Int }
    var joint: [Cell] = []
    var predictionSizes: [Int] = []
    var groundTruthSizes: [Int] = []
    var n = 0

    init(prediction: [Int32], groundTruth: [Int32]) {
        // Runs of equal (truth, prediction) pairs in raster order first: segments are large,
        // so this shrinks the sort by an order of magnitude.
        struct Run: Comparable {
            var key: Int64; var length: Int
            static func < (a: Run, b: Run) -> Bool { a.key < b.key }
        }
        var runs: [Run] = []
        var singletonsPerTruth: [Int32: Int] = [:]
        var i = 0
        let count = prediction.count
        while i < count {
            let t = groundTruth[i], p = prediction[i]
            if t == 0 { i += 1; continue }
            n += 1
            if p == 0 { singletonsPerTruth[t, default: 0] += 1; i += 1; continue }
            var j = i + 1
            while j < count && groundTruth[j] == t && prediction[j] == p { j += 1 }
            runs.append(Run(key: Int64(t) << 32 | Int64(UInt32(bitPattern: p)), length: j - i))
            n += j - i - 1
            i = j
        }
        runs.sort()
        var truthIndex: [Int32: Int32] = [:]
        var predictionIndex: [Int32: Int32] = [:]
        func truthId(_ t: Int32) -> Int32 {
            if let id = truthIndex[t] { return id }
            let id = Int32(groundTruthSizes.count)
            truthIndex[t] = id
            groundTruthSizes.append(0)
            return id
        }
        var r = 0
        while r < runs.count {
            let key = runs[r].key
            var total = 0
            while r < runs.count && runs[r].key == key { total += runs[r].length; r += 1 }
            let t = Int32(truncatingIfNeeded: key >> 32), p = Int32(truncatingIfNeeded: key)
            let tid = truthId(t)
            let pid: Int32
            if let id = predictionIndex[p] { pid = id } else {
                pid = Int32(predictionSizes.count); predictionIndex[p] = pid; predictionSizes.append(0)
            }
            joint.append(Cell(prediction: pid, groundTruth: tid, count: total))
            predictionSizes[Int(pid)] += total
            groundTruthSizes[Int(tid)] += total
        }
        // Each background-predicted pixel is a segment of its own: one cell of count 1.
        for (t, singles) in singletonsPerTruth.sorted(by: { $0.key < $1.key }) {
            let tid = truthId(t)
            groundTruthSizes[Int(tid)] += singles
            for _ in 0..<singles {
                joint.append(Cell(prediction: Int32(predictionSizes.count), groundTruth: tid, count: 1))
                predictionSizes.append(1)
            }
        }
    }
}
