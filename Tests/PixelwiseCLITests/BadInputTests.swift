import Foundation
import PixelwiseIO
import PixelwiseModels
import Testing
import PixelwiseTestSupport

/// The spec's reliability list: every bad input gets exactly one line on stderr,
/// `pixelwise: error: <file>: <problem>`, a non-zero exit, and no output left behind.
@Suite struct BadInputTests {
    /// One bad-input scenario: prepares a scratch folder, then runs `arguments` in it.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        /// The path the error line must name (relative to the scratch folder, as given on the command line).
        var names: String
        /// Words the problem description must contain.
        var mentions: [String]
        /// Outputs that must not exist afterwards.
        var noOutput: [String]
        var arguments: [String]
        var prepare: @Sendable (ScratchFolder) throws -> Void
        var testDescription: String { name }
    }

    static func goodData(_ scratch: ScratchFolder) throws {
        try SyntheticData.writePairs(count: 2, width: 64, height: 64, into: scratch.file("data"))
    }

    static func train(_ extra: [String] = []) -> [String] {
        tinyTraining(data: "data", out: "run", iterations: 3) + extra
    }

    static func truncate(_ path: String, to fraction: Double) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(Int(Double(data.count) * fraction)).write(to: URL(fileURLWithPath: path))
    }

    static let cases: [Case] = [
        Case(name: "label value outside --classes", names: "data/labels/img-0.png", mentions: ["label value 255", "has no class in the label map"],
             noOutput: ["run"], arguments: train(["--classes", "background=0 other=128"])) { s in
            try goodData(s)
        },
        Case(name: "truncated raw PNG", names: "data/images/img-1.png", mentions: ["truncated"], noOutput: ["run"],
             arguments: train()) { s in
            try goodData(s)
            try truncate(s.file("data/images/img-1.png"), to: 0.5)
        },
        Case(name: "label size differs from raw", names: "data/images/img-1.png", mentions: ["data/labels/img-1.png", "64×64", "40×64"], noOutput: ["run"],
             arguments: train()) { s in
            try goodData(s)
            try SyntheticData.labels(width: 40, height: 64, seed: 1).write(to: s.file("data/labels/img-1.png"))
        },
        Case(name: "RGB label image", names: "data/labels/img-0.png", mentions: ["3 channels", "expected 1"], noOutput: ["run"],
             arguments: train()) { s in
            try goodData(s)
            let grey = SyntheticData.labels(width: 64, height: 64, seed: 1)
            try Image(width: 64, height: 64, channels: 3, sampleType: .uint8, pixels: grey.pixels.flatMap { [$0, $0, $0] })
                .write(to: s.file("data/labels/img-0.png"))
        },
        Case(name: "unknown configuration key", names: "bad.yaml", mentions: ["unknown key", "learning_rate"], noOutput: ["run"],
             arguments: ["train", "--config", "bad.yaml", "--out", "run"]) { s in
            try goodData(s)
            try "images: data/images\nlabels: data/labels\nlearning_rate: 0.1\n".write(toFile: s.file("bad.yaml"), atomically: true, encoding: .utf8)
        },
        Case(name: "missing image folder", names: "nowhere/images", mentions: ["no such"], noOutput: ["run"],
             arguments: ["train", "--images", "nowhere/images", "--labels", "data/labels", "--out", "run"]) { s in try goodData(s) },
        Case(name: "missing label folder", names: "nowhere/labels", mentions: ["missing"], noOutput: ["run"],
             arguments: ["train", "--images", "data/images", "--labels", "nowhere/labels", "--out", "run"]) { s in try goodData(s) },
        Case(name: "resume without a checkpoint", names: "empty/last.h5", mentions: [], noOutput: ["empty/config.yaml", "empty/log.csv"],
             arguments: ["train", "--resume", "empty"]) { s in try s.makeFolder("empty") },
        Case(name: "model file of another architecture", names: "mixed.h5", mentions: ["does not fit", "expected"], noOutput: ["out"],
             arguments: ["segment", "--model", "mixed.h5", "in.png", "--out", "out"]) { s in
            // unet's architecture with the weights of an 8-filter unet.
            let four = try ModelZoo.preset(named: "unet").makeGraph(PresetOptions(baseFilters: 4))
            let eight = try ModelZoo.preset(named: "unet").makeGraph(PresetOptions(baseFilters: 8))
            var mixed = try ModelFile(graph: four)
            let other = try ModelFile(graph: eight)
            mixed.parameters = other.parameters
            mixed.buffers = other.buffers
            try mixed.write(to: s.file("mixed.h5"))
            try SyntheticData.labels(width: 32, height: 32, seed: 1).write(to: s.file("in.png"))
        },
        Case(name: "truncated model file", names: "model.h5", mentions: [], noOutput: ["out"],
             arguments: ["segment", "--model", "model.h5", "in.png", "--out", "out"]) { s in
            try ModelFile(graph: try ModelZoo.preset(named: "unet").makeGraph(PresetOptions(baseFilters: 4))).write(to: s.file("model.h5"))
            try truncate(s.file("model.h5"), to: 0.6)
            try SyntheticData.labels(width: 32, height: 32, seed: 1).write(to: s.file("in.png"))
        },
        Case(name: "truncated second input to segment", names: "in/b.png", mentions: ["truncated"], noOutput: ["out"],
             arguments: ["segment", "--model", "model.h5", "in", "--out", "out", "--threads", "1"]) { s in
            try ModelFile(graph: try ModelZoo.preset(named: "unet").makeGraph(PresetOptions(baseFilters: 4))).write(to: s.file("model.h5"))
            try s.makeFolder("in")
            try SyntheticData.labels(width: 32, height: 32, seed: 1).write(to: s.file("in/a.png"))
            try SyntheticData.labels(width: 32, height: 32, seed: 2).write(to: s.file("in/b.png"))
            try truncate(s.file("in/b.png"), to: 0.5)
        },
        Case(name: "missing segment input", names: "absent.png", mentions: ["no such"], noOutput: ["out"],
             arguments: ["segment", "--model", "model.h5", "absent.png", "--out", "out"]) { s in
            try ModelFile(graph: try ModelZoo.preset(named: "unet").makeGraph(PresetOptions(baseFilters: 4))).write(to: s.file("model.h5"))
        },
        Case(name: "2-D image to a 3-D network", names: "in.png", mentions: ["2-D image", "3-D network"], noOutput: ["out"],
             arguments: ["segment", "--model", "model.h5", "in.png", "--out", "out"]) { s in
            try ModelFile(graph: try ModelZoo.preset(named: "unet3d").makeGraph(PresetOptions(baseFilters: 2))).write(to: s.file("model.h5"))
            try SyntheticData.labels(width: 32, height: 32, seed: 1).write(to: s.file("in.png"))
        },
        Case(name: "prediction size differs from label", names: "p.png", mentions: ["9×4", "8×4"], noOutput: [],
             arguments: ["evaluate", "--predictions", "p.png", "--labels", "t.png"]) { s in
            try EvaluateCommandTests.truth.write(to: s.file("p.png"))
            try Image(width: 8, height: 4, channels: 1, sampleType: .uint8, pixels: [Float](repeating: 255, count: 32)).write(to: s.file("t.png"))
        },
    ]

    @Test(arguments: cases)
    func badInputGivesOneLineAndNoOutput(_ bad: Case) throws {
        let scratch = try ScratchFolder()
        try bad.prepare(scratch)
        let result = try CLI.run(bad.arguments, in: scratch.path)
        #expect(result.status != 0 && !result.signalled, "\(result.transcript)")
        #expect(result.stderrLines.count == 1, "\(result.transcript)")
        let line = result.stderrLines.first ?? ""
        #expect(line.hasPrefix("pixelwise: error: " + bad.names + ": "), "\(result.transcript)")
        for word in bad.mentions { #expect(line.contains(word), "'\(word)' missing from: \(line)") }
        #expect(result.stdout.isEmpty)
        for output in bad.noOutput { #expect(!scratch.exists(output), "\(output) left behind") }
        // Nothing else appeared either (temporary files included).
        let entries = try scratch.contents()
        #expect(!entries.contains { $0.hasPrefix(".") }, "\(entries)")
    }

    /// Wrong flag values are caught before anything runs, with the flag named.
    @Test(arguments: [
        (["train", "--images", "data/images", "--labels", "data/labels", "--batch", "0", "--out", "run"], "--batch"),
        (["train", "--images", "data/images", "--labels", "data/labels", "--schedule", "linear", "--out", "run"], "schedule"),
        (["train", "--images", "data/images", "--labels", "data/labels", "--model", "vnet", "--out", "run"], "vnet"),
        (["train", "--images", "data/images", "--labels", "data/labels", "--loss", "l2", "--out", "run"], "l2"),
        (["train", "--images", "data/images", "--labels", "data/labels", "--precision", "fp16", "--out", "run"], "unknown --precision fp16; use fp32 or bf16"),
        (["train", "--images", "data/images", "--labels", "data/labels", "--patch", "abc", "--out", "run"], "--patch"),
        (["train", "--images", "data/images", "--labels", "data/labels", "--model", "unet3d", "--out", "run"], "unet3d is a 3-D network"),
    ])
    func badFlagValues(arguments: [String], named: String) throws {
        let scratch = try ScratchFolder()
        try Self.goodData(scratch)
        let result = try CLI.run(arguments, in: scratch.path)
        #expect(result.status != 0 && !result.signalled, "\(result.transcript)")
        let line = result.stderrLines.first ?? ""
        #expect(line.hasPrefix("pixelwise: error: ") && line.contains(named), "\(result.transcript)")
        #expect(!scratch.exists("run"), "run folder created for a bad flag")
    }
}
