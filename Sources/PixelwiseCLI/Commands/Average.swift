import ArgumentParser
import Foundation
import PixelwiseIO
import PixelwiseNN

/// `pixelwise average A.h5 B.h5 … --out C.h5`: the weighted average of models of one network.
struct Average: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Average the weights of models of one network (a fine-tune with its start, or several fine-tunes of one run).",
        discussion: """
            Every parameter and batch-norm statistic of OUT is Σ wᵢ · valueᵢ. Averaging a fine-tuned \
            model with the model it started from (WiSE-FT) often keeps most of what the fine-tune \
            gained at less cost elsewhere; score the result with `pixelwise evaluate`. The models \
            must share the network, input channels, normalisation and classes. OUT holds no \
            optimiser state and records its inputs and weights (`pixelwise inspect OUT`).
            """)

    @Argument(help: "Two or more model files (.h5) of one network.")
    var models: [String]

    @Option(parsing: .upToNextOption, help: "One weight per model, non-negative, summing to 1 (default: equal weights).")
    var weights: [Double] = []

    @Option(help: "The averaged model file to write (.h5), atomically.")
    var out: String

    func validate() throws {
        if models.count < 2 { throw ValidationError("give at least two model files to average") }
        if !weights.isEmpty && weights.count != models.count {
            throw ValidationError("\(models.count) models but \(weights.count) weights; give one weight per model")
        }
        if !(out.hasSuffix(".h5") || out.hasSuffix(".hdf5")) { throw ValidationError("--out must name a .h5 model file, got \(out)") }
    }

    func run() throws {
        let inputs = try models.map { (path: $0, model: try readModelFile($0)) }
        let w = weights.isEmpty ? [Double](repeating: 1 / Double(models.count), count: models.count) : weights
        let averaged = try ModelFile.weightedAverage(of: inputs, weights: w)
        try averaged.write(to: out)
        let count = averaged.parameters.reduce(0) { $0 + $1.value.count }
        let recorded = try Architecture(jsonText: averaged.architecture).metadata["averaged_from"] ?? ""
        print("\(out): \(recorded) (\(count) parameters, \(averaged.buffers.count) buffers)")
    }
}
