import Foundation
import Testing
import PixelwiseTestSupport
import PixelwiseCore
@testable import PixelwiseIO

/// Model files carry checksums that reading verifies: damage is an error, never other weights.
@Suite(.serialized) struct ModelFileIntegrityTests {
    @Test func sha256MatchesTheStandardVectors() {
        // FIPS 180-2 appendix B and the empty message.
        #expect(SHA256.hex("".utf8) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc".utf8) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Lengths around the padding boundary (55, 56, 64 bytes), against sha256sum.
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 55)) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 56)) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 64)) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    @Test func lookup3MatchesJenkinsVectors() {
        // From lookup3.c's self-test: hashlittle("", 0) and hashlittle("Four score…", 0).
        #expect(Lookup3.hash([]) == 0xdead_beef)
        #expect(Lookup3.hash(Array("Four score and seven years ago".utf8)) == 0x1777_0551)
        #expect(Lookup3.hash(Array("Four score and seven years ago".utf8), initialValue: 1) == 0xcd62_8161)
    }

    @Test func everyDatasetAndTextIsChecksummed() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("model.h5")
        let model = ModelFileTests.sampleModel()
        try model.write(to: path)
        let file = try HDF5File(reading: path)
        defer { file.close() }
        for dataset in try file.datasetPaths() {
            #expect(try file.isChecksummed(at: dataset), "\(dataset)")
        }
        #expect(try file.stringAttribute("architecture_sha256") == SHA256.hex(model.architecture.utf8))
        #expect(try file.stringAttribute("optimizer_sha256", at: "/optimizer") == SHA256.hex(model.optimizerDescription!.utf8))
        #expect(try file.stringAttribute("state_sha256", at: "/trainer") == SHA256.hex(model.trainerState!.utf8))
        let back = try ModelFile.read(from: path)
        #expect(back.withoutChecksum.isEmpty)
        #expect(back.integrityWarning(path: path) == nil)
    }

    @Test func chunksAreWholeDatasetsUpToFourMebibytes() {
        #expect(HDF5File.chunkDims([64, 32, 3, 3], elementSize: 4) == [64, 32, 3, 3])
        #expect(HDF5File.chunkDims([1024, 1024, 3, 3], elementSize: 4) == [64, 1024, 3, 3])  // 36 MiB → 4.5 MiB at 128 → halve once more
        #expect(HDF5File.chunkDims([1, 1, 4096, 4096], elementSize: 4) == [1, 1, 256, 4096])
        #expect(HDF5File.chunkDims([0, 5], elementSize: 4) == [1, 5])
    }

    /// A small checkpoint: every kind of dataset and text a model file holds.
    static func smallModel() -> ModelFile {
        ModelFile(architecture: #"{"model":"tiny","filters":4}"#,
                  parameters: [("conv.weight", Tensor.random([4, 1, 3, 3], seed: 1)), ("conv.bias", Tensor.random([4], seed: 2))],
                  buffers: [("bn.running_mean", Tensor.random([4], seed: 3))],
                  optimizerState: [("conv.weight.m", Tensor.random([4, 1, 3, 3], seed: 4))],
                  optimizerDescription: #"{"kind":"adam"}"#, optimizerStep: 7,
                  trainerState: #"{"iteration":7}"#, rngState: [1, 2, 3, 4])
    }

    static func same(_ a: ModelFile, _ b: ModelFile) -> Bool {
        func equal(_ x: [(name: String, value: Tensor)]?, _ y: [(name: String, value: Tensor)]?) -> Bool {
            guard let x, let y else { return x == nil && y == nil }
            return x.map(\.name) == y.map(\.name) && zip(x, y).allSatisfy {
                $0.value.shape == $1.value.shape && bits($0.value.scalars) == bits($1.value.scalars)
            }
        }
        return a.architecture == b.architecture && equal(a.parameters, b.parameters) && equal(a.buffers, b.buffers)
            && equal(a.optimizerState, b.optimizerState) && a.optimizerDescription == b.optimizerDescription
            && a.optimizerStep == b.optimizerStep && a.trainerState == b.trainerState && a.rngState == b.rngState
    }

    /// Every byte of the file flipped in turn: a flip inside a dataset's stored values is an
    /// error naming that dataset; a flip anywhere else is an error or changes nothing that is
    /// read. Never a model with different numbers or text.
    @Test func everyFlippedByteIsAnErrorOrHarmless() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("model.h5")
        try Self.smallModel().write(to: path)
        let original = try ModelFile.read(from: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))

        var owner: [Int: String] = [:]  // byte offset → dataset whose stored values hold it
        let file = try HDF5File(reading: path)
        for dataset in try file.datasetPaths() {
            for range in try file.storageRanges(at: dataset) { for offset in range { owner[offset] = dataset } }
        }
        file.close()
        #expect(owner.count >= (36 + 4 + 4 + 36 + 1 * 2 + 4 * 2) * 4)  // every value, plus a 4-byte checksum per chunk

        let damaged = scratch.file("damaged.h5")
        var silentlyDifferent: [Int] = [], unnamed: [Int] = [], harmless = 0
        // Every byte of stored values, every third byte elsewhere (the whole file takes minutes).
        let offsets = bytes.indices.filter { owner[$0] != nil || $0 % 3 == 0 }
        for offset in offsets {
            var copy = bytes
            copy[offset] ^= 0xFF
            try Data(copy).write(to: URL(fileURLWithPath: damaged))
            do {
                let back = try ModelFile.read(from: damaged)
                if !Self.same(back, original) { silentlyDifferent.append(offset) }
                if owner[offset] != nil { unnamed.append(offset) } else { harmless += 1 }
            } catch let error as PixelwiseError {
                guard case let .file(errorPath, problem) = error, errorPath == damaged, !problem.contains("\n") else {
                    Issue.record("offset \(offset): \(error)")
                    continue
                }
                if let dataset = owner[offset], !problem.contains("dataset \(dataset) fails its Fletcher-32 checksum") {
                    unnamed.append(offset)
                }
            }
        }
        #expect(silentlyDifferent.isEmpty, "flips read as a different model at offsets \(silentlyDifferent)")
        #expect(unnamed.isEmpty, "flips in stored values not reported as a checksum error naming the dataset: \(unnamed.prefix(20))")
        print("flipped \(offsets.count) of \(bytes.count) bytes: \(offsets.count - harmless) errors, \(harmless) harmless, \(silentlyDifferent.count) silent changes")
    }

    /// A file without checksums (written before them, or by h5py without `fletcher32=True`)
    /// still loads, and says so.
    @Test func filesWithoutChecksumsLoadWithAWarning() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("old.h5")
        let file = try HDF5File(creating: path)
        try file.setAttribute("format", "pixelwise-model")
        try file.setAttribute("version", "1")
        try file.setAttribute("architecture", "{}")
        try file.write(Tensor.random([2, 3], seed: 1), at: "/params/w")
        try file.write([Int64(3)], shape: [], at: "/optimizer/step")
        try file.flushAndClose()

        let model = try ModelFile.read(from: path)
        #expect(model.parameters.map(\.name) == ["w"] && model.optimizerStep == 3)
        #expect(model.withoutChecksum == ["attribute architecture on /", "/params/w", "/optimizer/step", "attribute contents on /"])
        #expect(model.integrityWarning(path: path)
            == "\(path) carries no checksums (written by an older Pixelwise or another tool): damage to it cannot be detected; `pixelwise inspect --add-checksums FILE` adds them")

        // Saving it again adds them.
        try model.write(to: path)
        #expect(try ModelFile.read(from: path).withoutChecksum.isEmpty)
    }

    @Test func aWrongDigestIsAnError() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("edited.h5")
        let file = try HDF5File(creating: path)
        try file.setAttribute("format", "pixelwise-model")
        try file.setAttribute("version", "1")
        try file.setAttribute("architecture", #"{"filters":64}"#)
        try file.setAttribute("architecture_sha256", SHA256.hex(#"{"filters":32}"#.utf8))
        try file.createGroup("/params")
        try file.flushAndClose()
        #expect(throws: PixelwiseError.file(path: path, problem: "attribute architecture on / does not match its SHA-256 digest (architecture_sha256): the file is damaged")) {
            try ModelFile.read(from: path)
        }
    }

    /// The shipped models (models/*.h5, the five-class ssTEM models too) carry checksums, and a flipped byte in any of their weight
    /// datasets is reported, naming the dataset: for every chunk of every dataset, its first and
    /// last bytes, its 4 checksum bytes and 10 bytes spread between (flipped in place one at a
    /// time, then restored).
    @Test(arguments: ["em-membranes-isbi", "em-membranes-sstem", "em-membranes-sstem-malis", "em-sstem-5class", "em-sstem-5class-malis", "em-sstem-5class-averaged"])
    func shippedModelsReportFlippedWeightBytes(_ name: String) throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models/\(name).h5").path
        let original = try ModelFile.read(from: shipped)
        #expect(original.withoutChecksum.isEmpty, "\(name) was shipped without checksums")

        let scratch = try ScratchFolder()
        let path = scratch.file("\(name).h5")
        try FileManager.default.copyItem(atPath: shipped, toPath: path)
        var targets: [(dataset: String, offsets: [Int])] = []
        let file = try HDF5File(reading: path)
        for dataset in try file.datasetPaths() {
            for chunk in try file.storageRanges(at: dataset) {
                let n = chunk.count
                let spread = (0..<10).map { chunk.lowerBound + 1 + $0 * (n - 6) / 10 }
                targets.append((dataset, [chunk.lowerBound, chunk.upperBound - 5] + (chunk.upperBound - 4..<chunk.upperBound) + spread))
            }
        }
        file.close()
        #expect(targets.count == original.parameters.count + original.buffers.count)

        let descriptor = open(path, O_RDWR)
        defer { close(descriptor) }
        var flips = 0
        for (dataset, offsets) in targets {
            for offset in Set(offsets) {
                var byte: UInt8 = 0
                #expect(pread(descriptor, &byte, 1, off_t(offset)) == 1)
                var flipped = byte ^ 0xFF
                #expect(pwrite(descriptor, &flipped, 1, off_t(offset)) == 1)
                let reader = try HDF5File(reading: path)
                #expect(throws: PixelwiseError.file(path: path, problem: "dataset \(dataset) fails its Fletcher-32 checksum: the file is damaged"),
                        "\(name): byte \(offset) of \(dataset)") {
                    _ = try reader.readTensor(at: dataset)
                }
                reader.close()
                #expect(pwrite(descriptor, &byte, 1, off_t(offset)) == 1)
                flips += 1
            }
        }
        #expect(Self.same(try ModelFile.read(from: path), original))
        print("\(name): \(flips) flipped bytes in \(targets.count) weight datasets, every one reported")
    }
}
