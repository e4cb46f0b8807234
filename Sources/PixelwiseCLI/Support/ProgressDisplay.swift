import Foundation

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
