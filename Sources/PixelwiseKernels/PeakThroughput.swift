import CDNNL
import Foundation

/// The machine's practical fp32 peak, measured with a large oneDNN SGEMM (which reaches
/// 85–95 % of the theoretical peak), for "efficiency" figures in `pixelwise bench`.
public enum PeakThroughput {
    /// GFLOP/s of a 2048³ SGEMM on the current thread count: the best of a few runs.
    public static func measureGFLOPs() -> Double {
        let n = 2048
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var best = Double.infinity
        for _ in 0..<4 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")), Int64(n), Int64(n), Int64(n), 1,
                           a, Int64(n), b, Int64(n), 0, &c, Int64(n))
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return 2 * Double(n * n * n) / best / 1e9
    }

    /// The measured peak, cached per thread count in ~/.cache/pixelwise (measuring takes ~1 s).
    public static func cachedGFLOPs(threads: Int) -> Double {
        let folder = (ProcessInfo.processInfo.environment["HOME"] ?? "/tmp") + "/.cache/pixelwise"
        let file = folder + "/peak-gflops-\(threads)-threads.txt"
        if let text = try? String(contentsOfFile: file, encoding: .utf8), let v = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return v
        }
        let v = measureGFLOPs()
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? String(format: "%.1f\n", v).write(toFile: file, atomically: true, encoding: .utf8)
        return v
    }
}

/// Peak resident memory of this process so far (VmHWM), in bytes.
public func peakResidentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kb * 1024
    }
    return 0
}
