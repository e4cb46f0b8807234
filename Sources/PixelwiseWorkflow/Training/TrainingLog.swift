import Foundation
import PixelwiseCore
import PixelwiseIO

/// RUN_DIR/log.csv: one row per iteration (iteration, seconds, loss, learning rate) and the
/// validation measures on the rows where validation ran.
///
/// The rows are kept in memory and the whole file is rewritten atomically (`AtomicFile`) at
/// every checkpoint, at the end, and every `saveInterval` in between: the file is useful
/// while training runs, a full disk or a size limit never leaves a torn row, and after a crash it
/// holds at most a few rows past the checkpoint (cut back on `--resume`).
public final class TrainingLog {
    public let path: String
    private var rows: [String] = []
    private var pending: (iteration: Int, seconds: Double, loss: Float, learningRate: Float)?
    private var lastSaved = Date()
    /// Seconds between saves: 1 s while the log is short (a run's first rows show at once), growing
    /// with its length to 10 s from 20 000 rows (≈ 1.2 MB), so rewriting it stays a small cost.
    public var saveInterval: TimeInterval { min(10, max(1, Double(rows.count) / 2000)) }

    public static let header = "iteration,seconds,loss,learning_rate,val_pixel_error,val_rand_error,val_information_error,val_foreground_iou\n"
    /// The validation columns of a two-class run (the ISBI measures).
    public static let twoClassColumns = ["val_pixel_error", "val_rand_error", "val_information_error", "val_foreground_iou"]
    /// The validation columns of a run with more than two classes: the means (class 0 left out,
    /// as `evaluate --classes`), then Dice and IoU of every class by name.
    public static func classColumns(names: [String]) -> [String] {
        ["val_mean_dice", "val_mean_iou"] + names.map { "val_dice_" + columnName($0) } + names.map { "val_iou_" + columnName($0) }
    }
    static func columnName(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// This log's header line and its number of columns.
    public let headerLine: String
    var columns: Int { headerLine.split(separator: ",").count }

    /// A new log, or with `continuingAfter: k` the existing one cut back to its complete rows up
    /// to iteration k (the checkpoint a run resumes from: rows a crash logged after it would
    /// otherwise appear twice).
    /// `validationColumns`: `twoClassColumns` (default) or `classColumns(names:)`.
    public init(path: String, continuingAfter iteration: Int?, validationColumns: [String] = TrainingLog.twoClassColumns) throws {
        self.path = path
        headerLine = (["iteration", "seconds", "loss", "learning_rate"] + validationColumns).joined(separator: ",") + "\n"
        let columns = self.columns
        if let iteration, let old = try? String(contentsOfFile: path, encoding: .utf8) {
            rows = old.split(separator: "\n").dropFirst().filter { row in
                row.split(separator: ",", omittingEmptySubsequences: false).count == columns
                    && (Int(row.prefix { $0 != "," }).map { $0 <= iteration } ?? false)
            }.map { $0 + "\n" }
        }
        try save()
    }

    public func step(iteration: Int, seconds: Double, loss: Float, learningRate: Float) throws {
        flushPending()
        pending = (iteration, seconds, loss, learningRate)
        if Date().timeIntervalSince(lastSaved) >= saveInterval { try save() }
    }

    /// Attaches validation scores to the current iteration's row.
    public func validation(iteration: Int, scores: Scores) {
        guard let p = pending, p.iteration == iteration else { return }
        append(p, extra: String(format: ",%.6f,%.6f,%.6f,%.6f", scores.pixelError, scores.randError, scores.informationError, scores.foregroundIoU))
        pending = nil
    }

    /// Attaches C-class validation scores to the current iteration's row (an empty field for a
    /// class without a score: in neither the prediction nor the truth).
    public func validation(iteration: Int, classScores scores: ClassScores) {
        guard let p = pending, p.iteration == iteration else { return }
        func field(_ v: Double?) -> String { v.map { String(format: ",%.6f", $0) } ?? "," }
        append(p, extra: field(scores.meanDice) + field(scores.meanIoU) + scores.classes.map { field($0.dice) }.joined()
                   + scores.classes.map { field($0.iou) }.joined())
        pending = nil
    }

    /// Writes every row so far to the file, atomically.
    /// The current iteration's row is written without validation fields but stays pending, so
    /// validation of the same iteration still attaches to it (a save between a step and its
    /// validation, every step once iterations take longer than `saveInterval`, used to leave
    /// validation rows empty).
    public func save() throws {
        let current = pending.map { [row($0, extra: String(repeating: ",", count: columns - 4))] } ?? []
        try AtomicFile.write(headerLine + (rows + current).joined(), to: path)
        lastSaved = Date()
    }

    private func flushPending() {
        if let p = pending { append(p, extra: String(repeating: ",", count: columns - 4)) }
        pending = nil
    }

    private func append(_ p: (iteration: Int, seconds: Double, loss: Float, learningRate: Float), extra: String) {
        rows.append(row(p, extra: extra))
    }

    private func row(_ p: (iteration: Int, seconds: Double, loss: Float, learningRate: Float), extra: String) -> String {
        String(format: "%d,%.3f,%.6f,%.6g", p.iteration, p.seconds, p.loss, p.learningRate) + extra + "\n"
    }
}
