import Foundation
import Testing
@testable import PixelwiseNN
import PixelwiseCore

@Suite struct BinaryCrossEntropyTests {
    let labels: [Int32] = randomLabels(24, classes: 2, seed: 5)

    @Test func matchesReference() throws {
        let x = Tensor.random([2, 1, 3, 4], in: -3...3, seed: 4), z = x.scalars
        var pw = [Float](repeating: 1, count: 24)
        pw[2] = 2.5
        var total = 0.0, wsum = 0.0
        for p in 0..<24 {
            let q = 1 / (1 + exp(-Double(z[p]))), y = Double(labels[p])
            let w = Double(pw[p]) * (labels[p] == 1 ? 3 : 1)
            total -= w * (y * log(q) + (1 - y) * log(1 - q))
            wsum += w
        }
        let (value, gradient) = try BinaryCrossEntropy(classWeights: [1, 3]).evaluate(x, Target(labels: labels, weights: pw))
        #expect(isClose(value, total / wsum))
        let q0 = 1 / (1 + exp(-Double(z[0]))), w0 = labels[0] == 1 ? 3.0 : 1.0
        #expect(isClose(gradient.scalars[0], w0 * (q0 - Double(labels[0])) / wsum))
    }

    /// Extreme logits stay finite (log σ computed as −softplus).
    @Test func saturatedLogitsAreFinite() throws {
        let x = Tensor(shape: [1, 1, 1, 2], scalars: [-100, 100])
        let (value, gradient) = try BinaryCrossEntropy().evaluate(x, Target(labels: [1, 0]))
        #expect(isClose(value, 100, relative: 1e-4))
        #expect(gradient.scalars == [-0.5, 0.5])
    }

    @Test func twoChannelSoftmaxEqualsSoftmaxCrossEntropy() throws {
        let x = Tensor.random([2, 2, 3, 4], in: -2...2, seed: 8)
        let bce = try BinaryCrossEntropy().evaluate(x, Target(labels: labels))
        let ce = try SoftmaxCrossEntropy().evaluate(x, Target(labels: labels))
        #expect(abs(bce.value - ce.value) < 1e-6)
        #expect(bce.gradient.maxAbsDifference(ce.gradient) < 1e-6)
    }

    @Test func gradients() throws {
        var l = labels
        l[3] = -1
        try expectGradientMatchesFiniteDifferences(BinaryCrossEntropy(classWeights: [0.5, 2]), at: Tensor.random([2, 1, 3, 4], seed: 1), Target(labels: l))
        try expectGradientMatchesFiniteDifferences(BinaryCrossEntropy(), at: Tensor.random([2, 2, 3, 4], seed: 2), Target(labels: l))
    }

    @Test func rejectsNonBinaryLabelsAndChannels() throws {
        var l = labels
        l[0] = 2
        #expect(throws: PixelwiseError.self) { try BinaryCrossEntropy().evaluate(Tensor.random([2, 1, 3, 4], seed: 1), Target(labels: l)) }
        #expect(throws: PixelwiseError.self) { try BinaryCrossEntropy().evaluate(Tensor.random([2, 3, 3, 4], seed: 1), Target(labels: labels)) }
    }
}

@Suite struct MeanSquaredErrorTests {
    @Test func oneHotHandValue() throws {
        // One pixel, two channels (0.5, 2), label 1: ((0.5 − 0)² + (2 − 1)²) / 2 = 0.625.
        let x = Tensor(shape: [1, 2, 1, 1], scalars: [0.5, 2])
        let (value, gradient) = try MeanSquaredError().evaluate(x, Target(labels: [1]))
        #expect(value == 0.625)
        #expect(gradient.scalars == [0.5, 1])
    }

    @Test func denseTargetsWeightsAndGradient() throws {
        let x = Tensor.random([2, 2, 3, 2], seed: 3), t = Tensor.random([2, 2, 3, 2], seed: 4)
        var w = [Float](repeating: 1, count: 12)
        w[1] = 2; w[6] = 0
        let target = Target(labels: .init(repeating: 0, count: 12), weights: w, values: t)
        let xs = x.scalars, ts = t.scalars
        var total = 0.0
        for n in 0..<2 { for c in 0..<2 { for p in 0..<6 {
            let i = (n * 2 + c) * 6 + p, d = Double(xs[i] - ts[i])
            total += Double(w[n * 6 + p]) * d * d
        } } }
        let (value, gradient) = try MeanSquaredError().evaluate(x, target)
        #expect(isClose(value, total / (2 * Double(w.reduce(0, +)))))
        #expect(gradient.scalars[(1 * 2 + 0) * 6 + 0] == 0)  // weight-0 pixel (n = 1, p = 0)
        try expectGradientMatchesFiniteDifferences(MeanSquaredError(), at: x, target)
    }
}
