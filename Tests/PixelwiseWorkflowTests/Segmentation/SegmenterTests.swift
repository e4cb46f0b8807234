import Foundation
import PixelwiseIO
import PixelwiseKernels
import PixelwiseModels
import PixelwiseTestSupport
import Testing
@testable import PixelwiseWorkflow

/// `Segmenter` writes what `pixelwise segment` writes, byte for byte.
@Suite struct SegmenterTests {
    @Test(arguments: [[], ["--probabilities"], ["--float"], ["--tta"]])
    func segmenterEqualsTheCommand(flags: [String]) throws {
        let scratch = try ScratchFolder()
        try scratch.writePairs("data", count: 2, width: 70, height: 45)
        let graph = try ModelZoo.preset(named: "tschopp-unet").makeGraph(PresetOptions(baseFilters: 4, seed: 3))
        graph.metadata["model"] = "tschopp-unet"
        try ModelFile(graph: graph).write(to: scratch.file("model.h5"))

        #expect(try scratch.runCLI(["segment", "--model", "model.h5", "data/images", "--out", "cli", "--tile", "220", "--threads", "1"] + flags) == 0)
        Threads.set(1)  // as the command's --threads 1 (every test in this target trains and segments on one thread)
        var options = Segmenter.Options()
        options.tile = 220
        options.testTimeAugmentation = flags.contains("--tta")
        options.output = flags.contains("--float") ? .floatProbabilities : flags.contains("--probabilities") ? .probabilities : .labels
        let written = try Segmenter(model: scratch.file("model.h5"), options: options)
            .segment(inputs: [scratch.file("data/images")], into: scratch.file("library"))
        #expect(written.count == 2)
        let names = try FileManager.default.contentsOfDirectory(atPath: scratch.file("cli")).sorted()
        #expect(names.count == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.file("library")).sorted() == names)
        for name in names {
            let cli = try Data(contentsOf: URL(fileURLWithPath: scratch.file("cli/" + name)))
            let library = try Data(contentsOf: URL(fileURLWithPath: scratch.file("library/" + name)))
            #expect(cli == library, "\(name) differs")
        }
    }
}
