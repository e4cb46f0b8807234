import ArgumentParser
import Foundation
import PixelwiseAlgorithms
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

    func validate() throws {
        guard !thresholds.isEmpty else { throw ValidationError("--thresholds needs at least one value") }
        if let bad = thresholds.first(where: { !(0...1).contains($0) }) {
            throw ValidationError("--thresholds must lie between 0 and 1, got \(bad)")
        }
    }

    func run() throws {
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
}
