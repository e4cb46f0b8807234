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
    static var columns: Int { header.split(separator: ",").count }

    /// A new log, or with `continuingAfter: k` the existing one cut back to its complete rows up
    /// to iteration k (the checkpoint a run resumes from: rows a crash logged after it would
    /// otherwise appear twice).
    public init(path: String, continuingAfter iteration: Int?) throws {
        self.path = path
        if let iteration, let old = try? String(contentsOfFile: path, encoding: .utf8) {
            rows = old.split(separator: "\n").dropFirst().filter { row in
                row.split(separator: ",", omittingEmptySubsequences: false).count == TrainingLog.columns
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

    /// Writes every row so far to the file, atomically.
    public func save() throws {
        flushPending()
        try AtomicFile.write(TrainingLog.header + rows.joined(), to: path)
        lastSaved = Date()
    }

    private func flushPending() {
        if let p = pending { append(p, extra: ",,,,") }
        pending = nil
    }

    private func append(_ p: (iteration: Int, seconds: Double, loss: Float, learningRate: Float), extra: String) {
        rows.append(String(format: "%d,%.3f,%.6f,%.6g", p.iteration, p.seconds, p.loss, p.learningRate) + extra + "\n")
    }
}
