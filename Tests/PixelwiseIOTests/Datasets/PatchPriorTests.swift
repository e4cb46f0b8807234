import Testing
import PixelwiseCore
@testable import PixelwiseIO

@Suite struct PatchPriorTests {
    /// 64 × 64, class 1 on the 8 × 8 top-left corner (1.56 % of pixels), class 0 elsewhere.
    static let cornerSample = makeSample(width: 64, height: 64, label: { x, y in x < 8 && y < 8 ? 1 : 0 })

    @Test func labelFrequencyCountsWindowCoverage() throws {
        let prior = try PatchPrior(samples: [Self.cornerSample], windowWidth: 16, windowHeight: 16, classCount: 2)
        // 49 × 49 windows; corner pixel (x, y) is covered by (x + 1)(y + 1) of them:
        // Σ over the 8 × 8 block = 36² class-1 window-pixels out of 256 · 49².
        let expected = 1296.0 / (256.0 * 2401.0)
        #expect(abs(prior.labelFrequencies[1] - expected) < 1e-12)
        #expect(prior.labelFrequencies[1] < 64.0 / 4096.0)   // corners are under-covered
        // Eq. 4.1: the corner window (a = (¾, ¼)) against a window without class 1 (a = (1, 0)).
        let c = prior.labelFrequencies
        let ratio = prior.probability(image: 0, x: 0, y: 0) / prior.probability(image: 0, x: 40, y: 40)
        #expect(abs(ratio - (0.75 / c[0] + 0.25 / c[1]) / (1 / c[0])) < 1e-3 * ratio)
        let total = (0..<49).reduce(0.0) { s, y in (0..<49).reduce(s) { $0 + prior.probability(image: 0, x: $1, y: y) } }
        #expect(abs(total - 1) < 1e-5)
    }

    @Test func rareLabelIsSampledMoreOftenThanItsFrequency() throws {
        let s = Self.cornerSample
        let prior = try PatchPrior(samples: [s], windowWidth: 16, windowHeight: 16, classCount: 2)
        var rng = SeededGenerator(seed: 42)
        var rare = 0, all = 0
        for _ in 0..<4000 {
            let (image, x, y) = prior.draw(using: &rng)
            #expect(image == 0 && x <= 48 && y <= 48)
            for v in y..<y + 16 { for u in x..<x + 16 where s.labels[v * 64 + u] == 1 { rare += 1 } }
            all += 256
        }
        let drawn = Double(rare) / Double(all)
        // Table 4.1's effect: the rare label gains (here strongly: small windows, one corner).
        #expect(prior.posterior[1] > 4 * prior.labelFrequencies[1])
        #expect(drawn > 4 * 64.0 / 4096.0, "drawn \(drawn)")
        #expect(abs(drawn - prior.posterior[1]) < 0.1 * prior.posterior[1], "drawn \(drawn), Eq. 4.2 \(prior.posterior[1])")
    }

    @Test func windowsLargerThanTheImageCountMirroredPixels() throws {
        // 4 × 4 image, one class-1 pixel; a 6 × 6 window reads columns/rows 0 1 2 3 2 1.
        let edge = makeSample(width: 4, height: 4, label: { x, y in x == 3 && y == 3 ? 1 : 0 })
        let inner = makeSample(width: 4, height: 4, label: { x, y in x == 2 && y == 2 ? 1 : 0 })
        let p1 = try PatchPrior(samples: [edge], windowWidth: 6, windowHeight: 6, classCount: 2)
        let p2 = try PatchPrior(samples: [inner], windowWidth: 6, windowHeight: 6, classCount: 2)
        #expect(abs(p1.labelFrequencies[1] - 1.0 / 36) < 1e-12)
        #expect(abs(p2.labelFrequencies[1] - 4.0 / 36) < 1e-12)
        var rng = SeededGenerator(seed: 1)
        let d = p1.draw(using: &rng)
        #expect(d.x == 0 && d.y == 0)
    }

    @Test func strideAndIgnoredPixels() throws {
        let s = makeSample(width: 20, height: 10, label: { x, _ in x < 10 ? -1 : (x < 12 ? 1 : 0) })
        let prior = try PatchPrior(samples: [s, s], windowWidth: 4, windowHeight: 4, classCount: 2, stride: 3)
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<200 {
            let d = prior.draw(using: &rng)
            #expect(d.x % 3 == 0 && d.y % 3 == 0 && d.x <= 16 && d.y <= 6)
            #expect(d.x >= 9, "windows of ignored pixels only have weight 0")
        }
        #expect(abs(prior.labelFrequencies.reduce(0, +) - 1) < 1e-12)
    }
}
