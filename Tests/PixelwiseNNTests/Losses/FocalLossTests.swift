import Foundation
import Testing
@testable import PixelwiseNN
import PixelwiseCore

@Suite struct FocalLossTests {
    let shape: Shape = [2, 3, 2, 3]
    var x: Tensor { Tensor.random(shape, in: -2...2, seed: 21) }
    var labels: [Int32] { randomLabels(12, classes: 3, seed: 22) }

    @Test func gammaZeroIsWeightedCrossEntropy() throws {
        let alpha: [Float] = [0.25, 1, 2]
        let target = Target(labels: labels, weights: (0..<12).map { Float($0 % 3) + 0.5 })
        let focal = try FocalLoss(alpha: alpha, gamma: 0).evaluate(x, target)
        let ce = try SoftmaxCrossEntropy(classWeights: alpha).evaluate(x, target)
        #expect(focal.value == ce.value)
        #expect(focal.gradient.scalars == ce.gradient.scalars)
    }

    @Test func matchesReferenceForGammaTwo() throws {
        let xs = x.scalars, labels = self.labels
        var total = 0.0, wsum = 0.0
        for n in 0..<2 { for p in 0..<6 {
            let y = Int(labels[n * 6 + p]), w = y == 1 ? 0.75 : 0.25
            let pt = softmaxReference(xs, shape, n: n, pixel: p)[y]
            total -= w * pow(1 - pt, 2) * log(pt)
            wsum += w
        } }
        // Lin's binary α applied to 3 classes would not fit; use explicit weights [0.25, 0.75, 0.25].
        let (value, _) = try FocalLoss(alpha: [0.25, 0.75, 0.25], gamma: 2).evaluate(x, Target(labels: labels))
        #expect(isClose(value, total / wsum))
        #expect(FocalLoss(alpha: 0.25).weighting.classWeights == [0.75, 0.25])
    }

    @Test func gradients() throws {
        for gamma: Float in [0.5, 2, 3] {
            try expectGradientMatchesFiniteDifferences(FocalLoss(alpha: [1, 0.5, 2], gamma: gamma), at: x, Target(labels: labels))
        }
    }

    /// A confidently right pixel (p_t → 1) has a finite, vanishing gradient even for γ < 1.
    @Test func saturatedPixelIsFinite() throws {
        let x = Tensor(shape: [1, 2, 1, 1], scalars: [-40, 40])
        let (value, gradient) = try FocalLoss(gamma: 0.5).evaluate(x, Target(labels: [1]))
        #expect(value.isFinite && value >= 0 && value < 1e-10)
        #expect(gradient.scalars.allSatisfy { $0.isFinite && abs($0) < 1e-10 })
    }
}
