/// Scores of a C-class segmentation against its ground truth: a confusion matrix and, from it,
/// per-class intersection over union and Dice, their means, and the pixel accuracy.
///
/// Rows are the true class, columns the predicted class: `count(truth: t, predicted: p)` pixels.
/// Ground-truth labels below 0 (ignored pixels) are not counted; a predicted label outside
/// 0..<C is a programming error.
///
/// For class c: TP = M[c][c], FP = Σ_t M[t][c] − TP, FN = Σ_p M[c][p] − TP;
/// IoU = TP / (TP + FP + FN), Dice = 2 TP / (2 TP + FP + FN). A class absent from both the
/// prediction and the truth has no score (`nil`, as nnU-Net's NaN) and is left out of the means.
public struct ConfusionMatrix: Sendable, Hashable {
    public let classCount: Int
    /// Row-major C × C counts, `counts[truth * C + predicted]`.
    public private(set) var counts: [Int]

    public init(classCount: Int) {
        precondition(classCount >= 1, "ConfusionMatrix: \(classCount) classes")
        self.classCount = classCount
        counts = [Int](repeating: 0, count: classCount * classCount)
    }

    public init(prediction: [Int32], truth: [Int32], classCount: Int) {
        self.init(classCount: classCount)
        add(prediction: prediction, truth: truth)
    }

    /// Adds one more image's (or slice's, volume's) pixels.
    public mutating func add(prediction: [Int32], truth: [Int32]) {
        precondition(prediction.count == truth.count, "ConfusionMatrix: \(prediction.count) predicted for \(truth.count) true labels")
        let c = classCount
        counts.withUnsafeMutableBufferPointer { m in
            for i in prediction.indices where truth[i] >= 0 {
                let t = Int(truth[i]), p = Int(prediction[i])
                precondition(t < c && p >= 0 && p < c, "ConfusionMatrix: label \(t) or prediction \(p) outside 0..<\(c)")
                m[t * c + p] += 1
            }
        }
    }

    /// Adds another matrix of the same classes (e.g. from another image).
    public mutating func add(_ other: ConfusionMatrix) {
        precondition(other.classCount == classCount, "ConfusionMatrix: \(other.classCount) classes added to \(classCount)")
        for i in counts.indices { counts[i] += other.counts[i] }
    }

    public func count(truth: Int, predicted: Int) -> Int { counts[truth * classCount + predicted] }

    public var total: Int { counts.reduce(0, +) }

    public func truePositives(_ c: Int) -> Int { count(truth: c, predicted: c) }
    public func falsePositives(_ c: Int) -> Int { (0..<classCount).reduce(0) { $0 + count(truth: $1, predicted: c) } - truePositives(c) }
    public func falseNegatives(_ c: Int) -> Int { (0..<classCount).reduce(0) { $0 + count(truth: c, predicted: $1) } - truePositives(c) }

    /// TP / (TP + FP + FN); nil when the class is in neither the prediction nor the truth.
    public func intersectionOverUnion(ofClass c: Int) -> Double? {
        let tp = truePositives(c), union = tp + falsePositives(c) + falseNegatives(c)
        return union == 0 ? nil : Double(tp) / Double(union)
    }

    /// 2 TP / (2 TP + FP + FN); nil when the class is in neither the prediction nor the truth.
    public func dice(ofClass c: Int) -> Double? {
        let tp = truePositives(c), denominator = 2 * tp + falsePositives(c) + falseNegatives(c)
        return denominator == 0 ? nil : Double(2 * tp) / Double(denominator)
    }

    /// Mean IoU over the classes that have a score (class 0 left out unless `includeBackground`).
    public func meanIntersectionOverUnion(includeBackground: Bool = true) -> Double? {
        Self.mean((includeBackground ? 0 : 1)..<classCount, intersectionOverUnion)
    }

    /// Mean Dice over the classes that have a score (class 0 left out unless `includeBackground`).
    public func meanDice(includeBackground: Bool = true) -> Double? {
        Self.mean((includeBackground ? 0 : 1)..<classCount, dice)
    }

    /// Fraction of counted pixels whose predicted class is the true class.
    public var accuracy: Double {
        let t = total
        return t == 0 ? 1 : Double((0..<classCount).reduce(0) { $0 + truePositives($1) }) / Double(t)
    }

    private static func mean(_ classes: Range<Int>, _ score: (Int) -> Double?) -> Double? {
        let scores = classes.compactMap(score)
        return scores.isEmpty ? nil : scores.reduce(0, +) / Double(scores.count)
    }
}
