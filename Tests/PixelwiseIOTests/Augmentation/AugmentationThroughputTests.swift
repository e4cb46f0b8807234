import Testing
import PixelwiseCore
#if canImport(Glibc)
import Glibc
#endif
@testable import PixelwiseIO

/// Prints how many 256² patches per second one core cuts and augments with every augmentation
/// on, and what each step costs. Asserts only that the patches are sane, not the time.
@Suite struct AugmentationThroughputTests {
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// Runs `body` at least 3 times and for about `seconds`; returns calls per second.
    static func rate(seconds: Double = 0.4, _ body: () -> Void) -> Double {
        let start = now()
        var n = 0
        while n < 3 || (now() - start < seconds && n < 400) { body(); n += 1 }
        return Double(n) / (now() - start)
    }

    @Test func patchesPerSecondWithAllAugmentations() throws {
        let sample = makeSample(width: 512, height: 512, raw: { x, y in Float((x * 13 + y * 7) % 255) / 127.5 - 1 },
                                label: { x, y in (x / 16 + y / 16) % 2 == 0 ? 1 : 0 })
        let g = try PatchGeometry(input: 256, output: 256)
        let source = try PatchBatchSource(samples: [sample], geometry: g, batchSize: 1, augmentation: .all, seed: 1)
        var rng = SeededGenerator(seed: 2)
        let total = Self.rate(seconds: 1.5) {
            let pair = source.patch(image: 0, x: Int(rng.next() % 257), y: Int(rng.next() % 257), using: &rng)
            #expect(pair.raw[0].values.count == 256 * 256 && pair.labels.values.allSatisfy { $0 == 0 || $0 == 1 })
        }
        print("augmentation throughput: \(String(format: "%.1f", total)) patches/s (256², all augmentations, one core)")

        // Per step, on one 256² pair.
        let all = Augmentation.all
        let pair = PatchPair(raw: [sample.mirroredRaw(channel: 0, x0: 0, y0: 0, width: 256, height: 256)],
                             labels: sample.mirroredLabels(x0: 0, y0: 0, width: 256, height: 256))
        var steps: [(String, Double)] = []
        steps.append(("crop", Self.rate { _ = sample.mirroredRaw(channel: 0, x0: -3, y0: 5, width: 256, height: 256); _ = sample.mirroredLabels(x0: -3, y0: 5, width: 256, height: 256) }))
        steps.append(("rotate+flip", Self.rate { var p = pair; Augmentation(rotate: true, mirror: true).applyGeometric(to: &p, using: &rng) }))
        steps.append(("elastic", Self.rate { var p = pair; all.elastic!.apply(to: &p, using: &rng) }))
        steps.append(("CLAHE", Self.rate { _ = all.clahe!.apply(to: pair.raw[0]) }))
        steps.append(("blur σ=1", Self.rate { _ = GaussianBlur.blurred(pair.raw[0], sigma: 1) }))
        steps.append(("jitter", Self.rate { var p = pair; Augmentation(rotate: false, mirror: false, jitter: all.jitter).applyIntensity(to: &p, using: &rng) }))
        print("augmentation steps (calls/s): " + steps.map { "\($0.0) \(String(format: "%.0f", $0.1))" }.joined(separator: ", "))
    }
}
