import Foundation
import Testing
import PixelwiseAlgorithms
@testable import PixelwiseNN
import PixelwiseCore

@Suite struct DistanceAwareCrossEntropyTests {
    /// Two 6×7 label images with a few foreground pixels.
    var labels: [Int32] {
        var l = [Int32](repeating: 0, count: 84)
        for i in [8, 9, 16, 30, 42 + 20, 42 + 21, 42 + 41] { l[i] = 1 }
        return l
    }

    /// Squared distance from every pixel to the nearest foreground pixel, by trying them all.
    func bruteForceSquaredDistances(_ foreground: [Bool], width: Int, height: Int) -> [Float] {
        (0..<(width * height)).map { p in
            var best = Float.infinity
            for q in 0..<(width * height) where foreground[q] {
                let dx = Float(p % width - q % width), dy = Float(p / width - q / width)
                best = min(best, dx * dx + dy * dy)
            }
            return best
        }
    }

    /// L_det written out from the seed's formula with brute-force distances.
    func reference(z: [Float], labels: [Int32], sigma: Double, alpha: Double, beta: Double) -> Double {
        var total = 0.0
        for n in 0..<2 {
            let image = Array(labels[n * 42..<(n + 1) * 42])
            let d2 = bruteForceSquaredDistances(image.map { $0 == 1 }, width: 7, height: 6)
            for p in 0..<42 {
                let q = 1 / (1 + exp(-Double(z[n * 42 + p])))
                if image[p] == 1 {
                    total -= pow(1 - q, alpha) * log(q)
                } else {
                    let y = exp(-Double(d2[p]) / (2 * sigma * sigma))
                    total -= pow(1 - y, beta) * pow(q, alpha) * log(1 - q)
                }
            }
        }
        return total / 84
    }

    @Test func matchesSeedFormula() throws {
        let x = Tensor.random([2, 1, 6, 7], in: -3...3, seed: 31)
        var loss = DistanceAwareCrossEntropy(sigma: 2, alpha: 2, beta: 4)
        let (value, _) = try loss.evaluate(x, Target(labels: labels))
        #expect(isClose(value, reference(z: x.scalars, labels: labels, sigma: 2, alpha: 2, beta: 4)))
    }

    /// With α = β = 0 the loss is plain binary cross-entropy.
    @Test func alphaBetaZeroIsBinaryCrossEntropy() throws {
        let x = Tensor.random([2, 2, 6, 7], in: -3...3, seed: 32)
        var loss = DistanceAwareCrossEntropy(sigma: 3, alpha: 0, beta: 0)
        let a = try loss.evaluate(x, Target(labels: labels))
        let b = try BinaryCrossEntropy().evaluate(x, Target(labels: labels))
        #expect(abs(a.value - b.value) < 1e-6)
        #expect(a.gradient.maxAbsDifference(b.gradient) < 1e-7)
    }

    @Test func gradients() throws {
        var l = labels
        l[0] = -1
        try expectGradientMatchesFiniteDifferences(DistanceAwareCrossEntropy(sigma: 1.5, alpha: 2, beta: 4),
                                                   at: Tensor.random([2, 1, 6, 7], in: -2...2, seed: 33), Target(labels: l))
        try expectGradientMatchesFiniteDifferences(DistanceAwareCrossEntropy(sigma: 2, alpha: 1, beta: 2),
                                                   at: Tensor.random([2, 2, 6, 7], in: -2...2, seed: 34), Target(labels: l))
    }

    /// Background next to the foreground is forgiven: its error counts less than far background.
    @Test func nearBackgroundWeighsLess() throws {
        var l = [Int32](repeating: 0, count: 20)
        l[0] = 1
        let loss = DistanceAwareCrossEntropy(sigma: 2, alpha: 0, beta: 4)
        let w = loss.backgroundWeights(squaredDistances: squaredDistanceToNearest(foreground: l.map { $0 == 1 }, width: 20, height: 1))
        #expect(w[1] < 0.02 && w[19] > 0.999)
        #expect(zip(w.dropFirst(), w.dropFirst(2)).allSatisfy { $0 <= $1 } && w[1] < w[2] && w[2] < w[4])
    }

    /// The distance transform runs once per distinct label image; later steps hit the cache.
    @Test func distancesComputedOncePerLabelImage() throws {
        var loss = DistanceAwareCrossEntropy(sigma: 2)
        let x = Tensor.random([2, 1, 6, 7], seed: 35)
        let first = try loss.evaluate(x, Target(labels: labels))
        #expect(loss.transformsComputed == 2)
        for _ in 0..<5 {
            let again = try loss.evaluate(x, Target(labels: labels))
            #expect(again.value == first.value && again.gradient.scalars == first.gradient.scalars)
        }
        #expect(loss.transformsComputed == 2)
        var other = labels
        other[50] = 1
        _ = try loss.evaluate(x, Target(labels: other))
        #expect(loss.transformsComputed == 3)  // only the changed image
        // Precomputed distances (from the whole label image) are used as given.
        let d2 = [Float](repeating: .infinity, count: 84)
        let far = try loss.evaluate(x, Target(labels: labels, foregroundSquaredDistances: d2))
        var bce = DistanceAwareCrossEntropy(sigma: 2, alpha: 2, beta: 0)
        #expect(abs(far.value - (try bce.evaluate(x, Target(labels: labels)).value)) < 1e-6)
        #expect(loss.transformsComputed == 3)
    }
}
