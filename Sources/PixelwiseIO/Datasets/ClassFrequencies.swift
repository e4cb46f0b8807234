import PixelwiseCore

/// Pixel counts per class over a set of label maps, and the balancing derived from them:
/// class weights for the loss and Tschopp's error masking (§4.3, Eq. 4.3).
public struct ClassFrequencies: Sendable, Equatable {
    /// Pixels per class (ignored pixels not counted).
    public let counts: [Int]

    public init(counts: [Int]) { self.counts = counts }

    /// Counts the classes 0…classCount−1 in every sample's labels. Throws for a class index
    /// outside that range (other than `LabelMap.ignore`).
    public init(samples: [Sample], classCount: Int) throws {
        var counts = [Int](repeating: 0, count: classCount)
        for s in samples {
            for c in s.labels where c != LabelMap.ignore {
                guard c >= 0, Int(c) < classCount else {
                    throw PixelwiseError.invalidArgument("\(s.name): class \(c) outside 0…\(classCount - 1)")
                }
                counts[Int(c)] += 1
            }
        }
        self.counts = counts
    }

    public var total: Int { counts.reduce(0, +) }

    /// c_i = counts_i / total.
    public var frequencies: [Double] {
        let t = Double(max(total, 1))
        return counts.map { Double($0) / t }
    }

    /// Inverse-frequency class weights w_i = 1 / (n · c_i) for the n present classes (0 for
    /// absent ones): every present class then carries the same total weight, and Σ_i c_i w_i = 1,
    /// so the mean loss keeps its scale.
    public var inverseFrequencyWeights: [Float] {
        let c = frequencies
        let present = Double(c.filter { $0 > 0 }.count)
        return c.map { $0 > 0 ? Float(1 / (present * $0)) : 0 }
    }

    /// Error masking (Tschopp Eq. 4.3): a pixel of class i keeps its error with probability
    /// min_k c_k / c_i (over present classes), which balances the expected class histogram of the
    /// unmasked pixels; the rarest class is never masked.
    public var maskKeepProbabilities: [Float] {
        let c = frequencies
        guard let rarest = c.filter({ $0 > 0 }).min() else { return c.map { _ in 0 } }
        return c.map { $0 > 0 ? Float(rarest / $0) : 0 }
    }

    /// A random error mask for one label patch: 1 keeps the pixel's error, 0 drops it.
    /// Ignored pixels are always 0.
    public func errorMask(for labels: [Int32], using rng: inout SeededGenerator) -> [Float] {
        let keep = maskKeepProbabilities
        return labels.map { c in
            guard c >= 0, Int(c) < keep.count else { return 0 }
            return rng.nextUniform() < keep[Int(c)] ? 1 : 0
        }
    }
}
