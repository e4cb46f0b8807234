import PixelwiseCore

/// Tschopp's error masking (Tschopp 2015, label balancing): in each batch a pixel of class i is
/// dropped (its error masked) with probability 1 − n_min / n_i, where n_i counts the batch's
/// labelled pixels of class i and n_min is the count of the least frequent class present. Every
/// class then contributes about n_min pixels; the least frequent class is never dropped.
///
/// Wraps any per-pixel loss that honours `Target.weights` (a dropped pixel gets weight 0, so it
/// contributes exactly nothing to the value or the gradient). The draws come from a seeded
/// generator, so a run is reproducible; its state advances with every batch.
public struct ErrorMasked<Base: Loss>: Loss {
    public var base: Base
    public var generator: SeededGenerator
    /// A label value that is not counted (in addition to negative labels); use the base loss's.
    public var ignoreLabel: Int32?

    public init(_ base: Base, seed: UInt64, ignoreLabel: Int32? = nil) {
        self.base = base
        self.generator = SeededGenerator(seed: seed)
        self.ignoreLabel = ignoreLabel
    }

    /// Keep probability n_min / n_i per class, from the labels' class counts.
    static func keepProbabilities(_ labels: [Int32], ignoreLabel: Int32?) -> [Int32: Float] {
        var counts: [Int32: Int] = [:]
        for y in labels where y >= 0 && y != ignoreLabel { counts[y, default: 0] += 1 }
        guard let least = counts.values.min() else { return [:] }
        return counts.mapValues { Float(least) / Float($0) }
    }

    /// The 0/1 mask for one batch (one uniform draw per labelled pixel, in pixel order).
    public mutating func mask(for labels: [Int32]) -> [Float] {
        let keep = ErrorMasked.keepProbabilities(labels, ignoreLabel: ignoreLabel)
        return labels.map { y in
            guard let k = keep[y] else { return 0 }
            return k >= 1 || generator.nextUniform() < k ? 1 : 0
        }
    }

    public mutating func prepare(iteration: Int) { base.prepare(iteration: iteration) }

    public mutating func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
        try checkTarget(output, target)
        var masked = target
        let m = mask(for: target.labels)
        masked.weights = target.weights.map { w in zip(w, m).map { $0 * $1 } } ?? m
        return try base.evaluate(output, masked)
    }
}
