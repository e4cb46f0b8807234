import ArgumentParser
import Foundation
import PixelwiseModels

/// The `pixelwise` command: train, segment, evaluate and benchmark pixelwise classifiers.
@main
struct Pixelwise: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pixelwise",
        abstract: "Train U-Nets and their relatives and segment images of any size, pixel by pixel.",
        version: "0.1.0",
        subcommands: [Train.self, Segment.self, Evaluate.self, Bench.self, Models.self, Inspect.self])

    /// Runs the command; library errors become one line on stderr and exit code 1.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as PixelwiseError {
            FileHandle.standardError.write(Data("pixelwise: error: \(error.description)\n".utf8))
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

/// Flags every compute-heavy command shares.
struct ComputeOptions: ParsableArguments {
    @Option(help: "Threads for oneDNN and Pixelwise's own loops (default: all cores).")
    var threads: Int?

    func apply() {
        if let threads { Threads.set(threads) }
    }
}
