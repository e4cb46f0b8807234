import Foundation
import PixelwiseIO
import Testing
import PixelwiseTestSupport

/// `pixelwise train` end to end: the run folder, resume, signals and a diverging loss.
@Suite struct TrainCommandTests {
    @Test func tinyRunWritesEveryFile() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 2, width: 96, height: 80, into: scratch.file("data"))
        try SyntheticData.writePairs(count: 1, width: 72, height: 88, into: scratch.file("val"), seed: 9)
        let result = try CLI.run(tinyTraining(data: "data", out: "run", iterations: 6,
                                              ["--validate-images", "val/images", "--validate-labels", "val/labels", "--validate-every", "3"]),
                                 in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        #expect(try scratch.contents("run") == ["algorithms.json", "config.yaml", "last.h5", "log.csv", "model.h5", "report.html"])

        let header = try String(contentsOfFile: scratch.file("run/log.csv"), encoding: .utf8).split(separator: "\n").first
        #expect(header == "iteration,seconds,loss,learning_rate,val_pixel_error,val_rand_error,val_information_error,val_foreground_iou")
        let rows = try logRows(scratch.file("run/log.csv"))
        #expect(rows.map(\.iteration) == [1, 2, 3, 4, 5, 6])
        for row in rows {
            #expect(row.fields.count == 8)
            #expect(Float(row.fields[2]).map { $0.isFinite && $0 > 0 } == true, "loss of row \(row.fields)")
            // Validation every 3 iterations: values on rows 3 and 6 only, each a fraction.
            let validated = row.iteration % 3 == 0
            #expect(row.fields[4...].allSatisfy { $0.isEmpty } == !validated, "row \(row.fields)")
            if validated { #expect(row.fields[4...].allSatisfy { Double($0).map { (0...1).contains($0) } == true }) }
        }

        let config = try String(contentsOfFile: scratch.file("run/config.yaml"), encoding: .utf8)
        #expect(config.contains("iterations: 6") && config.contains("base_filters: 4") && config.contains("patch: 64"))

        let last = try ModelFile.read(from: scratch.file("run/last.h5"))
        #expect(last.optimizerStep == 6)
        #expect(last.trainerState?.contains("\"iteration\":6") == true)
        let model = try ModelFile.read(from: scratch.file("run/model.h5"))
        #expect(model.optimizerState == nil)
        let graph = try model.makeGraph(path: scratch.file("run/model.h5"))
        #expect(graph.inputChannels == 1 && graph.metadata["model"] == "unet")

        let html = try String(contentsOfFile: scratch.file("run/report.html"), encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("Training loss") && html.contains("Validation"))
        // Self-contained: images inline, nothing fetched over a network.
        #expect(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1 == 5, "raw, truth, prediction, probability, overlay of one image")
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("url(http"))
        #expect(result.stderrLines.last?.hasPrefix("finished at iteration 6") == true, "\(result.transcript)")
    }

    /// `--norm instance` builds the preset with instance norm (`enc1.norm1`, no batch norm), is
    /// recorded in config.yaml, and a resume asking for another norm is refused.
    @Test func normOptionTrainsAndIsRecorded() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 1, width: 96, height: 80, into: scratch.file("data"))
        let result = try CLI.run(tinyTraining(data: "data", out: "run", iterations: 3, ["--norm", "instance"]), in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        #expect(try String(contentsOfFile: scratch.file("run/config.yaml"), encoding: .utf8).contains("norm: instance"))
        let names = try ModelFile.read(from: scratch.file("run/model.h5")).parameters.map(\.name)
        #expect(names.contains("enc1.norm1.weight") && names.contains("dec1.norm2.bias") && !names.contains { $0.contains(".bn") })
        #expect(try logRows(scratch.file("run/log.csv")).allSatisfy { Float($0.fields[2]).map { $0.isFinite } == true })
        let resumed = try CLI.run(["train", "--resume", "run", "--iterations", "4", "--norm", "group"], in: scratch.path)
        #expect(resumed.status != 0 && resumed.stderr.contains("--norm group differs from the run's"), "\(resumed.transcript)")
        let bad = try CLI.run(tinyTraining(data: "data", out: "other", iterations: 1, ["--norm", "layer"]), in: scratch.path)
        #expect(bad.status != 0 && bad.stderr.contains("unknown --norm layer"), "\(bad.transcript)")
    }

    /// `--winograd` trains (its kernels are checked against the direct ones in WinogradTrainingTests)
    /// and is remembered in the run's configuration, so a resumed run keeps it.
    @Test func winogradTrainingRunsAndIsRecorded() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 1, width: 96, height: 80, into: scratch.file("data"))
        let result = try CLI.run(tinyTraining(data: "data", out: "run", iterations: 3, ["--winograd"]), in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        #expect(result.stderrLines.first?.contains(", Winograd; run folder run") == true, "\(result.transcript)")
        let config = try String(contentsOfFile: scratch.file("run/config.yaml"), encoding: .utf8)
        #expect(config.contains("winograd: true"))
        #expect(try logRows(scratch.file("run/log.csv")).allSatisfy { Float($0.fields[2]).map { $0.isFinite } == true })
    }

    /// The same slices as a CREMI-style HDF5 volume (raw and labels as [D,H,W] uint8 datasets)
    /// and as image folders train to the same weights, bit for bit; validation reads volumes too.
    @Test func hdf5VolumesTrainLikeImageFolders() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 2, width: 96, height: 80, into: scratch.file("data"))
        let raw = try (0..<2).map { try Image(contentsOf: scratch.file("data/images/img-\($0).png")) }
        let labels = try (0..<2).map { try Image(contentsOf: scratch.file("data/labels/img-\($0).png")) }
        let file = try HDF5File(creating: scratch.file("sample.h5"))
        try file.write(raw.flatMap { $0.pixels.map { UInt8($0) } }, shape: [2, 80, 96], at: "/volumes/raw")
        try file.write(labels.flatMap { $0.pixels.map { UInt8($0) } }, shape: [2, 80, 96], at: "/volumes/labels/membranes")
        file.close()

        let folders = try CLI.run(tinyTraining(data: "data", out: "folders", iterations: 4), in: scratch.path)
        #expect(folders.status == 0, "\(folders.transcript)")
        var arguments = tinyTraining(data: "data", out: "volume", iterations: 4,
                                     ["--validate-images", "sample.h5:/volumes/raw", "--validate-labels", "sample.h5:/volumes/labels/membranes",
                                      "--validate-every", "4"])
        arguments[arguments.firstIndex(of: "data/images")!] = "sample.h5:/volumes/raw"
        arguments[arguments.firstIndex(of: "data/labels")!] = "sample.h5:/volumes/labels/membranes"
        let volume = try CLI.run(arguments, in: scratch.path)
        #expect(volume.status == 0, "\(volume.transcript)")
        #expect(try weightBits(scratch.file("volume/last.h5")) == weightBits(scratch.file("folders/last.h5")))
        let validated = try logRows(scratch.file("volume/log.csv")).last!.fields
        #expect(Double(validated[4]).map { (0...1).contains($0) } == true, "validation pixel error in \(validated)")
    }

    /// Training 6 iterations and resuming to 10 gives exactly the weights of a straight 10-iteration
    /// run: batch order, optimiser moments and step, error-masking draws and dropout masks all continue.
    @Test(arguments: [
        ["--schedule", "constant", "--error-masking"],
        ["--model", "intel-unet", "--optimizer", "adamw", "--schedule", "constant", "--warmup", "3"],
    ])
    func resumeContinuesExactlyLikeAStraightRun(options: [String]) throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 2, width: 96, height: 80, into: scratch.file("data"))
        // Flags after the preset's: a later --model overrides the helper's unet.
        let first = try CLI.run(tinyTraining(data: "data", out: "a", iterations: 6, options), in: scratch.path)
        #expect(first.status == 0, "\(first.transcript)")
        let afterSix = try weightBits(scratch.file("a/last.h5"))

        let resumed = try CLI.run(["train", "--resume", "a", "--iterations", "10"], in: scratch.path)
        #expect(resumed.status == 0, "\(resumed.transcript)")
        let straight = try CLI.run(tinyTraining(data: "data", out: "b", iterations: 10, options), in: scratch.path)
        #expect(straight.status == 0, "\(straight.transcript)")

        let resumedRows = try logRows(scratch.file("a/log.csv")), straightRows = try logRows(scratch.file("b/log.csv"))
        #expect(resumedRows.map(\.iteration) == Array(1...10))
        // Same losses and learning rates, iteration by iteration (the seconds column differs).
        #expect(resumedRows.map { [$0.fields[2], $0.fields[3]] } == straightRows.map { [$0.fields[2], $0.fields[3]] })

        let final = try weightBits(scratch.file("a/last.h5"))
        #expect(final != afterSix, "resuming trained nothing")
        #expect(final == (try weightBits(scratch.file("b/last.h5"))), "resumed weights differ from the straight run")
        #expect(try ModelFile.read(from: scratch.file("a/last.h5")).optimizerStep == 10)
    }

    /// SIGINT (and SIGTERM) save a checkpoint and stop cleanly; resuming then finishes the run
    /// with the same weights as a run that was never interrupted.
    @Test(arguments: [SIGINT, SIGTERM])
    func signalSavesACheckpointAndResumeFinishesTheSameRun(signal: Int32) throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 2, width: 96, height: 80, into: scratch.file("data"))
        // Long enough that the signal comes mid-run on a fast, idle machine too: log.csv is saved
        // once a second, and 150 iterations of this tiny network took under a second on an idle
        // AVX-512 EPYC (the run ended before the test saw it under way).
        let total = 600
        let running = try CLI.start(tinyTraining(data: "data", out: "run", iterations: total), in: scratch.path)
        // Signal once some iterations are logged (or after 20 s, whichever comes first).
        let patience = Date().addingTimeInterval(20)
        while running.process.isRunning, Date() < patience, ((try? logRows(scratch.file("run/log.csv")).count) ?? 0) < 10 {
            usleep(10_000)
        }
        // The child's blocked and ignored signal masks, in case the signal is not heard.
        let masks = ((try? String(contentsOfFile: "/proc/\(running.process.processIdentifier)/status", encoding: .utf8)) ?? "")
            .split(separator: "\n").filter { $0.hasPrefix("SigBlk") || $0.hasPrefix("SigIgn") }.joined(separator: ", ")
        running.signal(signal)
        let stopped = try running.wait(timeout: 60)
        #expect(!stopped.signalled && stopped.status == 128 + signal, "\(masks)\n\(stopped.transcript)")
        #expect(stopped.stderrLines.last?.contains("checkpoint saved") == true, "\(stopped.transcript)")
        #expect(stopped.stderrLines.last?.contains("--resume run") == true, "\(stopped.transcript)")
        let state = try #require(try ModelFile.read(from: scratch.file("run/last.h5")).trainerState)
        let stoppedAt = try logRows(scratch.file("run/log.csv")).last?.iteration ?? -1
        #expect(state.contains("\"iteration\":\(stoppedAt)"), "checkpoint at the last logged iteration \(stoppedAt)")
        #expect((1..<total).contains(stoppedAt))
        #expect(scratch.exists("run/report.html"))

        let resumed = try CLI.run(["train", "--resume", "run"], in: scratch.path)
        #expect(resumed.status == 0, "\(resumed.transcript)")
        #expect(try logRows(scratch.file("run/log.csv")).map(\.iteration) == Array(1...total))
        let straight = try CLI.run(tinyTraining(data: "data", out: "straight", iterations: total), in: scratch.path)
        #expect(straight.status == 0, "\(straight.transcript)")
        #expect(try weightBits(scratch.file("run/last.h5")) == (try weightBits(scratch.file("straight/last.h5"))))
    }

    @Test func divergingLossStopsWithAClearMessage() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 2, width: 96, height: 80, into: scratch.file("data"))
        let result = try CLI.run(tinyTraining(data: "data", out: "run", iterations: 50, ["--lr", "1e30", "--optimizer", "sgd"]),
                                 in: scratch.path)
        #expect(result.status == 1, "\(result.transcript)")
        let last = try #require(result.stderrLines.last)
        #expect(last.hasPrefix("pixelwise: error: ") && last.contains("loss") && last.contains("--lr"), "\(result.transcript)")
        // Nothing worth keeping was written before the loss diverged: no half run folder.
        #expect(!scratch.exists("run"))
    }
}
