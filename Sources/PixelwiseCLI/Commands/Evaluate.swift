import ArgumentParser
import Foundation
import PixelwiseAlgorithms
import PixelwiseCore
import PixelwiseIO
import PixelwiseWorkflow

/// `pixelwise evaluate`: compare predictions with ground truth (`Evaluation` scores them).
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score predictions against labels: pixel accuracy, IoU, Dice and the ISBI 2012 measures.",
        discussion: """
        Predictions and labels are paired by sorted file name. A prediction is a label image (two \
        values, e.g. 0/255) or a probability map (8-bit 0–255, 16-bit or float TIFF); for \
        probability maps each error is minimised over the thresholds 0.05…0.95 (or --thresholds; \
        the ISBI 2012 convention) and the thresholds are reported with --json. Two pixel errors: \
        "pixel err." is the fraction of wrong pixels (1 − accuracy); "ISBI pixel err." is 1 − the \
        F-score of the foreground pixels, which is what the ISBI 2012 Fiji scorer prints as \
        "pixel error" and what papers scored with it report (Tschopp 2016 among them). Rand and \
        V_info errors are foreground-restricted (ground-truth background excluded); the warping \
        error follows Jain et al. 2010 (simple-point warping of the ground truth towards the \
        prediction). The Fiji scorer's own thresholds are --thresholds 0 0.1 0.2 0.3 0.4 0.5 0.6 \
        0.7 0.8 0.9 1.
        """)

    @Option(help: "Folder (or single file) of predictions.")
    var predictions: String
    @Option(help: "Folder (or single file) of ground-truth label images.")
    var labels: String
    @Option(parsing: .upToNextOption, help: "Label values that are foreground (default 255).")
    var foreground: [Float] = [255]
    @Option(parsing: .upToNextOption, help: "Thresholds (0…1) to minimise each error over, for probability maps (default 0.05 0.10 … 0.95).")
    var thresholds: [Float] = ThresholdSweep.defaultThresholds
    @Flag(help: "Skip the warping error (the slowest measure).")
    var noWarping = false
    @Flag(help: "Print JSON instead of a table.")
    var json = false
    @Option(help: "Score C classes instead: label values to classes as for train --classes (e.g. \"background=0 tumour=1,2,4\"); prints per-class IoU, Dice and HD95 (95th-percentile Hausdorff distance, in the volume's units for NIfTI), their means without class 0, and the confusion matrix.")
    var classes: String?

    func validate() throws {
        guard !thresholds.isEmpty else { throw ValidationError("--thresholds needs at least one value") }
        if let bad = thresholds.first(where: { !(0...1).contains($0) }) {
            throw ValidationError("--thresholds must lie between 0 and 1, got \(bad)")
        }
    }

    func run() throws {
        if let classes {
            let map: LabelMap
            do { map = try LabelMap(parsing: classes) } catch let PixelwiseError.invalidArgument(message) { throw ValidationError("--classes: \(message)") }
            return try runClasses(map)
        }
        let all = try Evaluation.score(predictions: predictions, labels: labels, foreground: foreground, thresholds: thresholds,
                                       warping: !noWarping)
        let mean = Scores(meanOf: all)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            struct Report: Codable { var images: [Scores]; var mean: Scores }
            print(String(decoding: try encoder.encode(Report(images: all, mean: mean)), as: UTF8.self))
        } else {
            print(textTable(Scores.header, all.map(\.row) + [mean.row]))
        }
    }

    func runClasses(_ map: LabelMap) throws {
        let (pairs, total) = try ClassEvaluation.score(predictions: predictions, labels: labels, classes: map)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            struct Report: Codable { var images: [ClassScores]; var total: ClassScores }
            print(String(decoding: try encoder.encode(Report(images: pairs, total: total)), as: UTF8.self))
            return
        }
        func number(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "-" }
        var rows = [[String]]()
        for scores in pairs + [total] {
            for c in scores.classes { rows.append([scores.name, c.name, number(c.iou), number(c.dice), number(c.hd95)]) }
            rows.append([scores.name, "mean (no class 0)", number(scores.meanIoU), number(scores.meanDice), ""])
        }
        print(textTable(["image", "class", "IoU", "Dice", "HD95"], rows))
        print("confusion matrix of all pairs (rows true, columns predicted: \((0..<map.classCount).map(map.name(ofClass:)).joined(separator: ", ")))")
        for row in total.confusion { print(row.map { String($0) }.joined(separator: "\t")) }
        print(String(format: "pixel accuracy %.4f", total.accuracy))
    }
}
