import Foundation
import PixelwiseIO
import PixelwiseTestSupport

/// What the workflow tests need besides a scratch folder: training data, the current directory, the command.
extension ScratchFolder {
    /// Runs `body` with this folder as the current directory (the documented example uses relative
    /// paths). The directory is the process's: only one test may use this.
    func inside<T>(_ body: () throws -> T) rethrows -> T {
        let previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(path)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        return try body()
    }

    /// `count` raw/label PNG pairs in FOLDER/images and FOLDER/labels: cells (255) between 2-px
    /// membranes (0) every 16 px, raw = 170 in cells and 70 on membranes, ± 40 of deterministic noise.
    func writePairs(_ folder: String, count: Int, width: Int = 96, height: Int = 80) throws {
        for sub in ["images", "labels"] { try FileManager.default.createDirectory(atPath: file(folder + "/" + sub), withIntermediateDirectories: true) }
        var state: UInt64 = 17
        for k in 0..<count {
            var labels = [Float](repeating: 255, count: width * height), raw = labels
            for y in 0..<height {
                for x in 0..<width {
                    if (x + 3 * k) % 16 < 2 || (y + 5 * k + x / 24) % 16 < 2 { labels[y * width + x] = 0 }
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    let noise = (Float(state >> 40) / Float(1 << 24) - 0.5) * 80
                    raw[y * width + x] = min(255, max(0, ((labels[y * width + x] > 0 ? 170 : 70) + noise).rounded()))
                }
            }
            try Image(width: width, height: height, channels: 1, sampleType: .uint8, pixels: labels).write(to: file("\(folder)/labels/img-\(k).png"))
            try Image(width: width, height: height, channels: 1, sampleType: .uint8, pixels: raw).write(to: file("\(folder)/images/img-\(k).png"))
        }
    }

    /// The built `pixelwise` executable next to the test bundle (the test target depends on it).
    static var executable: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("pixelwise").path
    }

    /// Runs `pixelwise arguments…` in this folder; returns its exit status.
    func runCLI(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ScratchFolder.executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: path)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
