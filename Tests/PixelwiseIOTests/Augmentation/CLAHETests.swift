import Testing
import PixelwiseCore
@testable import PixelwiseIO

@Suite struct CLAHETests {
    @Test func constantImageStaysConstant() {
        let plane = Plane(width: 64, height: 48, values: [Float](repeating: 0.3, count: 64 * 48))
        let out = CLAHE(tilesX: 4, tilesY: 3, clipLimit: 3).apply(to: plane)
        let spread = out.values.max()! - out.values.min()!
        #expect(spread < 1e-6)
    }

    @Test func lowContrastImageGainsContrast() {
        // A gentle gradient plus noise, all within [−0.1, 0.1] of a [−1, 1] range.
        var rng = SeededGenerator(seed: 11)
        var values = [Float]()
        for y in 0..<64 { for x in 0..<64 { values.append(0.1 * Float(x + y - 63) / 63 * 0.5 + 0.05 * (rng.nextUniform() - 0.5)) } }
        let plane = Plane(width: 64, height: 64, values: values)
        let out = CLAHE(tilesX: 4, tilesY: 4, clipLimit: 4).apply(to: plane)
        let before = standardDeviation(plane.values), after = standardDeviation(out.values)
        #expect(after > 2 * before, "std \(before) → \(after)")
        #expect(out.values.allSatisfy { $0 >= -1 && $0 <= 1 })
    }

    @Test func clippedHistogramRespectsLimitAndKeepsTotal() {
        // A tile with a tall spike (a flat region) on a thin spread.
        var hist = [Double](repeating: 3, count: 256)
        hist[100] = 2000
        hist[101] = 900
        let total = hist.reduce(0, +)
        let limit = 2 * total / 256
        let clipped = CLAHE.clippedHistogram(hist, limit: limit)
        #expect(clipped.allSatisfy { $0 <= limit + 1e-9 }, "max bin \(clipped.max()!) > limit \(limit)")
        #expect(abs(clipped.reduce(0, +) - total) < 1e-6 * total)
        // Bins below the limit only grow; the spikes end exactly at the limit.
        #expect(clipped[100] == limit && clipped[101] == limit)
        #expect(zip(hist, clipped).allSatisfy { h, c in h >= limit || c >= h })
    }

    @Test func mappingIsMonotoneWithSlopeAtMostClipLimit() {
        let clahe = CLAHE(clipLimit: 2.5, bins: 64, range: -1...1)
        var hist = [Double](repeating: 0, count: 64)
        hist[30] = 500; hist[31] = 300; hist[5] = 10; hist[60] = 10
        let map = clahe.mapping(histogram: hist)
        // Slope per bin ≤ clipLimit × (range span / bins): the contrast gain is limited.
        let maxStep = 2.5 * 2 / 64 + 1e-5
        for b in 1..<64 {
            let step = map[b] - map[b - 1]
            #expect(step >= 0 && Double(step) <= maxStep, "bin \(b): step \(step)")
        }
        // Without clipping (limit ≥ spike) the spike would take a step of ≈ 0.6·span; here it is capped.
        #expect(map[31] - map[30] < 0.2)
    }
}
