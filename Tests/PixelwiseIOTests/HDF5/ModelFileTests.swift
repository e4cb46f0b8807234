import Foundation
import Testing
import PixelwiseCore
@testable import PixelwiseIO
import PixelwiseTestSupport

@Suite(.serialized) struct ModelFileTests {
    /// Floats that trip up careless code: signed zeros, denormals, extremes, infinities, NaNs with
    /// payloads, and random bit patterns.
    static func awkwardTensor(_ shape: Shape, seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        let specials: [Float] = [-0.0, 0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                                 Float(bitPattern: 0x007F_FFFF), .greatestFiniteMagnitude,
                                 -.greatestFiniteMagnitude, .infinity, -.infinity, 1e38, -3.4e-38,
                                 Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFF80_0001)]
        let values = (0..<shape.count).map { i in
            i < specials.count ? specials[i] : Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
        }
        return Tensor(shape: shape, scalars: values)
    }

    static func sampleModel() -> ModelFile {
        let parameters: [(name: String, value: Tensor)] = [
            ("enc1.conv1.weight", awkwardTensor([8, 1, 3, 3], seed: 1)),
            ("enc1.conv1.bias", awkwardTensor([8], seed: 2)),
            ("enc1.bn1.weight", awkwardTensor([8], seed: 3)),
            ("dec.0.up.weight", awkwardTensor([8, 4, 2, 2], seed: 4)),
            ("head.weight", awkwardTensor([2, 4, 1, 1, 1], seed: 5)),
        ]
        return ModelFile(
            architecture: #"{"model":"unet","depth":2,"filters":8}"#,
            parameters: parameters,
            buffers: [("enc1.bn1.running_mean", awkwardTensor([8], seed: 6)),
                      ("enc1.bn1.running_var", awkwardTensor([8], seed: 7))],
            optimizerState: [("enc1.conv1.weight.m", awkwardTensor([8, 1, 3, 3], seed: 8)),
                             ("enc1.conv1.weight.v", awkwardTensor([8, 1, 3, 3], seed: 9)),
                             ("head.weight.m", awkwardTensor([2, 4, 1, 1, 1], seed: 10))],
            optimizerDescription: #"{"kind":"adam","lr":0.001,"betas":[0.9,0.999]}"#,
            optimizerStep: 12345,
            trainerState: #"{"iteration":12345,"best":0.91}"#,
            rngState: [0xDEAD_BEEF, 0, .max, 42])
    }

    static func expectSame(_ a: [(name: String, value: Tensor)]?, _ b: [(name: String, value: Tensor)]?) {
        #expect(a?.map(\.name) == b?.map(\.name))
        for (x, y) in zip(a ?? [], b ?? []) {
            #expect(x.value.shape == y.value.shape, "\(x.name)")
            #expect(bits(x.value.scalars) == bits(y.value.scalars), "\(x.name)")
        }
    }

    static func sortedByName(_ list: [(name: String, value: Tensor)]) -> [(name: String, value: Tensor)] {
        list.sorted { $0.name < $1.name }
    }

    @Test func roundTripIsBitExact() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("model.h5")
        let model = Self.sampleModel()
        try model.write(to: path)
        let back = try ModelFile.read(from: path)

        #expect(back.architecture == model.architecture)
        Self.expectSame(back.parameters, Self.sortedByName(model.parameters))
        Self.expectSame(back.buffers, Self.sortedByName(model.buffers))
        Self.expectSame(back.optimizerState, model.optimizerState.map(Self.sortedByName))
        #expect(back.optimizerDescription == model.optimizerDescription)
        #expect(back.optimizerStep == 12345)
        #expect(back.trainerState == model.trainerState)
        #expect(back.rngState == [0xDEAD_BEEF, 0, .max, 42])
        #expect(try scratch.contents() == ["model.h5"])  // no temporary left behind
    }

    @Test func datasetPathsAreExactlyAsDocumented() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("model.h5")
        try Self.sampleModel().write(to: path)
        let file = try HDF5File(reading: path)
        #expect(try file.datasetPaths() == [
            "/buffers/enc1/bn1/running_mean",
            "/buffers/enc1/bn1/running_var",
            "/optimizer/enc1/conv1/weight/m",
            "/optimizer/enc1/conv1/weight/v",
            "/optimizer/head/weight/m",
            "/optimizer/step",
            "/params/dec/0/up/weight",
            "/params/enc1/bn1/weight",
            "/params/enc1/conv1/bias",
            "/params/enc1/conv1/weight",
            "/params/head/weight",
            "/trainer/rng",
        ])
        #expect(try file.stringAttribute("format") == "pixelwise-model")
        #expect(try file.stringAttribute("version") == "1")
        #expect(try file.stringAttribute("optimizer", at: "/optimizer")?.contains("adam") == true)
        #expect(try file.stringAttribute("state", at: "/trainer") == #"{"iteration":12345,"best":0.91}"#)
        #expect(try file.shape(at: "/params/enc1/conv1/weight") == [8, 1, 3, 3])
        #expect(try file.shape(at: "/optimizer/step") == [1])  // not a scalar: scalars cannot carry a checksum
        #expect(try file.integerLayout(at: "/optimizer/step")! == (8, true))
    }

    @Test func weightsOnlyModelHasNoTrainingState() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("weights.h5")
        try ModelFile(architecture: "{}", parameters: [("w", Tensor.random([3], seed: 1))]).write(to: path)
        let back = try ModelFile.read(from: path)
        #expect(back.parameters.map(\.name) == ["w"])
        #expect(back.buffers.isEmpty)
        #expect(back.optimizerState == nil && back.optimizerStep == nil && back.optimizerDescription == nil)
        #expect(back.trainerState == nil && back.rngState == nil)
        // A model without parameters still has the /params group.
        try ModelFile(architecture: "{}", parameters: []).write(to: path)
        #expect(try ModelFile.read(from: path).parameters.isEmpty)
    }

    @Test func failedWriteLeavesOldFileAndNoTemporaries() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("model.h5")
        let good = Self.sampleModel()
        try good.write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        // Fails half-way: "enc" is written as a dataset, then "enc.weight" needs /params/enc to be a group.
        var clash = good
        clash.parameters = [("enc", Tensor.random([4], seed: 1)), ("enc.weight", Tensor.random([4], seed: 2))]
        #expect(throws: PixelwiseError.file(path: path, problem: "cannot create dataset /params/enc/weight: /params/enc is a dataset, not a group")) {
            try clash.write(to: path)
        }
        // Fails before writing: bad names.
        clash.parameters = [("enc..weight", Tensor.random([4], seed: 1))]
        #expect(throws: PixelwiseError.file(path: path, problem: "parameter name \"enc..weight\" is not a dotted path like enc1.conv1.weight")) {
            try clash.write(to: path)
        }
        clash.parameters = [("a", Tensor.random([1], seed: 1)), ("a", Tensor.random([1], seed: 2))]
        #expect(throws: PixelwiseError.file(path: path, problem: "parameter a appears twice")) { try clash.write(to: path) }

        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        Self.expectSame(try ModelFile.read(from: path).parameters, Self.sortedByName(good.parameters))
        #expect(try scratch.contents() == ["model.h5"])

        // Fails at the last step: the rename onto a non-empty folder.
        let folder = scratch.file("taken")
        try FileManager.default.createDirectory(atPath: folder + "/inside", withIntermediateDirectories: true)
        #expect(throws: PixelwiseError.self) { try good.write(to: folder) }
        #expect(try scratch.contents() == ["model.h5", "taken"])

        // Fails at the start: the folder does not exist.
        let nowhere = scratch.file("missing/model.h5")
        #expect(throws: PixelwiseError.file(path: nowhere, problem: "the folder \(scratch.path)/missing does not exist")) {
            try good.write(to: nowhere)
        }
        #expect(try scratch.contents() == ["model.h5", "taken"])
    }

    @Test func overwritingReplacesTheWholeFile() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("model.h5")
        try Self.sampleModel().write(to: path)
        try ModelFile(architecture: "{\"v\":2}", parameters: [("only", Tensor(shape: [1], scalars: [7]))]).write(to: path)
        let back = try ModelFile.read(from: path)
        #expect(back.architecture == "{\"v\":2}")
        #expect(back.parameters.map(\.name) == ["only"] && back.parameters[0].value.scalars == [7])
        #expect(back.optimizerState == nil)
    }

    @Test func nonHDF5AndTruncatedFilesGiveErrors() throws {
        let scratch = try ScratchFolder()
        let text = scratch.file("m.h5")
        try Data("just some text, not HDF5\n".utf8).write(to: URL(fileURLWithPath: text))
        #expect(throws: PixelwiseError.file(path: text, problem: "not an HDF5 file")) { try ModelFile.read(from: text) }
        let empty = scratch.file("empty.h5")
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        #expect(throws: PixelwiseError.file(path: empty, problem: "not an HDF5 file")) { try ModelFile.read(from: empty) }

        let full = scratch.file("full.h5")
        try Self.sampleModel().write(to: full)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: full))
        for keep in [4, 8, 100, 1000, bytes.count / 2, bytes.count - 1] {
            let cut = scratch.file("cut-\(keep).h5")
            try bytes.prefix(keep).write(to: URL(fileURLWithPath: cut))
            let problem = keep < 8 ? "not an HDF5 file" : "cannot open: damaged or truncated HDF5 file (or locked by another writer)"
            #expect(throws: PixelwiseError.file(path: cut, problem: problem), "truncated to \(keep) bytes") {
                try ModelFile.read(from: cut)
            }
        }
    }

    @Test func otherHDF5FilesAreNotModels() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("other.h5")
        func make(_ attributes: [(String, String)]) throws {
            let file = try HDF5File(creating: path)
            for (name, value) in attributes { try file.setAttribute(name, value) }
            file.close()
        }
        try make([])
        #expect(throws: PixelwiseError.file(path: path, problem: "not a Pixelwise model (no attribute \"format\" on /)")) {
            try ModelFile.read(from: path)
        }
        try make([("format", "keras")])
        #expect(throws: PixelwiseError.file(path: path, problem: "not a Pixelwise model (format is \"keras\", expected \"pixelwise-model\")")) {
            try ModelFile.read(from: path)
        }
        try make([("format", "pixelwise-model"), ("version", "2")])
        #expect(throws: PixelwiseError.file(path: path, problem: "model file version 2 is not supported (this Pixelwise reads version 1)")) {
            try ModelFile.read(from: path)
        }
        try make([("format", "pixelwise-model"), ("version", "1")])
        #expect(throws: PixelwiseError.file(path: path, problem: "missing attribute \"architecture\" on /")) {
            try ModelFile.read(from: path)
        }
        try make([("format", "pixelwise-model"), ("version", "1"), ("architecture", "{}")])
        #expect(throws: PixelwiseError.file(path: path, problem: "no group /params")) { try ModelFile.read(from: path) }
    }
}
