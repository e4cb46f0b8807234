import ArgumentParser
import Foundation
import PixelwiseKernels

/// `pixelwise-benchmarks`: timings of single components — a convolution's three passes, the
/// distance-aware loss next to a U-Net step, augmentation, Malis, the evaluation measures — kept
/// out of the unit suite (tests assert values, never times). Whole-model speed and memory are
/// `pixelwise bench`. Figures and their history: docs/performance.md.
///
///     swift run -c release pixelwise-benchmarks            # everything, with the default sizes
///     swift run -c release pixelwise-benchmarks convolution --threads 2
@main
struct Benchmarks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pixelwise-benchmarks",
        abstract: "Time Pixelwise's components (whole models: `pixelwise bench`).",
        subcommands: [All.self, ConvolutionBenchmark.self, DistanceAwareLossBenchmark.self, AugmentationBenchmark.self,
                      MalisBenchmark.self, MeasuresBenchmark.self, ChunkedStoreBenchmark.self],
        defaultSubcommand: All.self)
}

/// A benchmark subcommand: its own options plus `Common`.
protocol BenchmarkCommand: ParsableCommand {
    var common: Common { get set }
}

/// Options every benchmark takes.
struct Common: ParsableArguments {
    @Option(help: "Threads for oneDNN and Pixelwise's own loops (default: all cores).")
    var threads: Int?
    @Option(help: "Timed repetitions after one warm-up run; the median is reported.")
    var repetitions: Int = 5

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if repetitions < 1 { throw ValidationError("--repetitions must be at least 1, got \(repetitions)") }
    }

    func apply() { if let threads { Threads.set(threads) } }

    /// Median seconds of `repetitions` runs of `body` after one warm-up run (primitive creation, first touch of memory).
    func median(_ body: () throws -> Void) rethrows -> Double {
        try body()
        var times: [Double] = []
        for _ in 0..<repetitions { times.append(try seconds(body)) }
        return times.sorted()[repetitions / 2]
    }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func milliseconds(_ s: Double) -> String { String(format: "%.2f ms", s * 1000) }

/// Every benchmark with its default sizes.
struct All: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run every benchmark with its default sizes.")
    @OptionGroup var common: Common

    func run() throws {
        let all: [any BenchmarkCommand.Type] = [ConvolutionBenchmark.self, DistanceAwareLossBenchmark.self, AugmentationBenchmark.self,
                                                MalisBenchmark.self, MeasuresBenchmark.self, ChunkedStoreBenchmark.self]
        for type in all {
            // Each with its own defaults (parsed from no arguments), then the shared options.
            var benchmark = try type.parse([])
            benchmark.common = common
            try benchmark.run()
        }
    }
}
