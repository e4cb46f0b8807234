import ArgumentParser
import Foundation
import PixelwiseModels
import PixelwiseWorkflow
import PixelwiseCore
import PixelwiseKernels
import PixelwiseNN

/// The `pixelwise` command: train, segment, evaluate and benchmark pixelwise classifiers.
@main
struct Pixelwise: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pixelwise",
        abstract: "Train U-Nets and their relatives and segment images of any size, pixel by pixel.",
        version: "0.1.0",
        subcommands: [Train.self, Segment.self, Evaluate.self, Bench.self, Models.self, Inspect.self, Average.self])

    /// Runs the command. Library errors become one line on stderr, `pixelwise: error: …`, and
    /// exit code 1; usage errors get the same prefix followed by the parser's usage hint, exit 64.
    static func main() {
        // A write past the file-size limit (`ulimit -f`) must fail with EFBIG, which the atomic
        // writer reports in one line keeping the old file, instead of SIGXFSZ killing the process.
        signal(SIGXFSZ, SIG_IGN)
        OpenMPWaitPolicy.applyByReexecutingIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as PixelwiseError {
            FileHandle.standardError.write(Data("pixelwise: error: \(error.description)\n".utf8))
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            guard code != .success, !(error is ExitCode) else { exit(withError: error) }
            var message = fullMessage(for: error)
            if message.hasPrefix("Error: ") { message = "pixelwise: error: " + message.dropFirst("Error: ".count) }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(code.rawValue)
        }
    }
}

/// Flags every compute-heavy command shares.
struct ComputeOptions: ParsableArguments {
    @Option(help: "Threads for oneDNN and Pixelwise's own loops (default: all cores).")
    var threads: Int?
    @Flag(help: "Force Winograd F(4×4, 3×3) on fp32 3×3 convolutions with ≥ 32 channels (with bench --train, all three training passes). The default already picks it per layer and pass where it measures faster.")
    var winograd = false
    @Flag(help: "oneDNN's direct convolution kernels everywhere (the values PyTorch gives), instead of the default: per layer and pass the fastest algorithm within 1e-4 of the direct convolution's output range, measured once per machine and cached.")
    var exact = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if exact && winograd { throw ValidationError("--exact and --winograd contradict each other; give one") }
    }

    func apply() {
        if let threads { Threads.set(threads) }
    }

    var algorithm: ConvolutionAlgorithm { exact ? .exact : ConvolutionAlgorithm(winograd: winograd) }

    /// Sets the convolution algorithm of a network about to run.
    func configure(_ graph: Graph) { algorithm.configure(graph) }
}
