import Foundation
import Testing
@testable import PixelwiseNN
import PixelwiseCore

@Suite struct DiceLossTests {
    let labels: [Int32] = randomLabels(24, classes: 2, seed: 41)

    func dice(_ z: [Float], _ labels: [Int32], smooth: Double) -> Double {
        var i = 0.0, u = 0.0
        for p in z.indices where labels[p] >= 0 {
            let q = 1 / (1 + exp(-Double(z[p]))), y = Double(labels[p])
            i += q * y
            u += q + y
        }
        return (2 * i + smooth) / (u + smooth)
    }

    @Test func handValue() throws {
        // q = (1/2, 1/2), y = (1, 0): D = (2·½ + 0)/(1 + 1) = ½, −log D = log 2.
        let x = Tensor(shape: [1, 1, 1, 2], scalars: [0, 0])
        let (value, _) = try DiceLoss(form: .negativeLog, smooth: 0).evaluate(x, Target(labels: [1, 0]))
        #expect(isClose(value, log(2)))
        #expect(try DiceLoss(form: .complement, smooth: 0).evaluate(x, Target(labels: [1, 0])).value == 0.5)
    }

    @Test func matchesReference() throws {
        let x = Tensor.random([2, 1, 3, 4], in: -2...2, seed: 42)
        var l = labels
        l[5] = -1
        let d = dice(x.scalars, l, smooth: 1)
        #expect(isClose(try DiceLoss(form: .negativeLog).evaluate(x, Target(labels: l)).value, -log(d)))
        #expect(isClose(try DiceLoss(form: .complement).evaluate(x, Target(labels: l)).value, 1 - d))
        let perImage = try DiceLoss(form: .complement, perImage: true).evaluate(x, Target(labels: l)).value
        let z = x.scalars
        let mean = (2 - dice(Array(z[0..<12]), Array(l[0..<12]), smooth: 1) - dice(Array(z[12...]), Array(l[12...]), smooth: 1)) / 2
        #expect(isClose(perImage, mean))
    }

    @Test func gradients() throws {
        var l = labels
        l[2] = -1
        for form in DiceLoss.Form.allCases {
            try expectGradientMatchesFiniteDifferences(DiceLoss(form: form), at: Tensor.random([2, 1, 3, 4], seed: 43), Target(labels: l))
            try expectGradientMatchesFiniteDifferences(DiceLoss(form: form, perImage: true), at: Tensor.random([2, 2, 3, 4], seed: 44), Target(labels: l))
        }
        #expect(try DiceLoss().evaluate(Tensor.random([2, 1, 3, 4], seed: 43), Target(labels: l)).gradient.scalars[2] == 0)
    }

    @Test func diceCrossEntropyIsTheWeightedSum() throws {
        let x = Tensor.random([2, 2, 3, 4], seed: 45), t = Target(labels: labels)
        var combined = CombinedLoss.diceCrossEntropy(diceWeight: 0.5, crossEntropyWeight: 2)
        let (value, gradient) = try combined.evaluate(x, t)
        let d = try DiceLoss(form: .complement).evaluate(x, t), ce = try BinaryCrossEntropy().evaluate(x, t)
        #expect(abs(value - (0.5 * d.value + 2 * ce.value)) < 1e-6)
        var expected = d.gradient
        expected.scale(by: 0.5)
        expected.add(ce.gradient, scale: 2)
        #expect(gradient.maxAbsDifference(expected) < 1e-7)
        try expectGradientMatchesFiniteDifferences(combined, at: x, t)
    }

    /// Dice + cross-entropy for C > 2 classes: the multi-class Dice plus softmax cross-entropy over
    /// the channels (with class weights), gradient against finite differences; on two channels it
    /// is the same loss as the two-class form.
    @Test func diceCrossEntropyTakesAnyNumberOfClasses() throws {
        let x = Tensor.random([2, 4, 3, 4], seed: 46)
        var l = (0..<24).map { Int32($0 % 4) }
        l[5] = -1
        let t = Target(labels: l), weights: [Float] = [0.5, 1, 2, 4]
        var combined = CombinedLoss.diceCrossEntropy(classWeights: weights)
        let (value, _) = try combined.evaluate(x, t)
        let d = try DiceLoss(form: .complement).evaluate(x, t), ce = try SoftmaxCrossEntropy(classWeights: weights).evaluate(x, t)
        #expect(abs(value - (d.value + ce.value)) < 1e-6)
        #expect(ce.value > 0 && d.value > 0)
        try expectGradientMatchesFiniteDifferences(combined, at: x, t)

        let two = Tensor.random([2, 2, 3, 4], seed: 47), binary = Target(labels: labels)
        var old = CombinedLoss.diceCrossEntropy(), new = CombinedLoss.diceCrossEntropy(classWeights: nil)
        let a = try old.evaluate(two, binary), b = try new.evaluate(two, binary)
        #expect(abs(a.value - b.value) < 1e-6 && a.gradient.maxAbsDifference(b.gradient) < 1e-6)
        var sigmoid = CombinedLoss.diceCrossEntropy(classWeights: nil)
        let one = Tensor.random([2, 1, 3, 4], seed: 48)
        let s = try sigmoid.evaluate(one, binary)
        let expected = try DiceLoss(form: .complement).evaluate(one, binary).value + BinaryCrossEntropy().evaluate(one, binary).value
        #expect(abs(s.value - expected) < 1e-6)
    }
}
