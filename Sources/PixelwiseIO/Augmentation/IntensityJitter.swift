import PixelwiseCore
#if canImport(Glibc)
import Glibc
#else
import Foundation
@inline(__always) private func powf(_ x: Float, _ y: Float) -> Float { pow(x, y) }
#endif

/// Random brightness, contrast and gamma changes of a raw plane whose values lie in `range`.
///
///   y = clamp(m + c · (x − m) + b),   m = plane mean, c ~ U(1 − contrast, 1 + contrast),
///                                     b ~ U(−brightness, brightness) · (hi − lo) / 2
///   then  y = lo + (hi − lo) · u^γ,   u = (y − lo) / (hi − lo),  γ = exp(N(0, gamma)).
/// Each amount 0 switches that change off.
public struct IntensityJitter: Sendable, Equatable {
    public var brightness: Float
    public var contrast: Float
    public var gamma: Float

    public init(brightness: Float = 0, contrast: Float = 0, gamma: Float = 0) {
        self.brightness = brightness
        self.contrast = contrast
        self.gamma = gamma
    }

    public var isIdentity: Bool { brightness == 0 && contrast == 0 && gamma == 0 }

    /// The three random values for one patch (the same for all of its channels).
    public func draw(using rng: inout SeededGenerator) -> (shift: Float, factor: Float, gamma: Float) {
        let shift = brightness > 0 ? (rng.nextUniform() * 2 - 1) * brightness : 0
        let factor = contrast > 0 ? 1 + (rng.nextUniform() * 2 - 1) * contrast : 1
        let g = gamma > 0 ? Float(exp(Double(rng.nextNormal() * gamma))) : 1
        return (shift, factor, g)
    }

    public static func apply(_ plane: Plane<Float>, shift: Float, factor: Float, gamma: Float, range: ClosedRange<Float>) -> Plane<Float> {
        let lo = range.lowerBound, span = range.upperBound - range.lowerBound
        let mean = plane.values.reduce(0, +) / Float(max(plane.values.count, 1))
        let b = shift * span / 2
        var out = plane
        for i in out.values.indices {
            var y = mean + factor * (out.values[i] - mean) + b
            y = min(range.upperBound, max(lo, y))
            if gamma != 1 { y = lo + span * powf((y - lo) / span, gamma) }
            out.values[i] = y
        }
        return out
    }
}

/// Per-patch rescaling of the raw values before they enter the network (Tschopp §4.2).
public enum PatchNormalisation: String, Sendable, Equatable, CaseIterable {
    /// Leave values as they are (images are already normalised on loading).
    case none
    /// Stretch each channel's [min, max] to [−1, 1] (a constant patch becomes 0).
    case minMax
    /// Zero mean, unit standard deviation per channel (a constant patch becomes 0).
    case standardise

    public func apply(to plane: Plane<Float>) -> Plane<Float> {
        var out = plane
        switch self {
        case .none:
            break
        case .minMax:
            let lo = plane.values.min() ?? 0, hi = plane.values.max() ?? 0
            let scale: Float = hi > lo ? 2 / (hi - lo) : 0
            for i in out.values.indices { out.values[i] = hi > lo ? (plane.values[i] - lo) * scale - 1 : 0 }
        case .standardise:
            let n = Double(max(plane.values.count, 1))
            let mean = plane.values.reduce(0.0) { $0 + Double($1) } / n
            let variance = plane.values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
            let inv = variance > 0 ? 1 / variance.squareRoot() : 0
            for i in out.values.indices { out.values[i] = Float((Double(plane.values[i]) - mean) * inv) }
        }
        return out
    }
}
