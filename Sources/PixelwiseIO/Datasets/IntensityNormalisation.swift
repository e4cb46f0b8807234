import PixelwiseCore

/// How the values of one input channel become network inputs. Computed per image (per 2-D slice
/// for volumes read slice by slice), so it needs no statistics of the data set and `segment`
/// reproduces what training did from the value alone; `Codable` so the model file can keep it.
///
/// `.typeRange` is the old default (x / the sample type's maximum); the others suit data whose
/// range says nothing (MRI, float microscopy): nnU-Net normalises MRI by `.zScore`, CT by clipping
/// to percentiles; `.fixedRange` suits CT in Hounsfield units or 12-bit cameras.
public enum IntensityNormalisation: Codable, Equatable, Sendable {
    /// x / max of the sample type (255 for 8-bit, 65535 for 16-bit, 1 for float files), then to
    /// [−1, 1] (`symmetric`) or [0, 1].
    case typeRange(symmetric: Bool)
    /// (x − mean) / max(std, 10⁻⁸) over this image's channel, std the population standard
    /// deviation (nnU-Net's `ZScoreNormalization`). With `nonZeroOnly`, mean and std are taken over
    /// the non-zero pixels and zero pixels stay 0 (nnU-Net's `use_mask_for_norm` for skull-stripped
    /// MRI such as BraTS, whose background is exactly 0).
    case zScore(nonZeroOnly: Bool)
    /// Clip to this image's `low` and `high` percentiles (0…100, linear interpolation between
    /// order statistics as numpy's default), then map [p_low, p_high] linearly to [−1, 1].
    case percentile(low: Double, high: Double)
    /// Clip to [low, high], then map linearly to [−1, 1].
    case fixedRange(low: Float, high: Float)

    /// Checks the parameters; throws `PixelwiseError.invalidArgument` in one line.
    public func validate() throws {
        switch self {
        case .typeRange, .zScore: return
        case .percentile(let low, let high):
            guard 0 <= low, low < high, high <= 100 else {
                throw PixelwiseError.invalidArgument("percentile normalisation needs 0 ≤ low < high ≤ 100, got \(low) and \(high)")
            }
        case .fixedRange(let low, let high):
            guard low < high, low.isFinite, high.isFinite else {
                throw PixelwiseError.invalidArgument("fixed-range normalisation needs low < high, got \(low) and \(high)")
            }
        }
    }

    /// Normalises `count` values at `values[start], values[start + stride], …` in place.
    /// `typeMaximum` is the file's sample-type maximum (used by `.typeRange` only).
    func apply(_ values: inout [Float], start: Int, stride: Int, count: Int, typeMaximum: Float) {
        let indices = Swift.stride(from: start, to: start + stride * count, by: stride)
        switch self {
        case .typeRange(let symmetric):
            let scale = 1 / typeMaximum
            for i in indices { values[i] = symmetric ? values[i] * scale * 2 - 1 : values[i] * scale }
        case .zScore(let nonZeroOnly):
            var sum = 0.0, n = 0
            for i in indices where !nonZeroOnly || values[i] != 0 { sum += Double(values[i]); n += 1 }
            guard n > 0 else { return }  // all zero with nonZeroOnly: stays 0
            let mean = sum / Double(n)
            var squares = 0.0
            for i in indices where !nonZeroOnly || values[i] != 0 { squares += (Double(values[i]) - mean) * (Double(values[i]) - mean) }
            let scale = 1 / max((squares / Double(n)).squareRoot(), 1e-8)
            for i in indices where !nonZeroOnly || values[i] != 0 { values[i] = Float((Double(values[i]) - mean) * scale) }
        case .percentile(let low, let high):
            var sorted = indices.map { values[$0] }
            sorted.sort()
            let lo = Self.percentile(sorted, low), hi = Self.percentile(sorted, high)
            Self.mapRange(&values, indices, lo, hi)
        case .fixedRange(let low, let high):
            Self.mapRange(&values, indices, low, high)
        }
    }

    /// Clip to [lo, hi] and map linearly to [−1, 1] (everything 0 when lo = hi).
    private static func mapRange(_ values: inout [Float], _ indices: StrideTo<Int>, _ lo: Float, _ hi: Float) {
        guard hi > lo else {
            for i in indices { values[i] = 0 }
            return
        }
        let scale = 2 / (hi - lo)
        for i in indices { values[i] = (min(max(values[i], lo), hi) - lo) * scale - 1 }
    }

    /// The p-th percentile of sorted values: position p/100 · (n − 1), interpolated linearly.
    static func percentile(_ sorted: [Float], _ p: Double) -> Float {
        guard !sorted.isEmpty else { return 0 }
        let position = p / 100 * Double(sorted.count - 1)
        let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
        let fraction = Float(position - Double(below))
        return sorted[below] + (sorted[above] - sorted[below]) * fraction
    }
}

extension IntensityNormalisation {
    /// The command-line form: `type` (or `type-unit` for [0, 1]), `zscore`, `zscore-nonzero`,
    /// `percentile:LOW,HIGH`, `range:LOW,HIGH`. Throws a one-line `invalidArgument`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let numbers = parts.count == 2 ? parts[1].split(separator: ",").map { Double($0) } : []
        func pair() throws -> (Double, Double) {
            guard numbers.count == 2, let a = numbers[0], let b = numbers[1] else {
                throw PixelwiseError.invalidArgument("normalisation \"\(text)\" needs two numbers, e.g. \(parts[0]):0.5,99.5")
            }
            return (a, b)
        }
        switch parts[0] {
        case "type": self = .typeRange(symmetric: true)
        case "type-unit": self = .typeRange(symmetric: false)
        case "zscore": self = .zScore(nonZeroOnly: false)
        case "zscore-nonzero": self = .zScore(nonZeroOnly: true)
        case "percentile": let (a, b) = try pair(); self = .percentile(low: a, high: b)
        case "range": let (a, b) = try pair(); self = .fixedRange(low: Float(a), high: Float(b))
        default:
            throw PixelwiseError.invalidArgument("unknown normalisation \"\(text)\" (type, type-unit, zscore, zscore-nonzero, percentile:LOW,HIGH, range:LOW,HIGH)")
        }
        try validate()
    }

    /// Parses a list separated by spaces or `;` (one entry for all channels, or one per channel).
    public static func list(parsing text: String) throws -> [IntensityNormalisation] {
        try text.split(whereSeparator: { $0 == " " || $0 == ";" }).map { try IntensityNormalisation(parsing: String($0)) }
    }
}
