import Foundation
import PixelwiseCore

/// RUN_DIR/log.csv: one row per iteration (iteration, seconds, loss, learning rate) and the
/// validation measures on the rows where validation ran. Rows are flushed as written, so the
/// file is useful while training runs and after a crash.
final class TrainingLog {
    let handle: FileHandle
    private var pending: (iteration: Int, seconds: Double, loss: Float, learningRate: Float)?

    static let header = "iteration,seconds,loss,learning_rate,val_pixel_error,val_rand_error,val_information_error,val_foreground_iou\n"

    /// A new log, or with `continuingAfter: k` the existing one cut back to its rows up to
    /// iteration k (the checkpoint a run resumes from: rows a crash logged after it would
    /// otherwise appear twice).
    init(path: String, continuingAfter iteration: Int?) throws {
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

    func step(iteration: Int, seconds: Double, loss: Float, learningRate: Float) {
        flush()
        pending = (iteration, seconds, loss, learningRate)
    }

    /// Attaches validation scores to the current iteration's row.
    func validation(iteration: Int, scores: Scores) {
        guard let p = pending, p.iteration == iteration else { return }
        write(p, extra: String(format: ",%.6f,%.6f,%.6f,%.6f", scores.pixelError, scores.randError, scores.informationError, scores.foregroundIoU))
        pending = nil
    }

    func flush() {
        if let p = pending { write(p, extra: ",,,,") }
        pending = nil
    }

    private func write(_ p: (iteration: Int, seconds: Double, loss: Float, learningRate: Float), extra: String) {
        handle.write(Data((String(format: "%d,%.3f,%.6f,%.6g", p.iteration, p.seconds, p.loss, p.learningRate) + extra + "\n").utf8))
    }
}

/// Progress on stderr: a self-updating line on a terminal, plain lines otherwise.
final class ProgressDisplay {
    let total: Int?
    let minutes: Double?
    let isTerminal = isatty(STDERR_FILENO) != 0
    private var smoothedLoss: Float?
    private var lastPrinted = Date.distantPast
    private var onLine = false

    init(total: Int?, minutes: Double?) {
        self.total = total
        self.minutes = minutes
    }

    func update(iteration: Int, loss: Float, patchesPerSecond: Double, elapsed: Double) {
        smoothedLoss = smoothedLoss.map { 0.95 * $0 + 0.05 * loss } ?? loss
        let interval: Double = isTerminal ? 0.2 : 15
        guard Date().timeIntervalSince(lastPrinted) >= interval || iteration == total else { return }
        lastPrinted = Date()
        var remaining: Double?
        if let total, iteration > 0 { remaining = elapsed / Double(iteration) * Double(total - iteration) }
        if let minutes { remaining = min(remaining ?? .infinity, minutes * 60 - elapsed) }
        let of = total.map { "/\($0)" } ?? ""
        let line = "iteration \(iteration)\(of)  " + String(format: "loss %.4f  %.1f patches/s", smoothedLoss!, patchesPerSecond)
            + "  elapsed \(clock(elapsed))  ETA \(remaining.map(clock) ?? "?")"
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            onLine = true
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// A message on its own line (validation results).
    func note(_ message: String) {
        if onLine { FileHandle.standardError.write(Data("\n".utf8)); onLine = false }
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    func finish() {
        if onLine { FileHandle.standardError.write(Data("\n".utf8)); onLine = false }
    }

    func clock(_ seconds: Double) -> String {
        let s = max(0, Int(seconds))
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
