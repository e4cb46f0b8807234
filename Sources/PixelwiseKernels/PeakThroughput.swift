import CDNNL
import Foundation

/// The machine's practical fp32 peak, measured with a large oneDNN SGEMM (which reaches
/// 85–95 % of the theoretical FMA peak), for the "% peak" figures of `pixelwise bench` (measured
/// at its start, so on a busy machine the share is of what the CPU gives now).
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
