/// Places buffers of known lifetimes in one block of memory, so that two buffers that are alive
/// at the same time never overlap and the block stays small.
///
/// A buffer is alive from the step that writes it (`first`) to the last step that reads it
/// (`last`), inclusive. Greedy by size (largest first, each at the lowest offset where it fits
/// beside every already-placed buffer whose lifetime intersects its own) — the heuristic
/// TensorFlow Lite and oneDNN Graph use; on U-Nets it ends within a few % of the peak of live
/// bytes, the lower bound.
public enum ArenaLayout {
    public struct Request: Sendable, Equatable {
        public var bytes: Int
        public var first: Int
        public var last: Int
        public init(bytes: Int, first: Int, last: Int) {
            precondition(first <= last && bytes >= 0)
            self.bytes = bytes
            self.first = first
            self.last = last
        }
        public func overlapsInTime(_ o: Request) -> Bool { first <= o.last && o.first <= last }
    }

    /// Byte offset of every request (in request order) and the block size, offsets aligned to `alignment`.
    public static func place(_ requests: [Request], alignment: Int = 64) -> (offsets: [Int], bytes: Int) {
        func rounded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
        let order = requests.indices.sorted { (requests[$0].bytes, requests[$1].first) > (requests[$1].bytes, requests[$0].first) }
        var offsets = [Int](repeating: 0, count: requests.count)
        var placed: [Int] = []
        var total = 0
        for i in order {
            let size = rounded(requests[i].bytes)
            let neighbours = placed.filter { requests[$0].overlapsInTime(requests[i]) }.sorted { offsets[$0] < offsets[$1] }
            var candidate = 0
            for j in neighbours {
                if offsets[j] >= candidate + size { break }
                candidate = max(candidate, offsets[j] + rounded(requests[j].bytes))
            }
            offsets[i] = candidate
            placed.append(i)
            total = max(total, candidate + size)
        }
        return (offsets, total)
    }

    /// The lower bound: the largest sum of bytes alive at one step.
    public static func peakLiveBytes(_ requests: [Request]) -> Int {
        guard let end = requests.map(\.last).max() else { return 0 }
        return (0...end).map { t in requests.filter { $0.first <= t && t <= $0.last }.reduce(0) { $0 + $1.bytes } }.max() ?? 0
    }
}
