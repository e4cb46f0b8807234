import Foundation
import Testing
import PixelwiseCore
@testable import PixelwiseIO
import PixelwiseTestSupport

@Suite(.serialized) struct HDF5FileTests {
    @Test func tensorRoundTripKeepsShapeAndValues() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("t.h5")
        let tensor = Tensor.random([2, 3, 4, 5], seed: 11)
        let file = try HDF5File(creating: path)
        try file.write(tensor, at: "/a/b/c")
        try file.write(tensor.inLayout(.channelsLast), at: "nhwc")
        file.close()

        let reader = try HDF5File(reading: path)
        #expect(try reader.shape(at: "/a/b/c") == [2, 3, 4, 5])
        #expect(reader.exists("/a") && reader.exists("/a/b") && reader.exists("a/b/c"))
        #expect(!reader.exists("/a/x") && !reader.exists("/x/y/z"))
        let back = try reader.readTensor(at: "/a/b/c")
        #expect(back.shape == [2, 3, 4, 5])
        #expect(bits(back.scalars) == bits(tensor.scalars))
        // A channels-last tensor is stored in row-major (NCHW) order.
        #expect(bits(try reader.readTensor(at: "/nhwc").scalars) == bits(tensor.scalars))
        #expect(try reader.datasetPaths() == ["/a/b/c", "/nhwc"])
        #expect(try reader.datasetPaths(under: "/a") == ["/a/b/c"])
    }

    @Test func integerDatasetsReadAsFloatTensors() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("ints.h5")
        let file = try HDF5File(creating: path)
        try file.write([Int64(-3), 0, 7, 1 << 20, -(1 << 20), 42], shape: [2, 3], at: "/ints")
        try file.write([UInt8(0), 128, 255], shape: [3], at: "/bytes")
        try file.write([Double(0.5), -1.25], shape: [2], at: "/doubles")
        file.close()

        let reader = try HDF5File(reading: path)
        let ints = try reader.readTensor(at: "/ints")
        #expect(ints.shape == [2, 3])
        #expect(ints.scalars == [-3, 0, 7, 1_048_576, -1_048_576, 42])
        #expect(try reader.readTensor(at: "/bytes").scalars == [0, 128, 255])
        #expect(try reader.readTensor(at: "/doubles").scalars == [0.5, -1.25])
    }

    @Test func uint64ValuesRoundTripExactly() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("rng.h5")
        let state: [UInt64] = [0, 1, .max, 0x9E37_79B9_7F4A_7C15]
        let file = try HDF5File(creating: path)
        try file.write(state, at: "/trainer/rng")
        try file.write([Float(1.5)], shape: [1], at: "/float")
        file.close()
        let reader = try HDF5File(reading: path)
        #expect(try reader.readUInt64s(at: "/trainer/rng") == state)
        #expect(try reader.shape(at: "/trainer/rng") == [4])
        #expect(throws: PixelwiseError.file(path: path, problem: "dataset /float holds floats, expected integers")) {
            try reader.readUInt64s(at: "/float")
        }
    }

    @Test func stringAttributesVariableAndFixedLength() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("attrs.h5")
        let json = #"{"name":"U-Net","filters":[64,128],"note":"µm → Å"}"#
        let file = try HDF5File(creating: path)
        try file.setAttribute("architecture", json)
        try file.setAttribute("architecture", "replaced " + json)  // replaces, not duplicates
        try file.setAttribute("state", "{}", at: "/trainer")          // creates the group
        try file.writeStringAttribute("fixed", "ascii ✓", at: "/trainer", fixedLength: true)
        try file.setAttribute("empty", "", at: "/")
        try file.write(Tensor.random([3], seed: 1), at: "/w")
        try file.setAttribute("unit", "µm", at: "/w")
        file.close()

        let reader = try HDF5File(reading: path)
        #expect(try reader.stringAttribute("architecture") == "replaced " + json)
        #expect(try reader.stringAttribute("state", at: "/trainer") == "{}")
        #expect(try reader.stringAttribute("fixed", at: "/trainer") == "ascii ✓")
        #expect(try reader.stringAttribute("empty") == "")
        #expect(try reader.stringAttribute("unit", at: "/w") == "µm")
        #expect(try reader.stringAttribute("missing") == nil)
        #expect(throws: PixelwiseError.file(path: path, problem: "no group or dataset /nowhere")) {
            try reader.stringAttribute("x", at: "/nowhere")
        }
    }

    @Test func misuseGivesOneLineErrors() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("m.h5")
        let file = try HDF5File(creating: path)
        try file.write(Tensor.random([2], seed: 1), at: "/params/enc")
        #expect(throws: PixelwiseError.file(path: path, problem: "cannot create dataset /params/enc/weight: /params/enc is a dataset, not a group")) {
            try file.write(Tensor.random([2], seed: 2), at: "/params/enc/weight")
        }
        #expect(throws: PixelwiseError.file(path: path, problem: "cannot write dataset /params: a group is there")) {
            try file.write(Tensor.random([2], seed: 2), at: "/params")
        }
        #expect(throws: PixelwiseError.file(path: path, problem: "3 values do not fill shape [2,2] for /x")) {
            try file.write([Float(1), 2, 3], shape: [2, 2], at: "/x")
        }
        file.close()
        #expect(throws: PixelwiseError.file(path: path, problem: "file is closed")) { try file.readTensor(at: "/params/enc") }

        let reader = try HDF5File(reading: path)
        #expect(throws: PixelwiseError.file(path: path, problem: "no dataset /params/enc1/conv1/weight")) {
            try reader.readTensor(at: "/params/enc1/conv1/weight")
        }
        #expect(throws: PixelwiseError.file(path: path, problem: "/params is a group, not a dataset")) {
            try reader.readTensor(at: "/params")
        }
        #expect(throws: PixelwiseError.file(path: path, problem: "opened for reading, cannot write")) {
            try reader.write([UInt64(1)], at: "/y")
        }
        #expect(throws: PixelwiseError.file(path: path, problem: "no group /nothing")) { try reader.datasetPaths(under: "/nothing") }
    }

    @Test func openingBadPathsFailsClearly() throws {
        let scratch = try ScratchFolder()
        let missing = scratch.file("none.h5")
        #expect(throws: PixelwiseError.file(path: missing, problem: "no such file")) { try HDF5File(reading: missing) }
        let inMissingFolder = scratch.file("no/such/folder/m.h5")
        #expect(throws: PixelwiseError.file(path: inMissingFolder, problem: "cannot create: folder \(scratch.path)/no/such/folder does not exist")) {
            try HDF5File(creating: inMissingFolder)
        }
        #expect(throws: PixelwiseError.file(path: scratch.path, problem: "is a folder, not an HDF5 file")) {
            try HDF5File(reading: scratch.path)
        }
    }

    /// Files used from many threads at once must each read back what that thread wrote. The global
    /// lock serialises the calls; on an HDF5 build without its own thread-safety (Debian 12's has
    /// it) running this without the lock corrupts the library's state.
    @Test func concurrentUseFromManyThreads() throws {
        let scratch = try ScratchFolder()
        let failures = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            do {
                let path = scratch.file("thread-\(worker).h5")
                let tensor = Tensor.random([4, 16, 16], seed: UInt64(worker))
                for round in 0..<10 {
                    let file = try HDF5File(creating: path)
                    try file.write(tensor, at: "/w/\(round)")
                    try file.setAttribute("worker", "\(worker)")
                    file.close()
                    let reader = try HDF5File(reading: path)
                    if try reader.readTensor(at: "/w/\(round)").scalars != tensor.scalars
                        || reader.stringAttribute("worker") != "\(worker)" { failures.add() }
                }
            } catch { failures.add() }
        }
        #expect(failures.value == 0)
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
