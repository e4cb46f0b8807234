import Testing
@testable import PixelwiseNN
import PixelwiseCore

@Suite struct ErrorMaskingTests {
    /// 100 pixels of class 0, 25 of class 1, 5 of class 2 (least frequent), some ignored.
    var labels: [Int32] {
        [Int32](repeating: 0, count: 100) + [Int32](repeating: 1, count: 25) + [Int32](repeating: 2, count: 5) + [-1, -1]
    }

    @Test func keepProbabilitiesFromInverseFrequency() {
        let keep = ErrorMasked<SoftmaxCrossEntropy>.keepProbabilities(labels, ignoreLabel: nil)
        #expect(keep == [0: 0.05, 1: 0.2, 2: 1])
    }

    @Test func leastFrequentClassNeverDroppedOthersBalanced() {
        var masking = ErrorMasked(SoftmaxCrossEntropy(), seed: 7)
        var kept = [0, 0, 0]
        let rounds = 400
        for _ in 0..<rounds {
            let m = masking.mask(for: labels)
            #expect(m[125..<130].allSatisfy { $0 == 1 })  // class 2 always kept
            #expect(m[130] == 0 && m[131] == 0)           // ignored pixels carry no error
            for (p, y) in labels.enumerated() where y >= 0 { kept[Int(y)] += Int(m[p]) }
        }
        // Each class keeps ≈ 5 pixels per batch on average.
        #expect(kept[2] == 5 * rounds)
        for c in 0..<2 { #expect(abs(Double(kept[c]) / Double(rounds) - 5) < 0.5, "class \(c): \(kept[c])") }
    }

    @Test func sameSeedSameMasksAndDroppedPixelsHaveZeroGradient() throws {
        let x = Tensor.random([1, 3, 11, 12], seed: 3)
        let target = Target(labels: labels)
        var a = ErrorMasked(SoftmaxCrossEntropy(), seed: 42), b = ErrorMasked(SoftmaxCrossEntropy(), seed: 42)
        let ra = try a.evaluate(x, target), rb = try b.evaluate(x, target)
        #expect(ra.value == rb.value && ra.gradient.scalars == rb.gradient.scalars)
        // The masked loss equals plain cross-entropy with the mask as pixel weights.
        var c = ErrorMasked(SoftmaxCrossEntropy(), seed: 42)
        let mask = c.mask(for: labels)
        let plain = try SoftmaxCrossEntropy().evaluate(x, Target(labels: labels, weights: mask))
        #expect(plain.value == ra.value)
        let g = ra.gradient.scalars
        for p in 0..<132 where mask[p] == 0 { for ch in 0..<3 { #expect(g[ch * 132 + p] == 0) } }
        #expect(mask.filter { $0 == 0 }.count > 50)
    }
}
