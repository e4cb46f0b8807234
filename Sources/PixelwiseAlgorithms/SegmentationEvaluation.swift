/// All measures of `pixelwise evaluate` for one binary prediction: pixel accuracy/error, IoU,
/// Dice, the ISBI 2012 V_rand and V_info, and optionally the warping error.
public struct SegmentationEvaluation: Sendable {
    public var confusion: BinaryConfusion
    public var foregroundRestricted: ForegroundRestrictedScores
    /// Present when requested (it is the slowest measure).
    public var warping: WarpingResult?

    public var pixelError: Double { confusion.pixelError }
    public var randError: Double { foregroundRestricted.randError }
    public var informationError: Double { foregroundRestricted.informationError }

    /// Evaluates a binary prediction (true = foreground, e.g. cell interior) against the ground truth.
    /// Segments for V_rand/V_info are face-connected foreground components (see
    /// `ForegroundRestrictedScores`); the warping error is 2-D only (`depth == 1`).
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
        if let source = warpingSource, depth == 1 {
            warping = warpingError(prediction: source.probability, groundTruth: groundTruth,
                                   width: width, height: height, threshold: source.threshold)
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
    /// 0.05, 0.10, …, 0.95 (19 values, 0.5 among them).
    public static let defaultThresholds: [Float] = (1...19).map { Float($0) / 20 }

    public var thresholds: [Float]
    /// One evaluation per threshold, in the order of `thresholds`.
    public var evaluations: [SegmentationEvaluation]

    public var pixelError: ThresholdedScore { best(minimising: true) { $0.pixelError } }
    /// 1 − maximal F-score of pixel similarity: the ISBI 2012 scorer's "pixel error".
    public var fScoreError: ThresholdedScore { best(minimising: true) { $0.confusion.fScoreError } }
    public var randError: ThresholdedScore { best(minimising: true) { $0.randError } }
    public var informationError: ThresholdedScore { best(minimising: true) { $0.informationError } }
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
