import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseTestSupport
import Testing
@testable import PixelwiseWorkflow

/// `ClassEvaluation`: per-class scores of label images and NIfTI volumes, checked by hand.
@Suite struct ClassEvaluationTests {
    @Test func labelImagesByHand() throws {
        let scratch = try ScratchFolder()
        // Prediction 0 50 / 50 100 against truth 0 50 / 100 100 (2×2).
        try Image(width: 2, height: 2, channels: 1, sampleType: .uint8, pixels: [0, 50, 50, 100]).write(to: scratch.file("p.png"))
        try Image(width: 2, height: 2, channels: 1, sampleType: .uint8, pixels: [0, 50, 100, 100]).write(to: scratch.file("t.png"))
        let map = try LabelMap(parsing: "a=0 b=50 c=100")
        let (pairs, total) = try ClassEvaluation.score(predictions: scratch.file("p.png"), labels: scratch.file("t.png"), classes: map)
        #expect(pairs.count == 1 && total.confusion == [[1, 0, 0], [0, 1, 0], [0, 1, 1]] && total.accuracy == 0.75)
        #expect(total.classes.map(\.dice) == [1, 2.0 / 3, 2.0 / 3] && total.classes.map(\.iou) == [1, 0.5, 0.5])
        #expect(total.meanDice == 2.0 / 3 && total.classes.map(\.name) == ["a", "b", "c"])
        // Class b: predicted at (1,0) and (0,1), true at (1,0): distances 0, √2 and 0 back;
        // the 95th percentile of [0, 0, √2] is 0.9·√2.
        #expect(abs(total.classes[1].hd95! - 0.9 * 2.0.squareRoot()) < 1e-12 && total.classes[0].hd95 == 0)
    }

    @Test func volumesUseTheirSpacing() throws {
        let scratch = try ScratchFolder()
        // 1×1×3 volumes with z spacing 2.5: truth tumour at z = 0, predicted at z = 2 → 5 mm apart.
        let header = NIfTIHeader(dimensions: [1, 1, 3], dataType: .uint8, spacing: [1, 1, 2.5])
        try NIfTIVolume.write([0, 0, 4], header: header, to: scratch.file("p.nii.gz"))
        try NIfTIVolume.write([4, 0, 0], header: header, to: scratch.file("t.nii.gz"))
        let (_, total) = try ClassEvaluation.score(predictions: scratch.file("p.nii.gz"), labels: scratch.file("t.nii.gz"),
                                                   classes: try LabelMap(parsing: "background=0 tumour=1,2,4"))
        #expect(total.classes[1].dice == 0 && total.classes[1].hd95 == 5)
    }
}
