import Foundation
import PixelwiseAlgorithms

/// The measures `evaluate` prints and training validation logs, for one image or their mean.
public struct Scores: Codable, Sendable {
    public var name: String
    public var pixelAccuracy: Double
    public var pixelError: Double
    /// 1 − F-score of the foreground pixels: the ISBI 2012 scorer's (and Tschopp's) "pixel error".
    public var isbiPixelError: Double
    public var foregroundIoU: Double
    public var foregroundDice: Double
    public var randError: Double
    public var informationError: Double
    public var warpingError: Double?
    /// For probability maps: the threshold that minimised each error (the ISBI convention).
    public var thresholds: [String: Float]?

    /// Scores a foreground probability map (minimised over thresholds) or a binary map.
    public init(name: String, foreground: [Float], isProbability: Bool, truth: [Bool], width: Int, height: Int, warping: Bool,
         thresholds candidates: [Float] = ThresholdSweep.defaultThresholds) {
        self.name = name
        if isProbability {
            let sweep = ThresholdSweep(probability: foreground, groundTruth: truth, width: width, height: height,
                                       thresholds: candidates, includeWarping: warping)
            pixelError = sweep.pixelError.value
            pixelAccuracy = 1 - pixelError
            isbiPixelError = sweep.fScoreError.value
            foregroundIoU = sweep.intersectionOverUnion.value
            foregroundDice = sweep.dice.value
            randError = sweep.randError.value
            informationError = sweep.informationError.value
            warpingError = sweep.warpingError?.value
            var t = ["pixel_error": sweep.pixelError.threshold, "isbi_pixel_error": sweep.fScoreError.threshold,
                     "rand_error": sweep.randError.threshold,
                     "information_error": sweep.informationError.threshold]
            if let w = sweep.warpingError { t["warping_error"] = w.threshold }
            thresholds = t
        } else {
            let e = SegmentationEvaluation(prediction: foreground.map { $0 > 0.5 }, groundTruth: truth, width: width, height: height,
                                           includeWarping: warping)
            pixelAccuracy = e.confusion.accuracy
            pixelError = e.pixelError
            isbiPixelError = e.confusion.fScoreError
            foregroundIoU = e.confusion.intersectionOverUnion
            foregroundDice = e.confusion.dice
            randError = e.randError
            informationError = e.informationError
            warpingError = e.warping?.error
        }
    }

    public init(meanOf all: [Scores]) {
        func mean(_ f: (Scores) -> Double) -> Double { all.map(f).reduce(0, +) / Double(max(all.count, 1)) }
        name = "mean"
        pixelAccuracy = mean(\.pixelAccuracy)
        pixelError = mean(\.pixelError)
        isbiPixelError = mean(\.isbiPixelError)
        foregroundIoU = mean(\.foregroundIoU)
        foregroundDice = mean(\.foregroundDice)
        randError = mean(\.randError)
        informationError = mean(\.informationError)
        warpingError = all.allSatisfy({ $0.warpingError != nil }) ? mean { $0.warpingError! } : nil
    }

    public static let header = ["image", "pixel acc.", "pixel err.", "ISBI pixel err.", "fg IoU", "fg Dice", "Rand err.", "V_info err.", "warping err."]

    public var row: [String] {
        [name] + [pixelAccuracy, pixelError, isbiPixelError, foregroundIoU, foregroundDice, randError, informationError].map { format($0) }
            + [warpingError.map { format($0) } ?? "–"]
    }

    private func format(_ v: Double) -> String { String(format: "%.4f", v) }

    enum CodingKeys: String, CodingKey {
        case name, thresholds
        case pixelAccuracy = "pixel_accuracy", pixelError = "pixel_error", isbiPixelError = "isbi_pixel_error"
        case foregroundIoU = "foreground_iou"
        case foregroundDice = "foreground_dice", randError = "rand_error", informationError = "information_error"
        case warpingError = "warping_error"
    }
}

/// Aligned text table (first column left, others right).
public func textTable(_ header: [String], _ rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = (0..<header.count).map { c in all.map { $0[c].count }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { c, cell in
            let padding = String(repeating: " ", count: widths[c] - cell.count)
            return c == 0 ? cell + padding : padding + cell
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}
