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
        case "chunked":
            // ChunkedFuzzing turns its input file into a store folder: give it a copy, and hold
            // its errors to naming the copy.
            let scratch = try ScratchFolder()
            let copy = scratch.file("input.store")
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            do { try ChunkedFuzzing.read(copy) } catch let error as PixelwiseError {
                #expect(!error.description.contains("\n") && error.description.contains(copy), "\(error)")
            }
        default: Issue.record("no reader for fuzz target \(target)")
        }
    }

    @Test func thereAreRegressionInputs() {
        #expect(Self.inputs.contains("hdf5/global-heap-object-size.h5"), "\(Self.inputs)")
        #expect(Self.inputs.contains("tiff/claims-536-megapixels.tif"), "\(Self.inputs)")
        #expect(Self.inputs.contains("jpeg/claims-116-megapixels.jpg"), "\(Self.inputs)")
        #expect(Self.inputs.contains("chunked/n5-varlength-dims-overflow"), "\(Self.inputs)")
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

    /// A few hundred bytes claiming half a billion pixels are refused before the raster is allocated.
    @Test func aTIFFClaimingMorePixelsThanItStoresIsRefused() throws {
        let path = try #require(Self.folder) + "/tiff/claims-536-megapixels.tif"
        #expect(throws: PixelwiseError.self) { try ImageStack(path: path).readAll() }
        do { _ = try ImageStack(path: path).readAll() } catch let error as PixelwiseError {
            #expect(error.description.contains("compressed pixel data cannot hold") || error.description.contains("pixel data cut short"), "\(error)")
        }
    }

    /// Tiny JPEGs claiming millions of pixels are refused before the raster is allocated.
    @Test(arguments: ["jpeg/claims-16-megapixels.jpg", "jpeg/claims-116-megapixels.jpg"])
    func aJPEGClaimingMorePixelsThanItCanStoreIsRefused(_ input: String) throws {
        let path = try #require(Self.folder) + "/" + input
        #expect(throws: PixelwiseError.self) { try JPEGCodec.read(path: path) }
        do { _ = try JPEGCodec.read(path: path) } catch let error as PixelwiseError {
            #expect(error.description.contains("cannot be stored in"), "\(error)")
        }
    }
}
