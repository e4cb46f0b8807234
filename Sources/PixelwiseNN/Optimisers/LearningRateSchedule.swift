#if canImport(Glibc)
import Glibc
#endif

/// How the learning rate moves over a run of `total` iterations (η₀ = the base rate, i the
/// 0-based iteration):
/// - `constant`: η₀;
/// - `step(every: k, factor: γ)`: η₀ · γ^⌊i/k⌋ (Caffe's "step");
/// - `polynomial(power: p)`: η₀ · (1 − i/total)^p (nnU-Net: p = 0.9);
/// - `cosine`: η₀ · ½ (1 + cos(π i/total)) (Loshchilov & Hutter, without restarts).
///
/// Warm-up (`rate(at:of:base:warmup:)`) ramps linearly, η₀ · (i + 1)/W for i < W, then runs the
/// schedule over the remaining total − W iterations, so it starts where the warm-up ends.
/// Without a known total, `polynomial` and `cosine` stay at η₀.
public enum LearningRateSchedule: Codable, Equatable, Sendable {
    case constant
    case step(every: Int, factor: Float)
    case polynomial(power: Float)
    case cosine

    /// The rate at 0-based `iteration` of `total` (no warm-up).
    public func rate(at iteration: Int, of total: Int?, base: Float) -> Float {
        switch self {
        case .constant:
            return base
        case .step(let every, let factor):
            return every > 0 ? base * powf(factor, Float(iteration / every)) : base
        case .polynomial(let power):
            guard let total, total > 0 else { return base }
            return base * powf(max(0, 1 - Float(iteration) / Float(total)), power)
        case .cosine:
            guard let total, total > 0 else { return base }
            let t = min(1, Float(iteration) / Float(total))
            return base * 0.5 * (1 + cosf(Float.pi * t))
        }
    }

    /// The rate with a linear warm-up of `warmup` iterations in front.
    public func rate(at iteration: Int, of total: Int?, base: Float, warmup: Int) -> Float {
        guard warmup > 0 else { return rate(at: iteration, of: total, base: base) }
        if iteration < warmup { return base * Float(iteration + 1) / Float(warmup) }
        return rate(at: iteration - warmup, of: total.map { max($0 - warmup, 1) }, base: base)
    }
}
