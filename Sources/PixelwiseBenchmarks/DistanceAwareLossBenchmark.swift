import ArgumentParser
import Foundation
import PixelwiseCore
import PixelwiseNN
import PixelwiseKernels

/// What the distance-aware loss costs next to one U-Net training step (issue 4's budget: under
/// 10 % of a step; MagmaDNN dropped the loss because its distance search dominated training).
///
/// The U-Net: same padding, double 3×3 convolutions + ReLU, 2×2 max pooling, 2×2 transposed
/// convolutions, concatenation, 1×1 classifier. The default is narrow (16 base filters, about 1/16
/// of Ronneberger's work); `--base-filters 64` is Ronneberger's size.
struct DistanceAwareLossBenchmark: BenchmarkCommand {
    static let configuration = CommandConfiguration(commandName: "distance-aware-loss",
                                                    abstract: "Time the distance-aware loss against a U-Net training step.")
    @OptionGroup var common: Common
    @Option(help: "U-Net depth (pooling steps).")
    var depth: Int = 4
    @Option(help: "Base filter count (64: Ronneberger's size).")
    var baseFilters: Int = 16
    @Option(help: "Square patch size in pixels.")
    var size: Int = 256

    func validate() throws {
        guard depth >= 1, baseFilters >= 1, size >= 1, size % (1 << depth) == 0 else {
            throw ValidationError("--depth, --base-filters and --size must be positive, and --size divisible by 2^depth")
        }
    }

    func unet() throws -> Graph {
        let g = Graph(inputChannels: 1)
        var x = g.input, channels = 1
        var skips: [Graph.Value] = []
        func block(_ name: String, _ from: Int, _ to: Int) throws {
            x = try g.add("\(name).conv1", Convolution(inputChannels: from, outputChannels: to, kernelSize: 3, padding: .same), x)
            x = try g.add("\(name).relu1", ReLU(), x)
            x = try g.add("\(name).conv2", Convolution(inputChannels: to, outputChannels: to, kernelSize: 3, padding: .same), x)
            x = try g.add("\(name).relu2", ReLU(), x)
        }
        for level in 0...depth {
            if level > 0 { x = try g.add("pool\(level)", MaxPooling(kernelSize: 2), x) }
            try block("enc\(level + 1)", channels, baseFilters << level)
            channels = baseFilters << level
            if level < depth { skips.append(x) }
        }
        for level in stride(from: depth - 1, through: 0, by: -1) {
            let out = baseFilters << level
            x = try g.add("up\(level + 1)", TransposedConvolution(inputChannels: channels, outputChannels: out, kernelSize: 2, stride: 2), x)
            x = try g.add("merge\(level + 1)", Concatenation(), x, skips[level])
            try block("dec\(level + 1)", 2 * out, out)
            channels = out
        }
        try g.add("classifier", Convolution(inputChannels: channels, outputChannels: 2, kernelSize: 1), x)
        g.resetParameters(seed: 1)
        return g
    }

    func run() throws {
        common.apply()
        let graph = try unet()
        let input = Tensor.random([1, 1, size, size], seed: 3)
        // Labels: a few discs of foreground (cells), the rest background.
        var labels = [Int32](repeating: 0, count: size * size)
        for (cx, cy, r) in [(40, 50, 12), (150, 90, 20), (200, 210, 9), (90, 190, 15)] {
            for y in 0..<size { for x in 0..<size where (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r { labels[y * size + x] = 1 } }
        }
        let target = Target(labels: labels)
        var loss = DistanceAwareCrossEntropy(sigma: 5, alpha: 2, beta: 4)
        var optimizer = Adam(learningRate: 1e-4)
        let step = try common.median {
            graph.zeroGradients()
            let out = try graph.forward(input, mode: .training)
            let (_, gradient) = try loss.evaluate(out, target)
            try graph.backward(gradient)
            graph.releaseActivations()
            optimizer.update(graph.parameters)
        }
        let output = try graph.forward(input, mode: .inference)
        let cold = try common.median {
            var fresh = DistanceAwareCrossEntropy(sigma: 5, alpha: 2, beta: 4)
            _ = try fresh.evaluate(output, target)
        }
        let warm = try common.median { _ = try loss.evaluate(output, target) }
        print("distance-aware loss, U-Net depth \(depth), \(baseFilters) filters, \(size)² (\(Threads.count) threads, median of \(common.repetitions)): "
              + "training step \(milliseconds(step)); loss \(milliseconds(cold)) with the distance transform "
              + String(format: "(%.2f %% of a step), ", 100 * cold / step) + "\(milliseconds(warm)) from the cache "
              + String(format: "(%.2f %%)", 100 * warm / step))
    }
}
