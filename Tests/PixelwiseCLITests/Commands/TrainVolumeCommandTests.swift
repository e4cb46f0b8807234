import Foundation
import PixelwiseIO
import Testing
import PixelwiseTestSupport

/// `pixelwise train` with 3-D networks: a folder of slices (or any volume) in, 3-D patches,
/// validation on whole volumes, resume bit for bit, and one-line errors for 2-D/3-D mix-ups.
@Suite struct TrainVolumeCommandTests {
    /// A same-padding 3-D U-Net small enough for the unit suite: 8×16×16 patches of a 6-slice volume.
    static func training(out: String, iterations: Int, _ extra: [String] = []) -> [String] {
        ["train", "--images", "data/images", "--labels", "data/labels", "--model", "unet3d", "--base-filters", "2",
         "--patch", "16", "--patch-depth", "8", "--batch", "2", "--iterations", String(iterations), "--threads", "1",
         "--seed", "5", "--out", out] + extra
    }

    @Test func aFolderOfSlicesTrainsA3DNetworkWithValidation() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 6, width: 24, height: 20, into: scratch.file("data"))
        try SyntheticData.writePairs(count: 3, width: 20, height: 20, into: scratch.file("val"), seed: 4)
        let result = try CLI.run(Self.training(out: "run", iterations: 4, ["--validate-images", "val/images", "--validate-labels", "val/labels",
                                                                           "--validate-every", "2", "--elastic", "--jitter", "--patch-prior"]),
                                 in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        #expect(result.stderr.contains("on 1 volume(s), patches 8×16×16 → 8×16×16, batch 2"), "\(result.transcript)")
        // (and algorithms.json when the run measured its convolution algorithms)
        #expect(Set(["config.yaml", "last.h5", "log.csv", "model.h5", "report.html"]).isSubset(of: try scratch.contents("run")))
        let rows = try logRows(scratch.file("run/log.csv"))
        #expect(rows.map(\.iteration) == [1, 2, 3, 4])
        for row in rows where row.iteration % 2 == 0 {
            // Pixel error, Rand error and foreground IoU are fractions; V_info error is a non-negative number of bits.
            let values = row.fields.map { Double($0) ?? .nan }
            #expect([values[4], values[5], values[7]].allSatisfy { (0...1).contains($0) } && values[6] >= 0, "validation in \(row.fields)")
        }
        let config = try String(contentsOfFile: scratch.file("run/config.yaml"), encoding: .utf8)
        #expect(config.contains("patch_depth: 8"), "\(config)")
        let model = try ModelFile.read(from: scratch.file("run/model.h5"))
        #expect(model.parameters.first { $0.name.hasSuffix("weight") }?.value.shape.rank == 5)
        // The model remembers its training patch and spacing (segment's smallest block and spacing).
        let metadata = try model.makeGraph(path: scratch.file("run/model.h5")).metadata
        #expect(metadata["training_patch"] == "8,16,16" && metadata["spacing"] == "1.0,1.0,1.0", "\(metadata)")
        // The report shows the middle slice of the validation volume (3 slices: z 1).
        let html = try String(contentsOfFile: scratch.file("run/report.html"), encoding: .utf8)
        #expect(html.contains("<h2>Validation image images, slice z 1</h2>") && html.contains("prediction"), "report without the validation slice")
    }

    /// Training 3 iterations and resuming to 6 gives exactly the weights of a straight 6-iteration run.
    @Test func resumeContinuesExactlyLikeAStraightRun() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 6, width: 24, height: 20, into: scratch.file("data"))
        let options = ["--schedule", "constant", "--error-masking", "--elastic", "--elastic-3d", "--spacing", "1,1,1"]
        let first = try CLI.run(Self.training(out: "a", iterations: 3, options), in: scratch.path)
        #expect(first.status == 0, "\(first.transcript)")
        let resumed = try CLI.run(["train", "--resume", "a", "--iterations", "6"], in: scratch.path)
        #expect(resumed.status == 0, "\(resumed.transcript)")
        let straight = try CLI.run(Self.training(out: "b", iterations: 6, options), in: scratch.path)
        #expect(straight.status == 0, "\(straight.transcript)")
        let a = try logRows(scratch.file("a/log.csv")), b = try logRows(scratch.file("b/log.csv"))
        #expect(a.map(\.iteration) == Array(1...6))
        #expect(a.map { [$0.fields[2], $0.fields[3]] } == b.map { [$0.fields[2], $0.fields[3]] })
        #expect(try weightBits(scratch.file("a/last.h5")) == weightBits(scratch.file("b/last.h5")), "resumed weights differ from the straight run")
    }

    @Test func a2DImageForA3DNetworkIsOneLine() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 1, width: 24, height: 20, into: scratch.file("data"))
        let result = try CLI.run(Self.training(out: "run", iterations: 1), in: scratch.path)
        #expect(result.status != 0)
        #expect(result.stderrLines == ["pixelwise: error: data/images: is a 2-D image (depth 1), but the network is 3-D: give a volume (a TIFF stack, FILE.h5:/DATASET, a NIfTI file or a folder of slices), or train a 2-D network"],
                "\(result.transcript)")
        #expect(!scratch.exists("run"))
    }

    @Test func threeDOptionsForA2DNetworkAreOneLine() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 2, width: 24, height: 20, into: scratch.file("data"))
        let result = try CLI.run(tinyTraining(data: "data", out: "run", iterations: 1, ["--patch-depth", "8"]), in: scratch.path)
        #expect(result.status != 0)
        #expect(result.stderrLines == ["pixelwise: error: --patch-depth is for 3-D networks; unet is 2-D (it trains on images and on the slices of volumes)"],
                "\(result.transcript)")
        let blur = try CLI.run(Self.training(out: "run", iterations: 1, ["--blur"]), in: scratch.path)
        #expect(blur.stderrLines == ["pixelwise: error: --blur is a 2-D augmentation; unet3d is a 3-D network"], "\(blur.transcript)")
        #expect(!scratch.exists("run"))
    }
}
