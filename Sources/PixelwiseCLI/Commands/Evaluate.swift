import ArgumentParser
import Foundation
import PixelwiseIO
import PixelwiseCore
import PixelwiseAlgorithms

/// `pixelwise evaluate`: compare predictions with ground truth.
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
        let predictionFiles = try expandInputs([predictions]), labelFiles = try expandInputs([labels])
        guard predictionFiles.count == labelFiles.count else {
            throw PixelwiseError.file(path: predictions, problem: "has \(predictionFiles.count) images but \(labels) has \(labelFiles.count)")
        }
        let foregroundValues = Set(foreground)
        var all: [Scores] = []
        for (p, l) in zip(predictionFiles, labelFiles) {
            let prediction = try Image(contentsOf: p), label = try Image(contentsOf: l)
            guard prediction.width == label.width, prediction.height == label.height else {
                throw PixelwiseError.file(path: p, problem: "is \(prediction.width)×\(prediction.height) but \(l) is \(label.width)×\(label.height)")
            }
            let truth = stride(from: 0, to: label.pixels.count, by: label.channels).map { foregroundValues.contains(label.pixels[$0]) }
            let values = stride(from: 0, to: prediction.pixels.count, by: prediction.channels).map { prediction.pixels[$0] }
            let distinct = Set(values)
            let isProbability = prediction.sampleType == .float32 || distinct.count > 2
            let scale = prediction.sampleType.maximum
            // A label image whose values are not the foreground values (e.g. 0/1) has its larger value as foreground.
            let usesForegroundValues = distinct.contains(where: foregroundValues.contains)
            let isForeground: (Float) -> Bool = usesForegroundValues ? { foregroundValues.contains($0) } : { $0 == distinct.max() }
            let foregroundMap: [Float] = isProbability ? values.map { $0 / scale } : values.map { isForeground($0) ? 1 : 0 }
            all.append(Scores(name: URL(fileURLWithPath: p).lastPathComponent, foreground: foregroundMap, isProbability: isProbability,
                              truth: truth, width: label.width, height: label.height, warping: !noWarping,
                              thresholds: thresholds))
        }
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
