import Foundation
import PixelwiseIO
import PixelwiseModels
import Testing
import PixelwiseTestSupport

/// Issue 21: damaged model files are errors, files without checksums load with a warning, and a
/// full disk or a file-size limit while writing loses nothing.
@Suite struct IntegrityTests {
    /// Runs `pixelwise arguments…` under `ulimit -f blocks` (1 KiB blocks, bash's unit): a write
    /// past the limit fails with EFBIG (the CLI ignores SIGXFSZ), as on a full disk.
    static func runWithFileSizeLimit(kibibytes: Int, _ arguments: [String], in folder: String) throws -> CLI.Result {
        try CLI.start(arguments, in: folder, launcher: ["/bin/bash", "-c", "ulimit -f \(kibibytes) && exec \"$0\" \"$@\""]).wait(timeout: 300)
    }

    static func errorLines(_ result: CLI.Result) -> [String] { result.stderrLines.filter { $0.hasPrefix("pixelwise: error: ") } }

    static func smallModel(_ path: String) throws {
        try ModelFile(graph: try ModelZoo.preset(named: "unet").makeGraph(PresetOptions(baseFilters: 4))).write(to: path)
    }

    @Test func aFlippedWeightByteIsAnErrorNamingTheDataset() throws {
        let scratch = try ScratchFolder()
        try Self.smallModel(scratch.file("model.h5"))
        try SyntheticData.labels(width: 32, height: 32, seed: 1).write(to: scratch.file("in.png"))
        let file = try HDF5File(reading: scratch.file("model.h5"))
        let dataset = try file.datasetPaths(under: "/params").first!
        let chunk = try file.storageRanges(at: dataset)[0]
        file.close()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: scratch.file("model.h5")))
        bytes[chunk.lowerBound + chunk.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: scratch.file("model.h5")))

        for arguments in [["segment", "--model", "model.h5", "in.png", "--out", "out"], ["inspect", "model.h5"]] {
            let result = try CLI.run(arguments, in: scratch.path)
            #expect(result.status == 1 && !result.signalled, "\(result.transcript)")
            #expect(result.stderrLines == ["pixelwise: error: model.h5: dataset \(dataset) fails its Fletcher-32 checksum: the file is damaged"],
                    "\(result.transcript)")
            #expect(!scratch.exists("out"))
        }
    }

    /// A model written without checksums (an older Pixelwise, or h5py) segments as before, with
    /// one warning line; `inspect --add-checksums` adds them without changing a weight.
    @Test func aModelWithoutChecksumsLoadsWithAWarning() throws {
        let scratch = try ScratchFolder()
        let model = try ModelFile(graph: try ModelZoo.preset(named: "unet").makeGraph(PresetOptions(baseFilters: 4)))
        let old = try HDF5File(creating: scratch.file("old.h5"))
        try old.setAttribute("format", ModelFile.format)
        try old.setAttribute("version", ModelFile.version)
        try old.setAttribute("architecture", model.architecture)
        try old.createGroup("/params")
        for (name, value) in model.parameters { try old.write(value, at: ModelFile.datasetPath(group: "params", name: name)) }
        for (name, value) in model.buffers { try old.write(value, at: ModelFile.datasetPath(group: "buffers", name: name)) }
        old.close()
        try SyntheticData.labels(width: 32, height: 32, seed: 1).write(to: scratch.file("in.png"))

        let result = try CLI.run(["segment", "--model", "old.h5", "in.png", "--out", "out"], in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        #expect(result.stderrLines.filter { $0.contains("warning") } == [
            "pixelwise: warning: old.h5 carries no checksums (written by an older Pixelwise or another tool): damage to it cannot be detected; `pixelwise inspect --add-checksums FILE` adds them",
        ], "\(result.transcript)")
        #expect(scratch.exists("out/in.png"))

        let before = try weightBits(scratch.file("old.h5"))
        let added = try CLI.run(["inspect", "--add-checksums", "old.h5"], in: scratch.path)
        #expect(added.status == 0 && added.stderr.isEmpty, "\(added.transcript)")
        #expect(try ModelFile.read(from: scratch.file("old.h5")).withoutChecksum.isEmpty)
        #expect(try weightBits(scratch.file("old.h5")) == before)
        let again = try CLI.run(["segment", "--model", "old.h5", "in.png", "--out", "out"], in: scratch.path)
        #expect(again.status == 0 && !again.stderr.contains("warning"), "\(again.transcript)")
    }

    /// A checkpoint that hits the file-size limit: one error line naming last.h5, the previous
    /// checkpoint intact, no temporary file; `--resume` then finishes the run exactly as a run
    /// that never failed.
    @Test func aCheckpointPastTheSizeLimitLosesNothing() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 2, width: 96, height: 80, into: scratch.file("data"))
        // A constant schedule: the default one depends on the planned iteration count.
        let first = try CLI.run(tinyTraining(data: "data", out: "a", iterations: 4, ["--schedule", "constant"]), in: scratch.path)
        #expect(first.status == 0, "\(first.transcript)")
        let checkpoint = try Data(contentsOf: URL(fileURLWithPath: scratch.file("a/last.h5")))
        let log = try String(contentsOfFile: scratch.file("a/log.csv"), encoding: .utf8)
        #expect(checkpoint.count > 200 * 1024)

        // 64 KiB: config.yaml and log.csv fit, the checkpoint does not.
        let failed = try Self.runWithFileSizeLimit(kibibytes: 64, ["train", "--resume", "a", "--iterations", "8", "--checkpoint-every", "2"], in: scratch.path)
        #expect(failed.status == 1 && !failed.signalled, "\(failed.transcript)")
        #expect(Self.errorLines(failed).count == 1 && failed.stderrLines.last == Self.errorLines(failed).first, "\(failed.transcript)")
        #expect(Self.errorLines(failed).first?.hasPrefix("pixelwise: error: a/last.h5: ") == true, "\(failed.transcript)")
        #expect(Self.errorLines(failed).first?.contains("file too large") == true, "\(failed.transcript)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file("a/last.h5"))) == checkpoint)
        #expect(try String(contentsOfFile: scratch.file("a/log.csv"), encoding: .utf8) == log)
        let left = try scratch.contents("a")
        #expect(!left.contains { $0.hasPrefix(".") }, "\(left)")

        let resumed = try CLI.run(["train", "--resume", "a", "--iterations", "8"], in: scratch.path)
        #expect(resumed.status == 0, "\(resumed.transcript)")
        let straight = try CLI.run(tinyTraining(data: "data", out: "b", iterations: 8, ["--schedule", "constant"]), in: scratch.path)
        #expect(straight.status == 0, "\(straight.transcript)")
        #expect(try logRows(scratch.file("a/log.csv")).map(\.iteration) == Array(1...8))
        #expect(try weightBits(scratch.file("a/last.h5")) == weightBits(scratch.file("b/last.h5")))
    }

    /// Segmentations (PNG) and float maps (TIFF) past the limit: one error line naming the
    /// output, the file that was there before untouched, nothing left behind.
    @Test(arguments: [("out/big.png", ["--probabilities"], 2), ("out/big.tif", ["--float"], 16)])
    func anOutputPastTheSizeLimitKeepsTheOldFile(_ output: String, _ flags: [String], _ kibibytes: Int) throws {
        let scratch = try ScratchFolder()
        try Self.smallModel(scratch.file("model.h5"))
        var rng = SystemRandomNumberGenerator()
        try Image(width: 256, height: 256, channels: 1, sampleType: .uint8, pixels: (0..<65536).map { _ in Float(UInt8.random(in: 0...255, using: &rng)) })
            .write(to: scratch.file("big.png"))
        try scratch.makeFolder("out")
        let old = Data("the previous result\n".utf8)
        try old.write(to: URL(fileURLWithPath: scratch.file(output)))
        let result = try Self.runWithFileSizeLimit(kibibytes: kibibytes, ["segment", "--model", "model.h5", "big.png", "--out", "out"] + flags,
                                                   in: scratch.path)
        #expect(result.status == 1 && !result.signalled, "\(result.transcript)")
        #expect(Self.errorLines(result).count == 1 && Self.errorLines(result)[0].hasPrefix("pixelwise: error: \(output): "), "\(result.transcript)")
        #expect(Self.errorLines(result).first?.contains("file too large") == true, "\(result.transcript)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file(output))) == old)
        let left = try scratch.contents("out")
        #expect(left == [String(output.dropFirst(4))], "\(left)")
    }

    /// Waits until `path` exists (or `seconds` pass); true if it appeared.
    static func waitFor(_ path: String, seconds: Double = 120) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !FileManager.default.fileExists(atPath: path) && Date() < deadline { usleep(50_000) }
        return FileManager.default.fileExists(atPath: path)
    }

    /// Two `train --out run` started together: exactly one trains, the other is refused with one
    /// line (by the lock, or by the first one's log.csv if it came later), and the folder holds
    /// one complete run.
    @Test func concurrentTrainsOnOneFolder() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 2, width: 96, height: 80, into: scratch.file("data"))
        let runs = try (0..<2).map { _ in try CLI.start(tinyTraining(data: "data", out: "run", iterations: 3), in: scratch.path) }
        let results = try runs.map { try $0.wait(timeout: 300) }
        #expect(results.filter { $0.status == 0 }.count == 1, "\(results.map(\.transcript))")
        for refused in results where refused.status != 0 {
            #expect(refused.status == 1 && !refused.signalled, "\(refused.transcript)")
            let errors = Self.errorLines(refused)
            #expect(errors.count == 1 && errors[0].hasPrefix("pixelwise: error: run: ")
                    && (errors[0].contains("another training run (process ") || errors[0].contains("already holds a training run")), "\(refused.transcript)")
        }
        #expect(try logRows(scratch.file("run/log.csv")).map(\.iteration) == [1, 2, 3])
        #expect(try ModelFile.read(from: scratch.file("run/last.h5")).optimizerStep == 3)
        #expect(try scratch.contents("run") == ["algorithms.json", "config.yaml", "last.h5", "log.csv", "model.h5", "report.html"])
    }

    /// `--resume` on a folder a run is writing into is refused with one line naming the folder
    /// and the first run's process, and writes nothing; the first run goes on, and once it
    /// stopped, leaves no lock file and can be resumed.
    @Test func resumingAFolderInUseIsRefused() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 2, width: 96, height: 80, into: scratch.file("data"))
        let first = try CLI.start(tinyTraining(data: "data", out: "run", iterations: 100_000, ["--checkpoint-every", "1"]), in: scratch.path)
        defer { if first.process.isRunning { first.signal(SIGKILL) } }
        #expect(Self.waitFor(scratch.file("run/last.h5")), "\(first.stderrSoFar)")
        let pid = first.process.processIdentifier
        let before = try Data(contentsOf: URL(fileURLWithPath: scratch.file("run/config.yaml")))

        // (A second `--out run` now meets run/log.csv and is refused before it gets to the lock;
        // `concurrentTrainsOnOneFolder` starts both at once.)
        do {
            let result = try CLI.run(["train", "--resume", "run", "--iterations", "7"], in: scratch.path)
            #expect(result.status == 1 && !result.signalled, "\(result.transcript)")
            let errors = Self.errorLines(result)
            #expect(errors.count == 1 && errors[0].hasPrefix("pixelwise: error: run: another training run (process \(pid) on "), "\(result.transcript)")
            #expect(errors.first?.hasSuffix("is writing into this folder; wait for it to finish or choose another folder") == true, "\(result.transcript)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file("run/config.yaml"))) == before)

        first.signal(SIGINT)
        let ended = try first.wait(timeout: 120)
        #expect(ended.status == 128 + SIGINT, "\(ended.transcript)")
        #expect(!scratch.exists("run/.pixelwise.lock"))
        let after = try CLI.run(["train", "--resume", "run", "--iterations", String(try logRows(scratch.file("run/log.csv")).count + 2)], in: scratch.path)
        #expect(after.status == 0, "\(after.transcript)")
    }

    /// A run killed with SIGKILL leaves its lock file; the next `--resume` sees that its holder is
    /// gone, takes it over (one note), and continues from the last checkpoint.
    @Test func aLockLeftByAKilledRunIsTakenOver() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 2, width: 96, height: 80, into: scratch.file("data"))
        let first = try CLI.start(tinyTraining(data: "data", out: "run", iterations: 100_000, ["--checkpoint-every", "1"]), in: scratch.path)
        #expect(Self.waitFor(scratch.file("run/last.h5")), "\(first.stderrSoFar)")
        let pid = first.process.processIdentifier
        first.signal(SIGKILL)
        _ = try first.wait(timeout: 60)
        #expect(scratch.exists("run/.pixelwise.lock"))

        let step = try #require(try ModelFile.read(from: scratch.file("run/last.h5")).optimizerStep)
        let resumed = try CLI.run(["train", "--resume", "run", "--iterations", String(step + 2)], in: scratch.path)
        #expect(resumed.status == 0, "\(resumed.transcript)")
        #expect(resumed.stderrLines.filter { $0.hasPrefix("pixelwise: note: run was locked by process \(pid) on ") }.count == 1, "\(resumed.transcript)")
        #expect(try ModelFile.read(from: scratch.file("run/last.h5")).optimizerStep == step + 2)
        #expect(!scratch.exists("run/.pixelwise.lock"))
    }
}

