/// Pixel counts of a binary prediction against a binary ground truth, and the scores built on them.
///
/// With TP, FP, FN, TN the true/false positives/negatives (positive = foreground):
///
///     accuracy = (TP + TN) / N          pixel error = 1 − accuracy   (the fraction of wrong pixels)
///     IoU      = TP / (TP + FP + FN)    Dice        = 2·TP / (2·TP + FP + FN)   (the F-score)
///
/// Beware of the name "pixel error" in the EM literature: the ISBI 2012 challenge's Fiji scorer, and
/// papers scored with it (Tschopp's tables among them), report **1 − F-score** under that name
/// (`fScoreError`), not 1 − accuracy. With the foreground at ≈ 75 % of the pixels the two differ by
/// about 1.5×, so compare like with like.
///
/// When both maps have no foreground, IoU and Dice are 1 (the prediction is perfect); accuracy of
/// an empty image is 1.
public struct BinaryConfusion: Sendable, Hashable {
    public var truePositives = 0
    public var falsePositives = 0
    public var falseNegatives = 0
    public var trueNegatives = 0

    public init(truePositives: Int, falsePositives: Int, falseNegatives: Int, trueNegatives: Int) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.falseNegatives = falseNegatives
        self.trueNegatives = trueNegatives
    }

    /// Counts over all pixels; both arrays must have the same length.
    public init(prediction: [Bool], groundTruth: [Bool]) {
        precondition(prediction.count == groundTruth.count,
                     "prediction has \(prediction.count) pixels, ground truth \(groundTruth.count)")
        var counts = (0, 0, 0, 0)
        for i in prediction.indices {
            switch (prediction[i], groundTruth[i]) {
            case (true, true): counts.0 += 1
            case (true, false): counts.1 += 1
            case (false, true): counts.2 += 1
            case (false, false): counts.3 += 1
            }
        }
        self.init(truePositives: counts.0, falsePositives: counts.1, falseNegatives: counts.2, trueNegatives: counts.3)
    }

    public var pixelCount: Int { truePositives + falsePositives + falseNegatives + trueNegatives }

    public var accuracy: Double {
        pixelCount == 0 ? 1 : Double(truePositives + trueNegatives) / Double(pixelCount)
    }

    public var pixelError: Double { 1 - accuracy }

    /// 1 − F-score of the foreground pixels (1 − Dice): what the ISBI 2012 scorer calls "pixel error".
    public var fScoreError: Double { 1 - dice }

    /// Foreground intersection over union (Jaccard index).
    public var intersectionOverUnion: Double {
        let union = truePositives + falsePositives + falseNegatives
        return union == 0 ? 1 : Double(truePositives) / Double(union)
    }

    /// Foreground Dice coefficient (F1 score), 2·IoU / (1 + IoU).
    public var dice: Double {
        let denominator = 2 * truePositives + falsePositives + falseNegatives
        return denominator == 0 ? 1 : Double(2 * truePositives) / Double(denominator)
    }
}
