/// Pixel counts of a binary prediction against a binary ground truth, and the scores built on them.
///
/// With TP, FP, FN, TN the true/false positives/negatives (positive = foreground):
///
///     accuracy = (TP + TN) / N          pixel error = 1 − accuracy   (the ISBI 2012 "pixel error")
///     IoU      = TP / (TP + FP + FN)    Dice        = 2·TP / (2·TP + FP + FN)
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
