import CHDF5
import CHDF5Shim
import Foundation
import Testing
import PixelwiseCore
@testable import PixelwiseIO
import PixelwiseTestSupport

/// Files without metadata checksums are walked in a child process before libhdf5 reads them in
/// this one (`HDF5MetadataProbe`); damaged ones that crash libhdf5 are refused.
@Suite(.serialized) struct HDF5MetadataProbeTests {
    static let fuzzFolder = Bundle.module.path(forResource: "fuzz-regressions", ofType: nil, inDirectory: "Fixtures").map { $0 + "/hdf5" }

    /// A file in the original HDF5 format (superblock version 0, as h5py writes by default): a
    /// group with a string attribute and a 3×4 uint8 dataset with values 0…11.
    static func writeOriginalFormatFile(_ path: String) throws {
        try HDF5Library.locked {
            let file = H5Fcreate(path, pw_h5f_acc_trunc(), pw_h5p_default(), pw_h5p_default())
            try #require(file >= 0)
            defer { H5Fclose(file) }
            let group = H5Gcreate2(file, "/raw", pw_h5p_default(), pw_h5p_default(), pw_h5p_default())
            defer { H5Gclose(group) }
            var dims: [hsize_t] = [3, 4]
            let space = H5Screate_simple(2, &dims, nil)
            defer { H5Sclose(space) }
            let dataset = H5Dcreate2(group, "volume", pw_h5t_std_u8le(), space, pw_h5p_default(), pw_h5p_default(), pw_h5p_default())
            defer { H5Dclose(dataset) }
            let values = (0..<12).map { UInt8($0) }
            try #require(H5Dwrite(dataset, pw_h5t_native_uint8(), pw_h5s_all(), pw_h5s_all(), pw_h5p_default(), values) >= 0)
            // A variable-length UTF-8 string attribute, as h5py writes `attrs["note"] = "…"`.
            let type = H5Tcopy(pw_h5t_c_s1())
            defer { H5Tclose(type) }
            H5Tset_size(type, pw_h5t_variable())
            H5Tset_cset(type, H5T_CSET_UTF8)
            let scalar = H5Screate(H5S_SCALAR)
            defer { H5Sclose(scalar) }
            let attribute = H5Acreate2(group, "note", type, scalar, pw_h5p_default(), pw_h5p_default())
            defer { H5Aclose(attribute) }
            let status = "written in the original format".withCString { text in
                var pointer: UnsafePointer<CChar>? = text
                return H5Awrite(attribute, type, &pointer)
            }
            try #require(status >= 0)
        }
    }

    @Test func originalFormatFilesAreWalkedAndReadAsBefore() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("v0.h5")
        try Self.writeOriginalFormatFile(path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path))[8] == 0)
        #expect(!HDF5MetadataProbe.hasChecksummedMetadata(path))
        var detail: Int32 = -1
        #expect(HDF5Library.locked { pw_h5_probe(path, 1 << 20, 10, &detail) } == PW_H5_PROBE_CLEAN)
        #expect(HDF5MetadataProbe.problem(inFileAt: path) == nil)
        let file = try HDF5File(reading: path)
        #expect(try file.stringAttribute("note", at: "/raw") == "written in the original format")
        #expect(try file.readTensor(at: "/raw/volume").scalars == (0..<12).map(Float.init))
    }

    /// A volume read box by box opens its file once per box: it is walked once, and again
    /// only when the file changes. A file changed in the last 2 s is walked at every open.
    @Test func aFileIsWalkedOnceUntilItChanges() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("v0.h5")
        try Self.writeOriginalFormatFile(path)
        for _ in 0..<2 { _ = try HDF5File(reading: path) }
        #expect(HDF5Library.locked { HDF5MetadataProbe.walks[path] } == 2)
        Thread.sleep(forTimeInterval: 3.1)
        for _ in 0..<3 { _ = try HDF5File(reading: path).readTensor(at: "/raw/volume") }
        #expect(HDF5Library.locked { HDF5MetadataProbe.walks[path] } == 3)
        try Self.writeOriginalFormatFile(path)
        _ = try HDF5File(reading: path)
        #expect(HDF5Library.locked { HDF5MetadataProbe.walks[path] } == 4)
    }

    /// A fuzz-hdf5 input with a size grown to 4 GB: libhdf5 allocated and cleared 4 GB (three
    /// times, 15 s) before failing. The walk runs under a 2 GB limit, and the file is refused.
    @Test func aFileThatMakesLibHDF5AskForGigabytesIsRefused() throws {
        let path = try #require(Self.fuzzFolder) + "/allocates-4-gb.h5"
        var detail: Int32 = 0
        #expect(HDF5Library.locked { pw_h5_probe(path, 1 << 20, 10, &detail) } == PW_H5_PROBE_OUT_OF_MEMORY)
        #expect(detail == 2048)
        #expect(throws: PixelwiseError.file(path: path, problem: "damaged HDF5 file: libhdf5 asks for more than 2048 MB of memory to read its metadata (a damaged size)")) {
            try ModelFile.read(from: path)
        }
    }

    @Test func modelFilesHaveChecksummedMetadataAndAreNotWalked() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("model.h5")
        try ModelFileIntegrityTests.smallModel().write(to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path))[8] >= 2)
        #expect(HDF5MetadataProbe.hasChecksummedMetadata(path))
    }

    /// Fuzz-hdf5 inputs on which libhdf5 1.10.8 dies in this process: a variable-length string
    /// attribute pointing at a global heap object that does not exist (SIGSEGV in `H5HG_read`),
    /// and heap metadata that makes glibc abort ("malloc(): invalid size").
    @Test(arguments: ["vlen-string-heap-index.h5", "heap-corruption-abort.h5"])
    func filesThatCrashLibHDF5AreRefused(_ name: String) throws {
        let path = try #require(Self.fuzzFolder) + "/" + name
        var detail: Int32 = 0
        #expect(HDF5Library.locked { pw_h5_probe(path, 1 << 20, 10, &detail) } == PW_H5_PROBE_CRASHED)
        #expect([SIGSEGV, SIGABRT].contains(detail), "signal \(detail)")
        #expect(throws: PixelwiseError.file(path: path, problem: "damaged HDF5 file: libhdf5 crashes reading its metadata (signal \(detail), in a separate process that walks the file first)")) {
            try ModelFile.read(from: path)
        }
    }
}
