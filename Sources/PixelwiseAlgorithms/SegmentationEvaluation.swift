/// All measures of `pixelwise evaluate` for one binary prediction: pixel accuracy/error, IoU,
/// Dice, the ISBI 2012 V_rand and V_info, and optionally the warping error.
public struct SegmentationEvaluation: Sendable {
    public var confusion: BinaryConfusion
    public var foregroundRestricted: ForegroundRestrictedScores
    /// V_rand and V_info after border thinning (`thinnedBorderSegments`), the ISBI 2012 ranking's
    /// final measures; 2-D only, nil for volumes.
    public var thinned: ForegroundRestrictedScores?
    /// Present when requested (it is the slowest measure).
    public var warping: WarpingResult?

    public var pixelError: Double { confusion.pixelError }
    public var randError: Double { foregroundRestricted.randError }
    public var informationError: Double { foregroundRestricted.informationError }

    /// Evaluates a binary prediction (true = foreground, e.g. cell interior) against the ground truth.
    /// Segments for V_rand/V_info are face-connected foreground components (see
    /// `ForegroundRestrictedScores`); the warping error uses 2-D simple points for images and 3-D
    /// ones (`SimplePoint3D`) for volumes; the thinned scores are 2-D only.
    public init(prediction: [Bool], groundTruth: [Bool], width: Int, height: Int, depth: Int = 1,
                includeWarping: Bool = false) {
        let truth = connectedComponents(foreground: groundTruth, width: width, height: height, depth: depth)
        self.init(prediction: prediction, groundTruth: groundTruth, groundTruthComponents: truth,
                  width: width, height: height, depth: depth,
                  warpingSource: includeWarping ? (prediction.map { $0 ? 1 : 0 }, 0.5) : nil)
    }

    /// `warpingSource`: the probability map the binary prediction was thresholded from, and the
    /// threshold, so that the warping visits pixels in order of |probability − label|.
    init(prediction: [Bool], groundTruth: [Bool], groundTruthComponents: ComponentLabels,
         width: Int, height: Int, depth: Int, warpingSource: (probability: [Float], threshold: Float)?) {
        confusion = BinaryConfusion(prediction: prediction, groundTruth: groundTruth)
        foregroundRestricted = ForegroundRestrictedScores(prediction: prediction, groundTruthComponents: groundTruthComponents,
                                                          width: width, height: height, depth: depth)
        thinned = depth == 1
            ? ForegroundRestrictedScores(prediction: thinnedBorderSegments(foreground: prediction, width: width, height: height),
                                         groundTruth: groundTruthComponents.labels)
            : nil
        if let source = warpingSource {
            warping = warpingError(prediction: source.probability, groundTruth: groundTruth,
                                   width: width, height: height, depth: depth, threshold: source.threshold)
        } else {
            warping = nil
        }
    }
}

/// The best value of a measure over binarisation thresholds, and the threshold that gives it.
public struct ThresholdedScore: Sendable, Hashable {
    public var value: Double
    public var threshold: Float
}

/// Measures of a probability map minimised (errors) or maximised (IoU, Dice) over thresholds,
/// as the ISBI 2012 scorer reports them ("maximal V_rand over thresholds").
///
/// A pixel is foreground at threshold t when its probability is > t (the Fiji scorer's rule).
/// Ties between thresholds go to the first one in `thresholds`.
public struct ThresholdSweep: Sendable {
    /// The Fiji scorer's thresholds 0.0, 0.1, …, 1.0 (`fijiThresholds`).
    public static let defaultThresholds: [Float] = fijiThresholds
    /// 0.05, 0.10, …, 0.95: the default before issue 22.
    public static let midpointThresholds: [Float] = (1...19).map { Float($0) / 20 }

