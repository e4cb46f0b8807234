import Foundation
import Testing
@testable import PixelwiseNN
import PixelwiseCore
import PixelwiseKernels

/// Throughput of a 64→64 3×3 "same" convolution on a 1×64×256×256 channels-last batch: forward,
/// backward-data and backward-weights, median of 5 runs after one warm-up, as 2·MACs / time.
/// Prints only (timings depend on the machine and its load); runs when PIXELWISE_BENCHMARK is set:
///
///     PIXELWISE_BENCHMARK=1 ONEDNN_VERBOSE=1 swift test -c release -Xswiftc -enable-testing \
///         --skip-build --filter ConvolutionBenchmark
@Suite struct ConvolutionBenchmark {
    static func median(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
        try body()  // warm-up: primitive creation, first-touch of memory
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[runs / 2]
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["PIXELWISE_BENCHMARK"] != nil))
    func convolution64x64On256() throws {
        let layer = try Convolution(inputChannels: 64, outputChannels: 64, kernelSize: 3, padding: .same)
        var g = SeededGenerator(seed: 1)
        layer.resetParameters(using: &g)
        let x = Tensor.random([1, 64, 256, 256], seed: 2).inLayout(.channelsLast)
        let geometry = layer.geometry(for: x.shape)
        var y = try layer.forward([x], mode: .training)
        let dy = Tensor.random(y.shape, seed: 3).inLayout(.channelsLast)
        let flops = 2.0 * Double(layer.multiplyAccumulates(inputs: [x.shape], output: y.shape))
        let forward = try Self.median(5) { y = try layer.forward([x], mode: .training) }
        let data = try Self.median(5) {
            _ = try ConvolutionKernel.backwardData(dy, weight: layer.weight.value, inputShape: x.shape, geometry: geometry, transposed: false)
        }
        let weights = try Self.median(5) {
            _ = try ConvolutionKernel.backwardWeights(dy, input: x, weightShape: layer.weight.shape, hasBias: true,
                                                      geometry: geometry, transposed: false)
        }
        func line(_ name: String, _ t: Double) -> String {
            "\(name): \(String(format: "%.2f", t * 1000)) ms, \(String(format: "%.0f", flops / t / 1e9)) GFLOP/s"
        }
        print("conv 64→64 3×3 on 1×64×256×256 NHWC (\(String(format: "%.2f", flops / 1e9)) GFLOP per pass, \(Threads.count) threads)")
        print(line("  forward         ", forward))
        print(line("  backward data   ", data))
        print(line("  backward weights", weights))
        #expect(y.shape == [1, 64, 256, 256])
    }
}
