/// Scores of a set of images (or the slices of a stack) at one binarisation threshold, combined
/// the way the ISBI 2012 Fiji scorer (trainable-segmentation's `metrics` package) combines the
/// slices of a stack:
///
/// - pixel error, "ISBI pixel error" (1 − F-score), IoU, Dice: the pixel counts TP, FP, FN, TN
///   of all slices added up, then the score (`PixelError.getPrecisionRecallStats` sums them);
/// - Rand error: the pair counts of all slices added up — Σ n²Σp_ij², Σ n²Σs_i², Σ n²Σt_j², each
///   slice's own contingency table, no pairs across slices — then 1 − 2ΣP / (ΣS + ΣT)
///   (`RandError.getForegroundRestrictedRandIndexStats` sums TP, FP, FN: "micro-averaged");
/// - V_info error: 1 − the mean of the slices' V_info (`VariationOfInformation.
///   getForegroundRestrictedFscore` averages per slice);
/// - V_rand and V_info after border thinning: 1 − the mean of the slices' scores (the 2016 script
///   calls `getMaximalVRandAfterThinning(…, perSliceAverage: true)` — "macro-averaged" — and the
///   V_info version always averages);
/// - warping error: all slices' disagreeing pixels over all pixels.
///
/// One image is a set of one; `+` adds two sets.
public struct SetEvaluation: Sendable, Hashable {
    public var imageCount = 0
    public var confusion = BinaryConfusion(truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 0)
    public var pairs = RandPairCounts()
    /// Σ over images of V_info.
    public var informationSum = 0.0
    /// Σ over images of V_rand and V_info after thinning (nil when not computed, e.g. volumes).
    public var thinnedRandSum: Double?
    public var thinnedInformationSum: Double?
    /// Σ over images of the warping error's disagreeing pixels (nil when not computed).
    public var warpingErrorCount: Int?

    public init() {}

    /// One image's evaluation as a set of one.
    public init(_ e: SegmentationEvaluation) {
        imageCount = 1
        confusion = e.confusion
        pairs = e.foregroundRestricted.pairs
        informationSum = e.foregroundRestricted.information
        thinnedRandSum = e.thinned?.rand
        thinnedInformationSum = e.thinned?.information
        warpingErrorCount = e.warping?.errorCount
    }

    public static func + (a: SetEvaluation, b: SetEvaluation) -> SetEvaluation {
        if a.imageCount == 0 { return b }
        if b.imageCount == 0 { return a }
        var s = SetEvaluation()
        s.imageCount = a.imageCount + b.imageCount
        s.confusion = BinaryConfusion(truePositives: a.confusion.truePositives + b.confusion.truePositives,
                                      falsePositives: a.confusion.falsePositives + b.confusion.falsePositives,
                                      falseNegatives: a.confusion.falseNegatives + b.confusion.falseNegatives,
                                      trueNegatives: a.confusion.trueNegatives + b.confusion.trueNegatives)
        s.pairs = a.pairs + b.pairs
        s.informationSum = a.informationSum + b.informationSum
        s.thinnedRandSum = a.thinnedRandSum.flatMap { x in b.thinnedRandSum.map { x + $0 } }
        s.thinnedInformationSum = a.thinnedInformationSum.flatMap { x in b.thinnedInformationSum.map { x + $0 } }
        s.warpingErrorCount = a.warpingErrorCount.flatMap { x in b.warpingErrorCount.map { x + $0 } }
        return s
    }

    private var count: Double { Double(max(imageCount, 1)) }
    public var pixelError: Double { confusion.pixelError }
    public var fScoreError: Double { confusion.fScoreError }
    /// 1 − V_rand of the pooled pair counts.
    public var randError: Double { 1 - pairs.rand }
    /// 1 − mean V_info.
    public var informationError: Double { 1 - informationSum / count }
    public var thinnedRandError: Double? { thinnedRandSum.map { 1 - $0 / count } }
    public var thinnedInformationError: Double? { thinnedInformationSum.map { 1 - $0 / count } }
    public var warpingError: Double? {
        warpingErrorCount.map { confusion.pixelCount == 0 ? 0 : Double($0) / Double(confusion.pixelCount) }
    }
}

