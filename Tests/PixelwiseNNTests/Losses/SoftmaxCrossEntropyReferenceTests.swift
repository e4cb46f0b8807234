import Testing
@testable import PixelwiseNN
import PixelwiseTestSupport
import PixelwiseCore

@Suite struct SoftmaxCrossEntropyReferenceTests {
    struct Case: CustomStringConvertible, Sendable {
        var shape: [Int]
        var classWeights: [Float]?
        var pixelWeights: Bool
        var ignoreEvery: Int?
        var description: String { "\(shape) classWeights \(classWeights ?? []) pixelWeights \(pixelWeights) ignore \(ignoreEvery ?? 0)" }
    }

    static let cases: [Case] = [
        Case(shape: [2, 3, 4, 5], classWeights: nil, pixelWeights: false, ignoreEvery: nil),
        Case(shape: [2, 2, 5, 3], classWeights: [0.3, 1.7], pixelWeights: false, ignoreEvery: 4),
        Case(shape: [1, 5, 3, 7], classWeights: [1, 2, 0.5, 3, 1], pixelWeights: true, ignoreEvery: 3),
        Case(shape: [2, 3, 2, 3, 4], classWeights: [2, 1, 1], pixelWeights: true, ignoreEvery: 5),
    ]

    @Test(arguments: cases, [Layout.rowMajor, .channelsLast])
    func valueAndGradient(_ c: Case, layout: Layout) throws {
        var data = TestData(seed: 111)
        let count = c.shape.reduce(1, *), pixels = count / c.shape[1]
        let logits = data.uniform(count, in: -3...3)
        let labels: [Int32] = (0..<pixels).map { p in
            if let k = c.ignoreEvery, p % k == 1 { return -1 }
            return Int32(data.int(0...(c.shape[1] - 1)))
        }
        let pixelWeights = c.pixelWeights ? data.uniform(pixels, in: 0.2...2) : nil
        let loss = SoftmaxCrossEntropy(classWeights: c.classWeights)
        let (value, gradient) = try loss.evaluate(tensor(c.shape, logits, layout), Target(labels: labels, weights: pixelWeights))

        let reference = { (x: [Double]) in
            CrossEntropyReference.loss(x, shape: c.shape, labels: labels, classWeights: c.classWeights?.doubles,
                                       pixelWeights: pixelWeights?.doubles)
        }
        let expected = reference(logits.doubles)
        #expect(abs(Double(value) - expected) <= 1e-5 * max(1, abs(expected)), "loss \(value) vs \(expected)")
        #expect(gradient.shape.dims == c.shape)
        let all = Array(0..<count)
        let numerical = numericalGradient(of: reference, at: logits.doubles, indices: all)
        expectGradient(gradient.scalars, numerical: numerical, at: all, tolerance: 1e-4, "dL/dlogits")
        // Ignored pixels get no gradient at all.
        let g = gradient.scalars
        for p in 0..<pixels where labels[p] < 0 {
            let n = p / (pixels / c.shape[0]), q = p % (pixels / c.shape[0])
            for k in 0..<c.shape[1] { #expect(g[(n * c.shape[1] + k) * (pixels / c.shape[0]) + q] == 0) }
        }
    }

    /// Known value: two classes, logits (0, 0) everywhere → −log ½.
    @Test func uniformLogitsGiveLogTwo() throws {
        let (value, _) = try SoftmaxCrossEntropy().evaluate(Tensor(zeros: [1, 2, 3, 3]), Target(labels: [Int32](repeating: 1, count: 9)))
        #expect(abs(value - 0.693_147_2) < 1e-6)
    }

    @Test func rejectsBadTargets() {
        let logits = Tensor(zeros: [1, 2, 2, 2])
        #expect(throws: PixelwiseError.self) { try SoftmaxCrossEntropy().evaluate(logits, Target(labels: [0, 1, 0])) }
        #expect(throws: PixelwiseError.self) { try SoftmaxCrossEntropy().evaluate(logits, Target(labels: [0, 1, 0, 2])) }
        #expect(throws: PixelwiseError.self) {
            try SoftmaxCrossEntropy(classWeights: [1, 2, 3]).evaluate(logits, Target(labels: [0, 1, 0, 1]))
        }
    }
}
