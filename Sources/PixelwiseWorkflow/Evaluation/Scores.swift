import Foundation
import PixelwiseAlgorithms

/// The measures `evaluate` prints and training validation logs, for one image or a set.
///
/// How thresholds are chosen is part of the figure (issue 22): by default one threshold sweep for
/// the whole set, as the ISBI 2012 scorer does (`SetThresholdSweep`; `convention` "set"), or the
/// best threshold of each image with its own ground truth, then the mean (`--per-image-thresholds`;
/// "per-image", optimistic: no user can pick a threshold per image at prediction time).
public struct Scores: Codable, Sendable {
    public var name: String
    /// "set": one threshold for the whole set; "per-image": each image's own best threshold.
    public var convention: String?
    public var pixelAccuracy: Double
    public var pixelError: Double
    /// 1 − F-score of the foreground pixels: the ISBI 2012 scorer's (and Tschopp's) "pixel error".
    public var isbiPixelError: Double
    public var foregroundIoU: Double
    public var foregroundDice: Double
    public var randError: Double
    public var informationError: Double
    /// 1 − V_rand and 1 − V_info after border thinning (the current ISBI 2012 ranking); nil for volumes.
    public var thinnedRandError: Double?
    public var thinnedInformationError: Double?
    public var warpingError: Double?
    /// For probability maps: the threshold that minimised each error.
    public var thresholds: [String: Float]?

