import ArgumentParser
import Foundation
import PixelwiseIO
import PixelwiseCore

/// `pixelwise inspect FILE...`: one line per image file.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe image files: format, size, pages, channels, sample type, value range.")

    @Argument(help: "Image files (PNG, JPEG, TIFF, BMP), model files (.h5), HDF5 data files (lists their datasets), volumes (FILE.h5:/DATASET), zarr/N5 arrays (FILE.zarr/PATH, FILE.n5/PATH: shape, chunks, type, codec) or stores (lists their arrays).")
    var files: [String]

    @Flag(help: "Rewrite model files written without checksums (older Pixelwise, other tools) with them: same weights bit for bit, atomically in place.")
    var addChecksums = false

    func run() throws {
        var failed = 0
        for file in files {
            do {
                if addChecksums {
                    print(try addChecksums(to: file))
                } else if file.hasSuffix(".h5") || file.hasSuffix(".hdf5") {
                    print(try isModelFile(file) ? describeModel(file) : describeDatasets(file))
                } else if let store = try ChunkedStores.inspectDescription(path: file) {
                    print(store)
                } else {
                    print(try inspectDescription(path: file) + ((try ChunkedStores.hdf5Layout(path: file)).map { "; " + $0 } ?? ""))
                }
            } catch let error as PixelwiseError {
                FileHandle.standardError.write(Data("pixelwise: error: \(error.description)\n".utf8))
                failed += 1
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }

    /// Reads a model file (verifying what checksums it has) and writes it again with all of them.
    func addChecksums(to path: String) throws -> String {
        let model = try ModelFile.read(from: path)
        guard !model.withoutChecksum.isEmpty else { return "\(path): checksums already present and verified" }
        try model.write(to: path)
        let back = try ModelFile.read(from: path)
        guard back.withoutChecksum.isEmpty, back.architecture == model.architecture, back.parameters.count == model.parameters.count,
              back.buffers.count == model.buffers.count, back.optimizerStep == model.optimizerStep, back.trainerState == model.trainerState,
              zip(back.parameters + back.buffers, model.parameters + model.buffers).allSatisfy({
                  $0.name == $1.name && $0.value.scalars.map(\.bitPattern) == $1.value.scalars.map(\.bitPattern) }) else {
            throw PixelwiseError.file(path: path, problem: "rewritten with checksums, but reading it back gave other contents")
        }
        return "\(path): checksums added (\(model.withoutChecksum.count) datasets and texts; weights unchanged, bit for bit)"
    }

    /// Model files carry a "format" attribute on the root group; other HDF5 files hold data.
    func isModelFile(_ path: String) throws -> Bool {
        let file = try HDF5File(reading: path)
        defer { file.close() }
        return try file.stringAttribute("format") != nil
    }

    /// `data.h5: HDF5 data, 2 datasets: /volumes/raw [125,1250,1250], …` — what to name as FILE.h5:/DATASET.
    func describeDatasets(_ path: String) throws -> String {
        let file = try HDF5File(reading: path)
        defer { file.close() }
        let listed = try file.datasetPaths().map { "\($0) \(Shape(try file.shape(at: $0)))" }
        return "\(path): HDF5 data (not a model), \(listed.count) dataset\(listed.count == 1 ? "" : "s")"
            + (listed.isEmpty ? "" : ": " + listed.joined(separator: ", ") + "; segment or train on one as \(path):/DATASET")
    }

    func describeModel(_ path: String) throws -> String {
        let file = try readModelFile(path)
        let graph = try file.makeGraph(path: path)
        let count = graph.parameterCount
        let model = graph.metadata["model"] ?? "network"
        var text = "\(path): Pixelwise model \(model), \(graph.nodes.count) layers, \(count) parameters, \(graph.inputChannels) input channel(s)"
        if let step = file.optimizerStep { text += ", optimiser state at step \(step)" }
        if let sources = graph.metadata["averaged_from"] { text += ", weights averaged: \(sources)" }
        text += file.withoutChecksum.isEmpty ? ", checksums verified" : ", without checksums"
        return text
    }
}
