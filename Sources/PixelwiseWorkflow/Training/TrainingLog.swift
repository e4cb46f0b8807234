import Foundation
import PixelwiseCore

/// RUN_DIR/log.csv: one row per iteration (iteration, seconds, loss, learning rate) and the
/// validation measures on the rows where validation ran. Rows are flushed as written, so the
/// file is useful while training runs and after a crash.
public final class TrainingLog {
    let handle: FileHandle
    private var pending: (iteration: Int, seconds: Double, loss: Float, learningRate: Float)?

    public static let header = "iteration,seconds,loss,learning_rate,val_pixel_error,val_rand_error,val_information_error,val_foreground_iou\n"

    /// A new log, or with `continuingAfter: k` the existing one cut back to its rows up to
    /// iteration k (the checkpoint a run resumes from: rows a crash logged after it would
    /// otherwise appear twice).
    public init(path: String, continuingAfter iteration: Int?) throws {
        var contents = TrainingLog.header
        if let iteration, let old = try? String(contentsOfFile: path, encoding: .utf8) {
            let kept = old.split(separator: "\n").dropFirst().filter { row in
                Int(row.prefix { $0 != "," }).map { $0 <= iteration } ?? false
            }
            contents += kept.map { $0 + "\n" }.joined()
        }
        do { try contents.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw PixelwiseError.file(path: path, problem: "cannot write the training log (\(error.localizedDescription))")
        }
        guard let h = FileHandle(forWritingAtPath: path) else { throw PixelwiseError.file(path: path, problem: "cannot open the training log") }
        h.seekToEndOfFile()
        handle = h
    }

    deinit { flush() }

    public func step(iteration: Int, seconds: Double, loss: Float, learningRate: Float) {
        flush()
        pending = (iteration, seconds, loss, learningRate)
    }

    /// Attaches validation scores to the current iteration's row.
    public func validation(iteration: Int, scores: Scores) {
        guard let p = pending, p.iteration == iteration else { return }
        write(p, extra: String(format: ",%.6f,%.6f,%.6f,%.6f", scores.pixelError, scores.randError, scores.informationError, scores.foregroundIoU))
        pending = nil
    }

    public func flush() {
        if let p = pending { write(p, extra: ",,,,") }
        pending = nil
    }

    private func write(_ p: (iteration: Int, seconds: Double, loss: Float, learningRate: Float), extra: String) {
        handle.write(Data((String(format: "%d,%.3f,%.6f,%.6g", p.iteration, p.seconds, p.loss, p.learningRate) + extra + "\n").utf8))
    }
}