    /// Scores a foreground probability map (each error minimised over its own thresholds) or a binary map.
    public init(name: String, foreground: [Float], isProbability: Bool, truth: [Bool], width: Int, height: Int, warping: Bool,
         thresholds candidates: [Float] = ThresholdSweep.defaultThresholds) {
        self.name = name
        convention = isProbability ? "per-image" : nil
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
            thinnedRandError = sweep.thinnedRandError?.value
            thinnedInformationError = sweep.thinnedInformationError?.value
            warpingError = sweep.warpingError?.value
            thresholds = Scores.bestThresholds(sweep)
        } else {
            let e = SetEvaluation(SegmentationEvaluation(prediction: foreground.map { $0 > 0.5 }, groundTruth: truth,
                                                         width: width, height: height, includeWarping: warping))
            pixelAccuracy = e.confusion.accuracy
            pixelError = e.pixelError
            isbiPixelError = e.fScoreError
            foregroundIoU = e.confusion.intersectionOverUnion
            foregroundDice = e.confusion.dice
            randError = e.randError
            informationError = e.informationError
            thinnedRandError = e.thinnedRandError
            thinnedInformationError = e.thinnedInformationError
            warpingError = e.warpingError
        }
    }

    /// The set's scores at each measure's best threshold (one threshold for the whole set).
    public init(name: String, set sweep: SetThresholdSweep) {
        func at(_ s: ThresholdedScore?) -> SetEvaluation? { s.map { t in sweep.evaluations[sweep.thresholds.firstIndex(of: t.threshold)!] } }
        self.init(name: name, set: sweep) { score, measure in measure(at(score)!) }
        if sweep.thresholds.count > 1 {
            thresholds = Scores.bestThresholds(sweep)
        }
    }

    /// Image `index` of the set, scored at the thresholds the set chose (each measure at its own).
    public init(name: String, image index: Int, of sweep: SetThresholdSweep) {
        self.init(name: name, set: sweep) { score, measure in measure(sweep.image(index, at: score!.threshold)) }
    }

    private init(name: String, set sweep: SetThresholdSweep,
                 _ value: (ThresholdedScore?, (SetEvaluation) -> Double?) -> Double?) {
        self.name = name
        convention = "set"
        pixelError = value(sweep.pixelError) { $0.pixelError }!
        pixelAccuracy = 1 - pixelError
        isbiPixelError = value(sweep.fScoreError) { $0.fScoreError }!
        foregroundIoU = value(sweep.intersectionOverUnion) { $0.confusion.intersectionOverUnion }!
        foregroundDice = value(sweep.dice) { $0.confusion.dice }!
        randError = value(sweep.randError) { $0.randError }!
        informationError = value(sweep.informationError) { $0.informationError }!
        thinnedRandError = sweep.thinnedRandError == nil ? nil : value(sweep.thinnedRandError) { $0.thinnedRandError }
        thinnedInformationError = sweep.thinnedInformationError == nil ? nil : value(sweep.thinnedInformationError) { $0.thinnedInformationError }
        warpingError = sweep.warpingError == nil ? nil : value(sweep.warpingError) { $0.warpingError }
    }

    /// The mean of per-image scores (the `--per-image-thresholds` convention).
    public init(meanOf all: [Scores]) {
        func mean(_ f: (Scores) -> Double) -> Double { all.map(f).reduce(0, +) / Double(max(all.count, 1)) }
        func meanOptional(_ f: (Scores) -> Double?) -> Double? { all.allSatisfy({ f($0) != nil }) ? mean { f($0)! } : nil }
        name = "mean (per-image thresholds)"
        convention = "per-image"
        pixelAccuracy = mean(\.pixelAccuracy)
        pixelError = mean(\.pixelError)
        isbiPixelError = mean(\.isbiPixelError)
        foregroundIoU = mean(\.foregroundIoU)
        foregroundDice = mean(\.foregroundDice)
        randError = mean(\.randError)
        informationError = mean(\.informationError)
        thinnedRandError = meanOptional(\.thinnedRandError)
        thinnedInformationError = meanOptional(\.thinnedInformationError)
        warpingError = meanOptional(\.warpingError)
    }

    public static let header = ["image", "pixel acc.", "pixel err.", "ISBI pixel err.", "fg IoU", "fg Dice", "Rand err.", "V_info err.",
                         "thinned Rand err.", "thinned V_info err.", "warping err."]

    public var row: [String] {
        [name] + [pixelAccuracy, pixelError, isbiPixelError, foregroundIoU, foregroundDice, randError, informationError].map { format($0) }
            + [thinnedRandError, thinnedInformationError, warpingError].map { $0.map { format($0) } ?? "–" }
    }

    private func format(_ v: Double) -> String { String(format: "%.4f", v) }

    enum CodingKeys: String, CodingKey {
        case name, thresholds, convention
        case pixelAccuracy = "pixel_accuracy", pixelError = "pixel_error", isbiPixelError = "isbi_pixel_error"
        case foregroundIoU = "foreground_iou"
        case foregroundDice = "foreground_dice", randError = "rand_error", informationError = "information_error"
        case thinnedRandError = "thinned_rand_error", thinnedInformationError = "thinned_information_error"
        case warpingError = "warping_error"
    }
}

/// "pixel error 0.0253 at 0.5, Rand error …": the thresholds a set chose, one line.
public func thresholdSummary(_ t: [String: Float]) -> String {
    let order = ["pixel_error", "isbi_pixel_error", "rand_error", "information_error", "thinned_rand_error",
                 "thinned_information_error", "warping_error"]
    return order.compactMap { k in t[k].map { "\(k.replacingOccurrences(of: "_", with: " ")) \(String(format: "%.2f", $0))" } }
        .joined(separator: ", ")
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

extension Scores {
    /// Each measure's best threshold, under the names `evaluate` prints, for either kind of sweep.
    static func bestThresholds(_ sweep: some ThresholdSweeping) -> [String: Float] {
        var t = ["pixel_error": sweep.pixelError.threshold, "isbi_pixel_error": sweep.fScoreError.threshold,
                 "rand_error": sweep.randError.threshold, "information_error": sweep.informationError.threshold]
        if let w = sweep.warpingError { t["warping_error"] = w.threshold }
        if let r = sweep.thinnedRandError { t["thinned_rand_error"] = r.threshold }
        if let i = sweep.thinnedInformationError { t["thinned_information_error"] = i.threshold }
        return t
    }
}
