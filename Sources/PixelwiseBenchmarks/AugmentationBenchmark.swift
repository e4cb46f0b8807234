import ArgumentParser
import Foundation
import PixelwiseCore
import PixelwiseIO

/// How many 256² patches per second one core cuts and augments with every augmentation on, and
/// what each step costs.
struct AugmentationBenchmark: BenchmarkCommand {
    static let configuration = CommandConfiguration(commandName: "augmentation",
                                                    abstract: "Time patch cutting and each augmentation step on one core.")
    @OptionGroup var common: Common
    @Option(help: "Seconds to spend on the whole-patch rate.")
    var seconds: Double = 1.5

    /// Calls per second of `body`: at least 3 calls, then for about `duration` seconds (at most 400 calls).
    func rate(_ duration: Double = 0.4, _ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        var n = 0
        while n < 3 || (elapsed() < duration && n < 400) { body(); n += 1 }
        return Double(n) / elapsed()
    }

    func run() throws {
        common.apply()
        var pixels = [Float](), labels = [Int32]()
        for y in 0..<512 { for x in 0..<512 {
            pixels.append(Float((x * 13 + y * 7) % 255) / 127.5 - 1)
            labels.append((x / 16 + y / 16) % 2 == 0 ? 1 : 0)
        } }
        let sample = Sample(raw: Image(width: 512, height: 512, channels: 1, sampleType: .float32, pixels: pixels), labels: labels,
                            name: "synthetic")
        let source = try PatchBatchSource(samples: [sample], geometry: try PatchGeometry(input: 256, output: 256), batchSize: 1,
                                          augmentation: .all, seed: 1)
        var rng = SeededGenerator(seed: 2)
        let total = rate(seconds) {
            _ = source.patch(image: 0, x: Int(rng.next() % 257), y: Int(rng.next() % 257), using: &rng)
        }
        print("augmentation: \(String(format: "%.1f", total)) patches/s (256², all augmentations, one core)")

        let all = Augmentation.all
        let pair = PatchPair(raw: [sample.mirroredRaw(channel: 0, x0: 0, y0: 0, width: 256, height: 256)],
                             labels: sample.mirroredLabels(x0: 0, y0: 0, width: 256, height: 256))
        var steps: [(String, Double)] = []
        steps.append(("crop", rate { _ = sample.mirroredRaw(channel: 0, x0: -3, y0: 5, width: 256, height: 256); _ = sample.mirroredLabels(x0: -3, y0: 5, width: 256, height: 256) }))
        steps.append(("rotate+flip", rate { var p = pair; Augmentation(rotate: true, mirror: true).applyGeometric(to: &p, using: &rng) }))
        steps.append(("elastic", rate { var p = pair; all.elastic!.apply(to: &p, using: &rng) }))
        steps.append(("CLAHE", rate { _ = all.clahe!.apply(to: pair.raw[0]) }))
        steps.append(("blur σ=1", rate { _ = GaussianBlur.blurred(pair.raw[0], sigma: 1) }))
        steps.append(("jitter", rate { var p = pair; Augmentation(rotate: false, mirror: false, jitter: all.jitter).applyIntensity(to: &p, using: &rng) }))
        print("augmentation steps (calls/s): " + steps.map { "\($0.0) \(String(format: "%.0f", $0.1))" }.joined(separator: ", "))
    }
}
