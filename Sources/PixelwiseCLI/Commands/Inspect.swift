import ArgumentParser
import Foundation
import PixelwiseIO

/// `pixelwise inspect FILE...`: one line per image file.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe image files: format, size, pages, channels, sample type, value range.")

    @Argument(help: "Image files (PNG, JPEG, TIFF, BMP) or model files (.h5).")
    var files: [String]

    func run() throws {
        var failed = 0
        for file in files {
            do {
                if file.hasSuffix(".h5") || file.hasSuffix(".hdf5") {
                    print(try describeModel(file))
                } else {
                    print(try inspectDescription(path: file))
                }
            } catch let error as PixelwiseError {
                FileHandle.standardError.write(Data("pixelwise: error: \(error.description)\n".utf8))
                failed += 1
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }

    func describeModel(_ path: String) throws -> String {
        let file = try ModelFile.read(from: path)
        let graph = try file.makeGraph(path: path)
        let count = graph.parameterCount
        let model = graph.metadata["model"] ?? "network"
        var text = "\(path): Pixelwise model \(model), \(graph.nodes.count) layers, \(count) parameters, \(graph.inputChannels) input channel(s)"
        if let step = file.optimizerStep { text += ", optimiser state at step \(step)" }
        return text
    }
}
