import Foundation
import PixelwiseIO
import Testing
import PixelwiseTestSupport

/// `pixelwise evaluate` on crafted 9×4 images whose scores are worked out by hand.
///
/// Ground truth: two cells of 4×4 (columns 0–3 and 5–8, label 255) and a membrane column 4
/// (label 0). V_rand and V_info are computed over the n = 32 ground-truth cell pixels; a pixel
/// predicted as membrane inside a cell is a segment of its own.
@Suite struct EvaluateCommandTests {
    static func image(_ columns: [Float]) -> Image {
        Image(width: 9, height: 4, channels: 1, sampleType: .uint8, pixels: (0..<36).map { columns[$0 % 9] })
    }
    static let truth = image([255, 255, 255, 255, 0, 255, 255, 255, 255])
    /// Extra membrane in column 1: the left cell split into 4 + 8 pixels + 4 singletons.
    static let split = image([255, 0, 255, 255, 0, 255, 255, 255, 255])
    /// No membrane at all: both cells merged into one segment.
    static let merge = image([255, 255, 255, 255, 255, 255, 255, 255, 255])

    @Test func craftedSplitAndMerge() throws {
        let scratch = try ScratchFolder()
        for folder in ["predictions", "labels"] { try scratch.makeFolder(folder) }
        try Self.split.write(to: scratch.file("predictions/a-split.png"))
        try Self.merge.write(to: scratch.file("predictions/b-merge.png"))
        try Self.truth.write(to: scratch.file("labels/a.png"))
        try Self.truth.write(to: scratch.file("labels/b.png"))

        let result = try CLI.run(["evaluate", "--predictions", "predictions", "--labels", "labels", "--json", "--no-warping"], in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let images = try #require(json["images"] as? [[String: Any]])
        #expect(images.map { $0["name"] as? String } == ["a-split.png", "b-merge.png"])
        func value(_ image: Int, _ key: String) -> Double { (images[image][key] as? Double) ?? .nan }

        // Split: 4 of 36 pixels wrong (false membrane); TP = 28, FN = 4, FP = 0.
        #expect(abs(value(0, "pixel_error") - 4.0 / 36) < 1e-9)
        #expect(abs(value(0, "foreground_iou") - 28.0 / 32) < 1e-9)
        #expect(abs(value(0, "foreground_dice") - 56.0 / 60) < 1e-9)
        #expect(abs(value(0, "isbi_pixel_error") - 4.0 / 60) < 1e-9)
        // Σp² = Σs² = 4² + 8² + 4·1² + 16² = 340, Σt² = 16² + 16² = 512: V_rand = 680 / 852.
        #expect(abs(value(0, "rand_error") - (1 - 680.0 / 852)) < 1e-9)
        // Every predicted segment lies in one cell: I = H(T) = ln 2, H(S) = 2 ln 2, V_info = 2/3.
        #expect(abs(value(0, "information_error") - 1.0 / 3) < 1e-9)

        // Merge: the membrane column predicted as cell; TP = 32, FP = 4.
        #expect(abs(value(1, "pixel_error") - 4.0 / 36) < 1e-9)
        #expect(abs(value(1, "foreground_iou") - 32.0 / 36) < 1e-9)
        #expect(abs(value(1, "foreground_dice") - 64.0 / 68) < 1e-9)
        #expect(abs(value(1, "isbi_pixel_error") - 4.0 / 68) < 1e-9)
        // Σp² = Σt² = 512, Σs² = 32² = 1024: V_rand = 1024 / 1536 = 2/3.
        #expect(abs(value(1, "rand_error") - 1.0 / 3) < 1e-9)
        // One predicted segment: H(S) = 0 and I = 0, so V_info = 0.
        #expect(abs(value(1, "information_error") - 1) < 1e-9)

        // The set (default): pixel counts and Rand pair counts add up, V_info is averaged.
        // Σp² = 340 + 512, Σs² = 340 + 1024, Σt² = 512 + 512: V_rand = 1704 / 2388.
        let all = try #require(json["all"] as? [String: Any])
        #expect(all["convention"] as? String == "set")
        let setRand: Double = 1 - 1704.0 / 2388, setInformation: Double = 1 - (2.0 / 3 + 0) / 2
        #expect(abs(number(all, "rand_error") - setRand) < 1e-9)
        #expect(abs(number(all, "information_error") - setInformation) < 1e-9)
        #expect(abs(number(all, "pixel_error") - 8.0 / 72) < 1e-9)

        // --per-image-thresholds: the mean of the images' scores, labelled so.
        let perImage = try CLI.run(["evaluate", "--predictions", "predictions", "--labels", "labels", "--json", "--no-warping",
                                    "--per-image-thresholds"], in: scratch.path)
        #expect(perImage.status == 0, "\(perImage.transcript)")
        let perImageJSON = try #require(try JSONSerialization.jsonObject(with: Data(perImage.stdout.utf8)) as? [String: Any])
        let mean = try #require(perImageJSON["all"] as? [String: Any])
        #expect(mean["name"] as? String == "mean (per-image thresholds)" && mean["convention"] as? String == "per-image")
        let meanRand = (mean["rand_error"] as? Double) ?? .nan
        let expectedMean: Double = ((1 - 680.0 / 852) + 1.0 / 3) / 2
        #expect(abs(meanRand - expectedMean) < 1e-9)
    }

    /// A multi-page TIFF is a set of slices: the split and merge images as a 2-page stack score
    /// like the folder of two images (pooled V_rand 1704 / 2388).
    @Test func stackIsScoredAsOneSet() throws {
        let scratch = try ScratchFolder()
        try ImageStack.write([Self.split, Self.merge], to: scratch.file("p.tif"))
        try ImageStack.write([Self.truth, Self.truth], to: scratch.file("t.tif"))
        let result = try CLI.run(["evaluate", "--predictions", "p.tif", "--labels", "t.tif", "--json", "--no-warping"], in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let images = try #require(json["images"] as? [[String: Any]])
        #expect(images.map { $0["name"] as? String } == ["p.tif[0]", "p.tif[1]"])
        let all = try #require(json["all"] as? [String: Any])
        let setRand: Double = 1 - 1704.0 / 2388
        #expect(abs(number(all, "rand_error") - setRand) < 1e-9)
    }

    /// A perfect prediction scores zero error everywhere; the table has a row per image and the set.
    @Test func perfectPredictionTable() throws {
        let scratch = try ScratchFolder()
        try Self.truth.write(to: scratch.file("p.png"))
        try Self.truth.write(to: scratch.file("t.png"))
        let result = try CLI.run(["evaluate", "--predictions", "p.png", "--labels", "t.png"], in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[1].hasPrefix("p.png") && lines[2].hasPrefix("all"))
        let cells = lines[1].split(separator: " ").map(String.init)
        #expect(cells.dropFirst() == ["1.0000", "0.0000", "0.0000", "1.0000", "1.0000", "0.0000", "0.0000", "0.0000", "0.0000", "0.0000"])
    }

    /// A probability map whose membrane sits at 0.3: only thresholds ≥ 0.3 separate it, so
    /// `--thresholds 0.2` scores the merge and the default sweep the perfect prediction.
    @Test func thresholdsOption() throws {
        let scratch = try ScratchFolder()
        let probability = Self.image([230, 230, 230, 200, 77, 230, 230, 230, 230])  // three values: a probability map
        try probability.write(to: scratch.file("p.png"))
        try Self.truth.write(to: scratch.file("t.png"))
        func scores(_ extra: [String]) throws -> [String: Any] {
            let result = try CLI.run(["evaluate", "--predictions", "p.png", "--labels", "t.png", "--json", "--no-warping"] + extra,
                                     in: scratch.path)
            #expect(result.status == 0, "\(result.transcript)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            return try #require(json["all"] as? [String: Any])
        }
        #expect((try scores([]))["isbi_pixel_error"] as? Double == 0)
        let merged = try scores(["--thresholds", "0.2"])
        #expect(abs(((merged["isbi_pixel_error"] as? Double) ?? .nan) - 4.0 / 68) < 1e-9)
        #expect(abs(((merged["pixel_error"] as? Double) ?? .nan) - 4.0 / 36) < 1e-9)

        let bad = try CLI.run(["evaluate", "--predictions", "p.png", "--labels", "t.png", "--thresholds", "1.5"], in: scratch.path)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--thresholds must lie between 0 and 1"))
    }

    /// `--instances` on HDF5 id volumes (uint64, [D,H,W] = [2,1,3]): truth [[1 1 2] [1 1 2]],
    /// proposal [[4 4 4] [5 5 6]]. Cells (4,1) = 2, (4,2) = 1, (5,1) = 2, (6,2) = 1 of 6.
    @Test func instancesOnHDF5Volumes() throws {
        let scratch = try ScratchFolder()
        for (name, values) in [("truth.h5", [1, 1, 2, 1, 1, 2] as [UInt64]), ("proposal.h5", [4, 4, 4, 5, 5, 6])] {
            let file = try HDF5File(creating: scratch.file(name))
            try file.write(values, shape: [2, 1, 3], at: "/volumes/labels/neuron_ids")
            file.close()
        }
        let result = try CLI.run(["evaluate", "--instances", "--json", "--predictions", "proposal.h5:/volumes/labels/neuron_ids",
                                  "--labels", "truth.h5:/volumes/labels/neuron_ids"], in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let row = try #require(rows.first)
        // H(S|T) = −[(2/6)·log₂(2/4) + (2/6)·log₂(2/4) + (1/6)·log₂(1/2) + (1/6)·log₂(1/2)] = 1 bit.
        #expect(abs(number(row, "voi_split") - 1) < 1e-12)
        // H(T|S) = −[(2/6)·log₂(2/3) + (1/6)·log₂(1/3)] = ½·log₂3 − ⅓ (segments 5 and 6 are pure).
        let merge: Double = 0.5 * log2(3.0) - 1.0 / 3
        #expect(abs(number(row, "voi_merge") - merge) < 1e-12)
        // ΣAB = 4 + 1 + 4 + 1 = 10, ΣB = 3² + 2² + 1² = 14, ΣA = 4² + 2² = 20: F = 20 / 34.
        let rand: Double = 1 - 20.0 / 34
        #expect(abs(number(row, "adapted_rand_error") - rand) < 1e-12)
        #expect(row["voxels"] as? Int == 6)
    }

    /// `--instances` on images: 16-bit truth ids [1 1 2 2], an 8-bit probability map [200 200 200 0]
    /// whose foreground at 0.5 is one component [1 1 1 0]. Cells (1,1) = 2, (1,2) = 1, (0,2) = 1 of 4.
    @Test func instancesOnImages() throws {
        let scratch = try ScratchFolder()
        try Image(width: 4, height: 1, channels: 1, sampleType: .uint16, pixels: [1, 1, 2, 2]).write(to: scratch.file("truth.png"))
        try Image(width: 4, height: 1, channels: 1, sampleType: .uint8, pixels: [200, 200, 200, 0]).write(to: scratch.file("p.png"))
        let result = try CLI.run(["evaluate", "--instances", "--json", "--predictions", "p.png", "--labels", "truth.png"], in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let row = try #require(rows.first)
        // H(S|T) = −[(2/4)·log₂(2/2) + (1/4)·log₂(1/2) + (1/4)·log₂(1/2)] = ½ bit.
        #expect(abs(number(row, "voi_split") - 0.5) < 1e-12)
        // H(T|S) = −[(2/4)·log₂(2/3) + (1/4)·log₂(1/3) + (1/4)·log₂(1/1)] = ¾·log₂3 − ½.
        let merge: Double = 0.75 * log2(3.0) - 0.5
        #expect(abs(number(row, "voi_merge") - merge) < 1e-12)
        // The 0 voxel is unassigned: ΣAB = 2² + 1² + 1/4, ΣB = 3² + 1/4, ΣA = 2² + 2² (N = 4).
        let p: Double = 5.25 / 9.25, r: Double = 5.25 / 8
        let rand: Double = 1 - 2 * p * r / (p + r)
        #expect(abs(number(row, "adapted_rand_error") - rand) < 1e-12)
    }

    private func number(_ object: [String: Any], _ key: String) -> Double { (object[key] as? Double) ?? .nan }
}
