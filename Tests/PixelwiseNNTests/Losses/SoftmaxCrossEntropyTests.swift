import Foundation
import Testing
@testable import PixelwiseNN
import PixelwiseCore

@Suite struct SoftmaxCrossEntropyTests {
    let shape: Shape = [2, 3, 3, 4]
    var x: Tensor { Tensor.random(shape, in: -2...2, seed: 11) }
    var labels: [Int32] { randomLabels(24, classes: 3, seed: 12) }

    /// Two pixels worked by hand: logits (0, ln 3) → softmax (1/4, 3/4).
    @Test func handComputedValue() throws {
        let x = Tensor(shape: [1, 2, 1, 2], scalars: [0, 0, Float(log(3.0)), Float(log(3.0))])
        let (value, gradient) = try SoftmaxCrossEntropy().evaluate(x, Target(labels: [1, 0]))
        // L = (−log 3/4 − log 1/4) / 2
        #expect(isClose(value, (-log(0.75) - log(0.25)) / 2))
        // dL/dx = (softmax − onehot)/2: pixel 0 (label 1): (1/4, −1/4)/2, pixel 1 (label 0): (−3/4, 3/4)/2
        #expect(isClose(gradient.scalars, [0.125, -0.375, -0.125, 0.375]))
    }

    @Test func matchesReferenceWithClassAndPixelWeights() throws {
        let cw: [Float] = [0.5, 2, 1.5]
        var pw = [Float](repeating: 1, count: 24)
        for i in stride(from: 0, to: 24, by: 5) { pw[i] = 3 }
        let xs = x.scalars, labels = self.labels
        var total = 0.0, wsum = 0.0
        for n in 0..<2 { for p in 0..<12 {
            let i = n * 12 + p, y = Int(labels[i])
            let w = Double(cw[y] * pw[i])
            total -= w * log(softmaxReference(xs, shape, n: n, pixel: p)[y])
            wsum += w
        } }
        let (value, _) = try SoftmaxCrossEntropy(classWeights: cw).evaluate(x, Target(labels: labels, weights: pw))
        #expect(isClose(value, total / wsum))
    }

    @Test func gradientMatchesFiniteDifferences() throws {
        var pw = [Float](repeating: 1, count: 24)
        pw[3] = 4; pw[7] = 0.25
        try expectGradientMatchesFiniteDifferences(SoftmaxCrossEntropy(classWeights: [1, 3, 0.5], ignoreLabel: 2), at: x,
                                                   Target(labels: labels, weights: pw))
    }

    @Test func unitWeightsEqualUnweighted() throws {
        let plain = try SoftmaxCrossEntropy().evaluate(x, Target(labels: labels))
        let ones = try SoftmaxCrossEntropy(classWeights: [1, 1, 1]).evaluate(x, Target(labels: labels, weights: .init(repeating: 1, count: 24)))
        #expect(plain.value == ones.value)
        #expect(plain.gradient.scalars == ones.gradient.scalars)
    }

    /// Masked pixels (negative label, ignore value, weight 0) get exactly zero gradient, and the
    /// loss equals the loss over the remaining pixels alone.
    @Test func maskedPixelsContributeNothing() throws {
        var labels = self.labels
        labels[0] = -1
        labels[5] = 2
        var weights = [Float](repeating: 1, count: 24)
        weights[9] = 0
        let loss = SoftmaxCrossEntropy(ignoreLabel: 2)
        let (value, gradient) = try loss.evaluate(x, Target(labels: labels, weights: weights))
        let g = gradient.scalars
        let masked = (0..<24).filter { labels[$0] < 0 || labels[$0] == 2 || weights[$0] == 0 }
        #expect(masked.contains(0) && masked.contains(5) && masked.contains(9))
        for p in masked { for c in 0..<3 {
            let n = p / 12, q = p % 12
            #expect(g[(n * 3 + c) * 12 + q] == 0)
        } }
        // Changing masked pixels' logits changes nothing.
        var xs = x.scalars
        for p in masked { xs[(p / 12 * 3) * 12 + p % 12] += 5 }
        #expect(try loss.evaluate(Tensor(shape: shape, scalars: xs), Target(labels: labels, weights: weights)).value == value)
    }

    @Test func everythingIgnoredGivesZero() throws {
        let (value, gradient) = try SoftmaxCrossEntropy().evaluate(x, Target(labels: .init(repeating: -1, count: 24)))
        #expect(value == 0 && gradient.maxAbs == 0)
    }

    @Test func badLabelsAndWeightsThrow() throws {
        var labels = self.labels
        labels[4] = 3
        #expect(throws: PixelwiseError.self) { try SoftmaxCrossEntropy().evaluate(x, Target(labels: labels)) }
        #expect(throws: PixelwiseError.self) { try SoftmaxCrossEntropy(classWeights: [1, 2]).evaluate(x, Target(labels: self.labels)) }
        #expect(throws: PixelwiseError.self) { try SoftmaxCrossEntropy().evaluate(x, Target(labels: [0, 1])) }
    }
}
