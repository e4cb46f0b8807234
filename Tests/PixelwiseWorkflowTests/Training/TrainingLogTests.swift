import Foundation
import PixelwiseAlgorithms
import PixelwiseTestSupport
import Testing
@testable import PixelwiseWorkflow

/// log.csv: validation attaches to its iteration's row even when the file was saved between the
/// step and the validation (every step, once an iteration takes longer than the save interval).
@Suite struct TrainingLogTests {
    @Test func validationAfterASaveStillFillsItsRow() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("log.csv")
        let names = ["membrane", "mito chondria"]
        let log = try TrainingLog(path: path, continuingAfter: nil, validationColumns: TrainingLog.classColumns(names: names))
        try log.step(iteration: 1, seconds: 1, loss: 0.5, learningRate: 0.01)
        try log.save()
        // Saved provisionally, without validation fields.
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").last == "1,1.000,0.500000,0.01,,,,,,")
        let scores = ClassScores(name: "v", classes: [.init(name: "membrane", values: [0], iou: 0.5, dice: 2.0 / 3),
                                                      .init(name: "mito chondria", values: [191], iou: nil, dice: nil)],
                                 meanIoU: nil, meanDice: nil, accuracy: 0.9, confusion: [[1, 0], [0, 0]])
        log.validation(iteration: 1, classScores: scores)
        try log.step(iteration: 2, seconds: 2, loss: 0.4, learningRate: 0.01)
        try log.save()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines == ["iteration,seconds,loss,learning_rate,val_mean_dice,val_mean_iou,val_dice_membrane,val_dice_mito_chondria,val_iou_membrane,val_iou_mito_chondria",
                          "1,1.000,0.500000,0.01,,,0.666667,,0.500000,",
                          "2,2.000,0.400000,0.01,,,,,,"])

        // Two classes: the ISBI columns, as before.
        let two = try TrainingLog(path: scratch.file("two.csv"), continuingAfter: nil)
        #expect(two.headerLine == TrainingLog.header)
    }
}
