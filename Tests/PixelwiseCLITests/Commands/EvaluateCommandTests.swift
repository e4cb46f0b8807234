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

        let mean = try #require(json["mean"] as? [String: Any])
        let meanRand = (mean["rand_error"] as? Double) ?? .nan
        let expectedMean: Double = ((1 - 680.0 / 852) + 1.0 / 3) / 2
        #expect(abs(meanRand - expectedMean) < 1e-9)
    }

    /// A perfect prediction scores zero error everywhere; the table has a row per image and the mean.
    @Test func perfectPredictionTable() throws {
        let scratch = try ScratchFolder()
        try Self.truth.write(to: scratch.file("p.png"))
        try Self.truth.write(to: scratch.file("t.png"))
        let result = try CLI.run(["evaluate", "--predictions", "p.png", "--labels", "t.png"], in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[1].hasPrefix("p.png") && lines[2].hasPrefix("mean"))
        let cells = lines[1].split(separator: " ").map(String.init)
        #expect(cells.dropFirst() == ["1.0000", "0.0000", "0.0000", "1.0000", "1.0000", "0.0000", "0.0000", "0.0000"])
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
            return try #require(json["mean"] as? [String: Any])
        }
        #expect((try scores([]))["isbi_pixel_error"] as? Double == 0)
        let merged = try scores(["--thresholds", "0.2"])
        #expect(abs(((merged["isbi_pixel_error"] as? Double) ?? .nan) - 4.0 / 68) < 1e-9)
        #expect(abs(((merged["pixel_error"] as? Double) ?? .nan) - 4.0 / 36) < 1e-9)

        let bad = try CLI.run(["evaluate", "--predictions", "p.png", "--labels", "t.png", "--thresholds", "1.5"], in: scratch.path)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--thresholds must lie between 0 and 1"))
    }
}