    /// The ISBI 2012 Fiji scorer's sweep "from 0.0 to 1.0 by 0.1", exactly as its loop makes it:
    /// a double that adds 0.1 eleven times (0.30000000000000004, 0.7999999999999999, …,
    /// 0.9999999999999999) and compares `probability > threshold` in double. As Float
    /// thresholds with the same effect on Float probabilities: each rounded down to the largest
    /// Float not above it. So an 8-bit probability of exactly 51/255 = 0.2 is foreground at
    /// "0.2", and 255/255 = 1 at "1.0", as in the scorer.
    public static let fijiThresholds: [Float] = {
        var result: [Float] = []
        var t = 0.0
        while t <= 1.0 {
            var f = Float(t)
            if Double(f) > t { f = f.nextDown }
            result.append(f)
            t += 0.1
        }
        return result
    }()

    public var thresholds: [Float]
    /// One evaluation per threshold, in the order of `thresholds`.
    public var evaluations: [SegmentationEvaluation]

    public var pixelError: ThresholdedScore { best(minimising: true) { $0.pixelError } }
    /// 1 − maximal F-score of pixel similarity: the ISBI 2012 scorer's "pixel error".
    public var fScoreError: ThresholdedScore { best(minimising: true) { $0.confusion.fScoreError } }
    public var randError: ThresholdedScore { best(minimising: true) { $0.randError } }
    public var informationError: ThresholdedScore { best(minimising: true) { $0.informationError } }
    /// 1 − V_rand after border thinning (nil for volumes).
    public var thinnedRandError: ThresholdedScore? {
        evaluations.first?.thinned == nil ? nil : best(minimising: true) { 1 - $0.thinned!.rand }
    }
    /// 1 − V_info after border thinning (nil for volumes).
    public var thinnedInformationError: ThresholdedScore? {
        evaluations.first?.thinned == nil ? nil : best(minimising: true) { 1 - $0.thinned!.information }
    }
    public var intersectionOverUnion: ThresholdedScore { best(minimising: false) { $0.confusion.intersectionOverUnion } }
    public var dice: ThresholdedScore { best(minimising: false) { $0.confusion.dice } }
    /// nil unless the sweep included the warping error.
    public var warpingError: ThresholdedScore? {
        evaluations.first?.warping == nil ? nil : best(minimising: true) { $0.warping!.error }
    }

    /// Evaluates `probability` (foreground probability per pixel) at every threshold.
    public init(probability: [Float], groundTruth: [Bool], width: Int, height: Int, depth: Int = 1,
                thresholds: [Float] = ThresholdSweep.defaultThresholds, includeWarping: Bool = false) {
        precondition(!thresholds.isEmpty, "no thresholds")
        precondition(probability.count == groundTruth.count,
                     "probability has \(probability.count) pixels, ground truth \(groundTruth.count)")
        let truth = connectedComponents(foreground: groundTruth, width: width, height: height, depth: depth)
        self.thresholds = thresholds
        evaluations = thresholds.map { t in
            SegmentationEvaluation(prediction: probability.map { $0 > t }, groundTruth: groundTruth,
                                   groundTruthComponents: truth, width: width, height: height, depth: depth,
                                   warpingSource: includeWarping ? (probability, t) : nil)
        }
    }

    func best(minimising: Bool, _ measure: (SegmentationEvaluation) -> Double) -> ThresholdedScore {
        var best = ThresholdedScore(value: measure(evaluations[0]), threshold: thresholds[0])
        for (t, e) in zip(thresholds, evaluations).dropFirst() {
            let v = measure(e)
            if minimising ? v < best.value : v > best.value { best = ThresholdedScore(value: v, threshold: t) }
        }
        return best
    }
}

/// The best threshold and value of each measure, as both a per-image sweep (`ThresholdSweep`) and a
/// sweep over a whole set (`SetThresholdSweep`) give them.
public protocol ThresholdSweeping {
    var pixelError: ThresholdedScore { get }
    var fScoreError: ThresholdedScore { get }
    var randError: ThresholdedScore { get }
    var informationError: ThresholdedScore { get }
    var thinnedRandError: ThresholdedScore? { get }
    var thinnedInformationError: ThresholdedScore? { get }
    var warpingError: ThresholdedScore? { get }
}

extension ThresholdSweep: ThresholdSweeping {}
extension SetThresholdSweep: ThresholdSweeping {}

