import Foundation
import PixelwiseAlgorithms
import PixelwiseCore
import PixelwiseIO

/// Scores prediction images against ground-truth label images: what `pixelwise evaluate` computes.
public enum Evaluation {
    /// Pairs predictions and labels by sorted file name (each a file or a folder) and scores every
    /// pair. A prediction is a label image (two values) or a probability map (8-bit 0–255, 16-bit
    /// or float TIFF); for probability maps each error is minimised over `thresholds`. A label
    /// image whose values are not `foreground` (e.g. 0/1) has its larger value as foreground.
    public static func score(predictions: String, labels: String, foreground: [Float] = [255],
                             thresholds: [Float] = ThresholdSweep.defaultThresholds, warping: Bool = true) throws -> [Scores] {
        let predictionFiles = try InputFiles.expand([predictions]), labelFiles = try InputFiles.expand([labels])
        guard predictionFiles.count == labelFiles.count else {
            throw PixelwiseError.file(path: predictions, problem: "has \(predictionFiles.count) images but \(labels) has \(labelFiles.count)")
        }
        let foregroundValues = Set(foreground)
        return try zip(predictionFiles, labelFiles).map { p, l in
            let prediction = try Image(contentsOf: p), label = try Image(contentsOf: l)
            guard prediction.width == label.width, prediction.height == label.height else {
                throw PixelwiseError.file(path: p, problem: "is \(prediction.width)×\(prediction.height) but \(l) is \(label.width)×\(label.height)")
            }
            let truth = stride(from: 0, to: label.pixels.count, by: label.channels).map { foregroundValues.contains(label.pixels[$0]) }
            let values = stride(from: 0, to: prediction.pixels.count, by: prediction.channels).map { prediction.pixels[$0] }
            let distinct = Set(values)
            let isProbability = prediction.sampleType == .float32 || distinct.count > 2
            let scale = prediction.sampleType.maximum
            let usesForegroundValues = distinct.contains(where: foregroundValues.contains)
            let isForeground: (Float) -> Bool = usesForegroundValues ? { foregroundValues.contains($0) } : { $0 == distinct.max() }
            let foregroundMap: [Float] = isProbability ? values.map { $0 / scale } : values.map { isForeground($0) ? 1 : 0 }
            return Scores(name: URL(fileURLWithPath: p).lastPathComponent, foreground: foregroundMap, isProbability: isProbability,
                          truth: truth, width: label.width, height: label.height, warping: warping, thresholds: thresholds)
        }
    }
}
