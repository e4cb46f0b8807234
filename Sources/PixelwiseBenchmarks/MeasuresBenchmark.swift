import ArgumentParser
import Foundation
import PixelwiseAlgorithms
import PixelwiseCore

/// The evaluation measures on a 512² cell image: the warping error of a noisy prediction, and the
/// threshold sweep of one image over the default thresholds (every measure including warping).
struct MeasuresBenchmark: BenchmarkCommand {
    static let configuration = CommandConfiguration(commandName: "measures",
                                                    abstract: "Time the warping error and the evaluation's threshold sweep on 512².")
    @OptionGroup var common: Common
    @Option(help: "Square image size in pixels.")
    var size: Int = 512

    func run() throws {
        common.apply()
        let (w, h) = (size, size)
        let truth = (0..<w * h).map { i in i % w % 31 != 30 && i / w % 31 != 30 }
        var rng = SeededGenerator(seed: 9)
        // Every pixel flipped with probability 2 %, confidence random.
        let noisy: [Float] = truth.map { t in
            let flip = Double.random(in: 0..<1, using: &rng) < 0.02
            let confidence = Float.random(in: 0.55...1, using: &rng)
            return (t != flip) ? confidence : 1 - confidence
        }
        var warping: WarpingResult?
        let warpingTime = common.median { warping = warpingError(prediction: noisy, groundTruth: truth, width: w, height: h) }
        print("warping error \(w)² (median of \(common.repetitions)): \(milliseconds(warpingTime)), "
              + "\(warping!.flips) flips, \(warping!.errorCount) topological errors")

        let probability: [Float] = truth.map { ($0 ? 0.75 : 0.25) + Float.random(in: -0.19...0.19, using: &rng) }
        let sweep = common.median {
            _ = ThresholdSweep(probability: probability, groundTruth: truth, width: w, height: h, includeWarping: true)
        }
        print("threshold sweep \(w)² (\(ThresholdSweep.defaultThresholds.count) thresholds, every measure incl. warping, "
              + "median of \(common.repetitions)): \(milliseconds(sweep))")
    }
}
