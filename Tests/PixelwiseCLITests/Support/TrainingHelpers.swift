import Foundation
import PixelwiseIO

/// `pixelwise train` arguments for a tiny, fast run: the `unet` preset at 4 base filters on
/// 64² patches, one patch per step, one thread (bit-for-bit comparisons need a fixed thread
/// count, and one thread is also the fastest on a busy 2-core machine).
func tinyTraining(data: String, out: String, iterations: Int, _ extra: [String] = []) -> [String] {
    ["train", "--images", data + "/images", "--labels", data + "/labels", "--model", "unet", "--base-filters", "4",
     "--patch", "64", "--batch", "1", "--iterations", String(iterations), "--threads", "1", "--out", out] + extra
}

/// The rows of a run's log.csv after the header, as (iteration, full row).
func logRows(_ path: String) throws -> [(iteration: Int, fields: [String])] {
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    return lines.dropFirst().map { line in
        let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return (Int(fields[0]) ?? -1, fields)
    }
}

/// Every parameter and buffer of a model file by name, as raw bit patterns (exact comparison).
func weightBits(_ path: String) throws -> [String: [UInt32]] {
    let file = try ModelFile.read(from: path)
    var all: [String: [UInt32]] = [:]
    for (name, value) in file.parameters + file.buffers { all[name] = value.scalars.map(\.bitPattern) }
    return all
}
