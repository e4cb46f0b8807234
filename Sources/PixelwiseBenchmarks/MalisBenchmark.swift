import ArgumentParser
import Foundation
import PixelwiseAlgorithms
import PixelwiseCore
import PixelwiseNN

/// Malis on a 512² cell image: the pair counting alone (affinities + both Kruskal passes) and the
/// whole loss layer (2-channel logits → probabilities → affinities → both passes → gradient).
/// Compare with `pixelwise bench --model unet --input 512 --train`.
struct MalisBenchmark: BenchmarkCommand {
    static let configuration = CommandConfiguration(commandName: "malis", abstract: "Time the Malis loss on a 512² patch.")
    @OptionGroup var common: Common
    @Option(help: "Square patch size in pixels.")
    var size: Int = 512

    func run() throws {
        common.apply()
        let side = size
        // Cells of 30² between one-pixel membranes, a noisy probability of cell interior.
        let truth = (0..<side * side).map { i in i % side % 31 != 30 && i / side % 31 != 30 }
        let components = connectedComponents(foreground: truth, width: side, height: side)
        var rng = SeededGenerator(seed: 3)
        let probability: [Float] = truth.map { ($0 ? 0.8 : 0.2) + Float.random(in: -0.15...0.15, using: &rng) }
        var pairs: MalisResult?
        let counting = common.median {
            let graph = affinities(from: probability, width: side, height: side)
            pairs = malisLoss(affinities: graph.values, groundTruthComponents: components.labels, width: side, height: side)
        }
        let labels = truth.map { Int32($0 ? 1 : 0) }
        let logits = labels.map { Float($0 == 1 ? 1.5 : -1.5) + Float.random(in: -2...2, using: &rng) }
        let x = Tensor(shape: [1, 2, side, side], scalars: [Float](repeating: 0, count: side * side) + logits)
        let loss = MalisLoss()
        let layer = try common.median { _ = try loss.evaluate(x, Target(labels: labels)) }
        print("Malis \(side)² (median of \(common.repetitions)): affinities + both passes \(milliseconds(counting)) "
              + "(loss \(String(format: "%.4g", pairs!.loss))); loss layer, logits → loss and gradient \(milliseconds(layer))")
    }
}
