import Foundation
import PixelwiseCore
import Testing
@testable import PixelwiseNN
import PixelwiseCore

/// Dice over C classes: a plain double-precision reference, a hand value, gradients against
/// finite differences, the 2-class case equal to the binary foreground Dice, Dice + CE.
@Suite struct MulticlassDiceLossTests {
    /// Slow and obvious: softmax per pixel, Dice per class, mean over the counted classes.
    static func reference(_ x: Tensor, _ labels: [Int32], includeBackground: Bool, smooth: Double, form: DiceLoss.Form,
                          perImage: Bool = false) -> Double {
        let n = x.shape[0], c = x.shape[1], hw = x.count / (n * c), v = x.scalars  // NCHW
        func loss(images: Range<Int>) -> Double {
            var dices = [Double]()
            for k in (includeBackground ? 0 : 1)..<c {
                var i = 0.0, u = 0.0
                for img in images {
                    for p in 0..<hw where labels[img * hw + p] >= 0 {
                        let logits = (0..<c).map { Double(v[(img * c + $0) * hw + p]) }
                        let m = logits.max()!, e = logits.map { exp($0 - m) }, q = e[k] / e.reduce(0, +)
                        let y = labels[img * hw + p] == k ? 1.0 : 0.0
                        i += q * y
                        u += q + y
                    }
                }
                if u + smooth > 0 { dices.append((2 * i + smooth) / (u + smooth)) }
            }
            let mean = dices.reduce(0, +) / Double(dices.count)
            return form == .negativeLog ? -log(mean) : 1 - mean
        }
        if perImage { return (0..<n).map { loss(images: $0..<$0 + 1) }.reduce(0, +) / Double(n) }
        return loss(images: 0..<n)
    }

    @Test func handValue() throws {
        // Equal logits: q = 1/3 everywhere. Pixels labelled 0, 1, 2, 2; smoothing 0.
        // Class 1: I = 1/3, U = 4/3 + 1 → D = (2/3)/(7/3) = 2/7. Class 2: I = 2/3, U = 4/3 + 2 → D = (4/3)/(10/3) = 2/5.
        let x = Tensor(shape: [1, 3, 2, 2], scalars: [Float](repeating: 0, count: 12))
        let value = try DiceLoss(form: .complement, smooth: 0).evaluate(x, Target(labels: [0, 1, 2, 2])).value
        #expect(abs(Double(value) - (1 - (2.0 / 7 + 2.0 / 5) / 2)) < 1e-6)
        // With background: class 0 has I = 1/3, U = 4/3 + 1 → 2/7 too.
        let all = try DiceLoss(form: .complement, smooth: 0, includeBackground: true).evaluate(x, Target(labels: [0, 1, 2, 2])).value
        #expect(abs(Double(all) - (1 - (2.0 / 7 + 2.0 / 7 + 2.0 / 5) / 3)) < 1e-6)
    }

    @Test(arguments: [false, true], DiceLoss.Form.allCases)
    func matchesReferenceAndFiniteDifferences(includeBackground: Bool, form: DiceLoss.Form) throws {
        var labels = randomLabels(2 * 12, classes: 4, seed: 61)
        labels[5] = -1
        let x = Tensor.random([2, 4, 3, 4], in: -2...2, seed: 62)
        for perImage in [false, true] {
            let loss = DiceLoss(form: form, smooth: 1, perImage: perImage, includeBackground: includeBackground)
            let value = try loss.evaluate(x, Target(labels: labels)).value
            #expect(abs(Double(value) - Self.reference(x, labels, includeBackground: includeBackground, smooth: 1, form: form, perImage: perImage)) < 1e-5)
            try expectGradientMatchesFiniteDifferences(loss, at: x, Target(labels: labels))
            #expect(try loss.evaluate(x, Target(labels: labels)).gradient.scalars[5] == 0)  // ignored pixel, channel 0
        }
    }

    @Test func twoClassesWithoutBackgroundIsTheBinaryForegroundDice() throws {
        let x = Tensor.random([2, 2, 3, 4], in: -2...2, seed: 63), t = Target(labels: randomLabels(24, classes: 2, seed: 64))
        let binary = try DiceLoss(form: .negativeLog).evaluate(x, t)
        let classes = try DiceLoss(form: .negativeLog).evaluateClasses(x, t)
        #expect(abs(binary.value - classes.value) < 1e-6)
        #expect(binary.gradient.maxAbsDifference(classes.gradient) < 1e-6)
    }

    @Test func classWeightsAndLabelsOutOfRange() throws {
        let x = Tensor.random([1, 3, 2, 2], seed: 65)
        #expect(throws: PixelwiseError.self) { try DiceLoss().evaluate(x, Target(labels: [0, 1, 2, 3])) }
        // Dice + softmax CE with class weights on 5 classes: the weighted sum, gradient checked.
        let y = Tensor.random([2, 5, 3, 3], seed: 66), t = Target(labels: randomLabels(18, classes: 5, seed: 67))
        var combined = CombinedLoss.diceSoftmaxCrossEntropy(crossEntropy: SoftmaxCrossEntropy(classWeights: [0.2, 1, 2, 1, 3]), crossEntropyWeight: 0.5)
        let (value, _) = try combined.evaluate(y, t)
        let d = try DiceLoss(form: .complement).evaluate(y, t).value, ce = try SoftmaxCrossEntropy(classWeights: [0.2, 1, 2, 1, 3]).evaluate(y, t).value
        #expect(abs(value - (d + 0.5 * ce)) < 1e-6)
        try expectGradientMatchesFiniteDifferences(combined, at: y, t)
    }
}