/// One threshold sweep for a whole set of images, as the ISBI 2012 scorer does it: for each
/// threshold, every image is binarised (`probability > threshold`) and scored, the images are
/// combined (`SetEvaluation`), and each measure reports its best value over the thresholds and
/// the threshold that gives it (ties: the first). Unlike `ThresholdSweep`, which picks a
/// threshold per image with that image's ground truth — something no user can do at prediction
/// time — the threshold here is one for the whole set.
///
/// Images are added one at a time; only a few numbers per image and threshold are kept, so
/// memory stays flat in the size of the set.
public struct SetThresholdSweep: Sendable {
    public let thresholds: [Float]
    public let includeWarping: Bool
    /// The set's evaluation at each threshold (in the order of `thresholds`).
    public private(set) var evaluations: [SetEvaluation]
    /// Each image's evaluation at each threshold, in the order the images were added.
    public private(set) var images: [[SetEvaluation]] = []

    public init(thresholds: [Float] = ThresholdSweep.defaultThresholds, includeWarping: Bool = false) {
        precondition(!thresholds.isEmpty, "no thresholds")
        self.thresholds = thresholds
        self.includeWarping = includeWarping
        evaluations = Array(repeating: SetEvaluation(), count: thresholds.count)
    }

    /// Scores one image (foreground probability per pixel; a binary map as 0/1) at every threshold
    /// and adds it to the set.
    public mutating func add(probability: [Float], groundTruth: [Bool], width: Int, height: Int, depth: Int = 1) {
        let sweep = ThresholdSweep(probability: probability, groundTruth: groundTruth, width: width, height: height,
                                   depth: depth, thresholds: thresholds, includeWarping: includeWarping)
        add(sweep)
    }

    /// Adds an image already swept over the same thresholds.
    public mutating func add(_ sweep: ThresholdSweep) {
        precondition(sweep.thresholds == thresholds, "the image was swept over other thresholds")
        let perThreshold = sweep.evaluations.map(SetEvaluation.init)
        for i in evaluations.indices { evaluations[i] = evaluations[i] + perThreshold[i] }
        images.append(perThreshold)
    }

    public var pixelError: ThresholdedScore { best(minimising: true) { $0.pixelError } }
    /// 1 − F-score of the pooled pixel counts: the ISBI 2012 scorer's "pixel error".
    public var fScoreError: ThresholdedScore { best(minimising: true) { $0.fScoreError } }
    public var randError: ThresholdedScore { best(minimising: true) { $0.randError } }
    public var informationError: ThresholdedScore { best(minimising: true) { $0.informationError } }
    public var thinnedRandError: ThresholdedScore? {
        evaluations[0].thinnedRandSum == nil ? nil : best(minimising: true) { $0.thinnedRandError! }
    }
    public var thinnedInformationError: ThresholdedScore? {
        evaluations[0].thinnedInformationSum == nil ? nil : best(minimising: true) { $0.thinnedInformationError! }
    }
    public var intersectionOverUnion: ThresholdedScore { best(minimising: false) { $0.confusion.intersectionOverUnion } }
    public var dice: ThresholdedScore { best(minimising: false) { $0.confusion.dice } }
    public var warpingError: ThresholdedScore? {
        evaluations[0].warpingErrorCount == nil ? nil : best(minimising: true) { $0.warpingError! }
    }

    /// Image `index`'s evaluation at `threshold` (one of `thresholds`).
    public func image(_ index: Int, at threshold: Float) -> SetEvaluation {
        images[index][thresholds.firstIndex(of: threshold)!]
    }

    func best(minimising: Bool, _ measure: (SetEvaluation) -> Double) -> ThresholdedScore {
        var best = ThresholdedScore(value: measure(evaluations[0]), threshold: thresholds[0])
        for (t, e) in zip(thresholds, evaluations).dropFirst() {
            let v = measure(e)
            if minimising ? v < best.value : v > best.value { best = ThresholdedScore(value: v, threshold: t) }
        }
        return best
    }
}
