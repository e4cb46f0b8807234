import Testing
import PixelwiseCore
#if canImport(Glibc)
import Glibc
#endif
@testable import PixelwiseIO

/// Prints how many 256² patches per second one core cuts and augments with every augmentation
/// on. Asserts only that the patches are sane, not the time.
@Suite struct AugmentationThroughputTests {
    @Test func patchesPerSecondWithAllAugmentations() throws {
        let sample = makeSample(width: 512, height: 512, raw: { x, y in Float((x * 13 + y * 7) % 255) / 127.5 - 1 },
                                label: { x, y in (x / 16 + y / 16) % 2 == 0 ? 1 : 0 })
        let g = try PatchGeometry(input: 256, output: 256)
        let source = try PatchBatchSource(samples: [sample], geometry: g, batchSize: 1, augmentation: .all, seed: 1)
        var rng = SeededGenerator(seed: 2)
        func now() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_MONOTONIC, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
        }
        let start = now()
        var patches = 0
        while patches < 3 || (now() - start < 1.5 && patches < 400) {
            let pair = source.patch(image: 0, x: Int(rng.next() % 257), y: Int(rng.next() % 257), using: &rng)
            #expect(pair.raw[0].values.count == 256 * 256 && pair.labels.values.allSatisfy { $0 == 0 || $0 == 1 })
            patches += 1
        }
        let rate = Double(patches) / (now() - start)
        print("augmentation throughput: \(String(format: "%.1f", rate)) patches/s (256², all augmentations, one core)")
    }
}
