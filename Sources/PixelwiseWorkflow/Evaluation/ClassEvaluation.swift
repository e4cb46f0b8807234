import Foundation
import PixelwiseAlgorithms
import PixelwiseCore
import PixelwiseIO

/// Scores of a C-class segmentation: per-class IoU, Dice and HD95, their means, the confusion
/// matrix and the pixel accuracy (what `pixelwise evaluate --classes` reports).
public struct ClassScores: Codable, Sendable, Equatable {
    public struct PerClass: Codable, Sendable, Equatable {
        public var name: String
        /// The stored label value(s) of the class, as the map lists them.
        public var values: [Float]
        /// nil when the class is in neither the prediction nor the truth.
        public var iou: Double?
        public var dice: Double?
        /// 95th-percentile Hausdorff distance in the volume's units (pixels for plain images);
        /// nil when the class is in only one of the two.
        public var hd95: Double?
    }

    public var name: String
    public var classes: [PerClass]
    /// Means over the classes that have a score, background (class 0) excluded as BraTS does.
    public var meanIoU: Double?
    public var meanDice: Double?
    public var accuracy: Double
    /// Rows the true class, columns the predicted class.
    public var confusion: [[Int]]
}

/// Evaluates C-class predictions (label images or volumes holding the data set's label values,
/// as `segment` writes them) against ground truth through a `LabelMap`.
public enum ClassEvaluation {
    /// Pairs predictions and labels by sorted file name (each a file or a folder; stacks and
    /// NIfTI volumes score every slice, HD95 in 3-D with the volume's spacing) and scores every
    /// pair, plus the total over all of them (confusion matrices summed; HD95 as the mean over
    /// the pairs where it is defined).
    public static func score(predictions: String, labels: String, classes map: LabelMap) throws -> (pairs: [ClassScores], total: ClassScores) {
        let predictionFiles = try InputFiles.expand([predictions]), labelFiles = try InputFiles.expand([labels])
        guard predictionFiles.count == labelFiles.count else {
            throw PixelwiseError.file(path: predictions, problem: "has \(predictionFiles.count) images but \(labels) has \(labelFiles.count)")
        }
        var total = ConfusionMatrix(classCount: map.classCount)
        var distances = [[Double]](repeating: [], count: map.classCount)
        var pairs = [ClassScores]()
        for (p, l) in zip(predictionFiles, labelFiles) {
            let (predicted, truth, shape, spacing) = try read(p, l, map)
            let matrix = ConfusionMatrix(prediction: predicted.map { max($0, 0) }, truth: truth, classCount: map.classCount)
            total.add(matrix)
            let hd = (0..<map.classCount).map { c in
                hausdorffDistance(predicted.map { $0 == Int32(c) }, truth.map { $0 == Int32(c) }, shape: shape, spacing: spacing)
            }
            for c in hd.indices { if let d = hd[c] { distances[c].append(d) } }
            pairs.append(scores(name: URL(fileURLWithPath: p).lastPathComponent, matrix, map, hd))
        }
        let meanHD = distances.map { $0.isEmpty ? nil : $0.reduce(0, +) / Double($0.count) }
        return (pairs, scores(name: "all", total, map, meanHD))
    }

    static func scores(name: String, _ m: ConfusionMatrix, _ map: LabelMap, _ hd: [Double?]) -> ClassScores {
        let perClass = (0..<map.classCount).map { c in
            ClassScores.PerClass(name: map.name(ofClass: c), values: map.classes.filter { $0.value == Int32(c) }.keys.sorted(),
                                 iou: m.intersectionOverUnion(ofClass: c), dice: m.dice(ofClass: c), hd95: hd[c])
        }
        return ClassScores(name: name, classes: perClass, meanIoU: m.meanIntersectionOverUnion(includeBackground: map.classCount == 1),
                           meanDice: m.meanDice(includeBackground: map.classCount == 1), accuracy: m.accuracy,
                           confusion: (0..<map.classCount).map { t in (0..<map.classCount).map { m.count(truth: t, predicted: $0) } })
    }

    /// Classes of every page of a prediction and its labels, their grid and spacing.
    static func read(_ p: String, _ l: String, _ map: LabelMap) throws -> ([Int32], [Int32], GridShape, [Double]) {
        let ps = try ImageStack(path: p), ls = try ImageStack(path: l)
        guard ps.count == ls.count else { throw PixelwiseError.file(path: p, problem: "has \(ps.count) pages but \(l) has \(ls.count)") }
        var predicted = [Int32](), truth = [Int32](), width = 0, height = 0
        for (k, (a, b)) in zip(try ps.readAll(), try ls.readAll()).enumerated() {
            guard a.width == b.width, a.height == b.height, k == 0 || (a.width == width && a.height == height) else {
                throw PixelwiseError.file(path: p, problem: "page \(k) is \(a.width)×\(a.height) but \(l) is \(b.width)×\(b.height)")
            }
            (width, height) = (a.width, a.height)
            predicted += try map.apply(to: a, name: "\(p)[\(k)]")
            truth += try map.apply(to: b, name: "\(l)[\(k)]")
        }
        let spacing = ls.nifti.map { Array($0.header.spacing.prefix(3)) + [Double](repeating: 1, count: max(0, 3 - $0.header.spacing.count)) } ?? [1, 1, 1]
        return (predicted, truth, GridShape(width: width, height: height, depth: ps.count), spacing)
    }
}
