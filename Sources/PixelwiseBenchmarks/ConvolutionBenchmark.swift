import ArgumentParser
import Foundation
import PixelwiseCore
import PixelwiseKernels
import PixelwiseNN

/// A 64→64 3×3 "same" convolution on a 1×64×256×256 channels-last batch: forward, backward-data
/// and backward-weights, as 2·MACs / time. With ONEDNN_VERBOSE=1 oneDNN names the kernels it picked.
struct ConvolutionBenchmark: BenchmarkCommand {
    static let configuration = CommandConfiguration(commandName: "convolution",
                                                    abstract: "Time a 64→64 3×3 convolution's three training passes on 256².")
    @OptionGroup var common: Common
    @Option(help: "Input and output channels.")
    var channels: Int = 64
    @Option(help: "Square input size in pixels.")
    var size: Int = 256

    func run() throws {
        common.apply()
        let layer = try Convolution(inputChannels: channels, outputChannels: channels, kernelSize: 3, padding: .same)
        var g = SeededGenerator(seed: 1)
        layer.resetParameters(using: &g)
        let x = Tensor.random([1, channels, size, size], seed: 2).inLayout(.channelsLast)
        let geometry = ConvolutionGeometry(stride: [1, 1], dilation: [1, 1], paddingLow: [1, 1], paddingHigh: [1, 1])
        var y = try layer.forward([x], mode: .training)
        let dy = Tensor.random(y.shape, seed: 3).inLayout(.channelsLast)
        let flops = 2.0 * Double(layer.multiplyAccumulates(inputs: [x.shape], output: y.shape))
        let forward = try common.median { y = try layer.forward([x], mode: .training) }
        let data = try common.median {
            _ = try ConvolutionKernel.backwardData(dy, weight: layer.weight.value, inputShape: x.shape, geometry: geometry, transposed: false)
        }
        let weights = try common.median {
            _ = try ConvolutionKernel.backwardWeights(dy, input: x, weightShape: layer.weight.shape, hasBias: true,
                                                      geometry: geometry, transposed: false)
        }
        func line(_ name: String, _ t: Double) -> String { "  \(name)\(milliseconds(t)), \(String(format: "%.0f", flops / t / 1e9)) GFLOP/s" }
        print("conv \(channels)→\(channels) 3×3 on 1×\(channels)×\(size)×\(size) NHWC (\(String(format: "%.2f", flops / 1e9)) GFLOP per pass, "
              + "\(Threads.count) threads, median of \(common.repetitions))")
        print(line("forward          ", forward))
        print(line("backward data    ", data))
        print(line("backward weights ", weights))
    }
}
