import Foundation
import Testing
import PixelwiseTestSupport
import PixelwiseCore
@testable import PixelwiseIO

/// Replays Fixtures/fuzz-regressions/TARGET/*: inputs that once crashed a reader. Each goes
/// through the reader its fuzz target (Fuzz/Sources/fuzz-TARGET) calls, and must give a result
/// or a one-line `PixelwiseError` naming the file.
@Suite struct FuzzRegressionTests {
    static let folder = Bundle.module.path(forResource: "fuzz-regressions", ofType: nil, inDirectory: "Fixtures")

    static var inputs: [String] {
        guard let folder else { return [] }
        let found = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
        return found.filter { $0.contains("/") && !$0.hasSuffix(".md") }.sorted()
    }

    static func read(_ path: String, as target: String) throws {
        switch target {
        case "png": _ = try PNGCodec.read(path: path)
        case "jpeg": _ = try JPEGCodec.read(path: path)
        case "bmp": _ = try BMPCodec.read(path: path)
        case "tiff": _ = try ImageStack(path: path).readAll()
        case "hdf5":
            do {
                _ = try ModelFile.read(from: path).makeGraph(path: path)
            } catch is PixelwiseError {
                let file = try HDF5File(reading: path)
                defer { file.close() }
                for dataset in try file.datasetPaths() {
                    _ = try? file.readTensor(at: dataset)
                    _ = try? HDF5Volume.read(path: path, dataset: dataset)
                }
            }
        default: Issue.record("no reader for fuzz target \(target)")
        }
    }

    @Test func thereAreRegressionInputs() {
        #expect(Self.inputs.contains("hdf5/global-heap-object-size.h5"), "\(Self.inputs)")
    }

    @Test(arguments: inputs)
    func regressionInputGivesAResultOrAOneLineError(_ input: String) throws {
        let path = try #require(Self.folder) + "/" + input
        let target = String(input.split(separator: "/")[0])
        do {
            try Self.read(path, as: target)
        } catch let error as PixelwiseError {
            #expect(!error.description.contains("\n") && error.description.contains(path), "\(error)")
        }
    }

    /// The one that crashed libhdf5 is refused before libhdf5 reads the heap.
    @Test func aGlobalHeapObjectPastItsCollectionIsRefused() throws {
        let path = try #require(Self.folder) + "/hdf5/global-heap-object-size.h5"
        #expect(throws: PixelwiseError.file(path: path, problem: "damaged HDF5 file: global heap object 1 at byte 2064 runs past its collection")) {
            try ModelFile.read(from: path)
        }
    }
}
