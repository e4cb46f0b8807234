import PixelwiseCore

/// Reproducible test data.
public struct TestData {
    public var generator: SeededGenerator
    public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    /// Uniform values in `range`.
    public mutating func uniform(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in range.lowerBound + (range.upperBound - range.lowerBound) * generator.nextUniform() }
    }

    /// Values whose magnitude is at least `gap` (no element near a ReLU's kink).
    public mutating func awayFromZero(_ count: Int, gap: Float = 0.05) -> [Float] {
        uniform(count).map { $0 < 0 ? $0 - gap : $0 + gap }
    }

    /// A random permutation of evenly spaced values: all distinct, neighbours at least `spacing` apart,
    /// so that max pooling has no ties and small perturbations never change a window's arg-max.
    public mutating func distinct(_ count: Int, spacing: Float = 0.01) -> [Float] {
        var values = (0..<count).map { Float($0) * spacing - Float(count) * spacing / 2 }
        values.shuffle(using: &generator)
        return values
    }

    /// `k` distinct indices in 0..<count (all of them if count ≤ k).
    public mutating func sample(_ k: Int, of count: Int) -> [Int] {
        var all = Array(0..<count)
        all.shuffle(using: &generator)
        return Array(all.prefix(k)).sorted()
    }

    public mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &generator) }
}

/// A tensor from row-major values, stored in `layout`.
public func tensor(_ shape: [Int], _ values: [Float], _ layout: Layout = .rowMajor) -> Tensor {
    Tensor(shape: Shape(shape), scalars: values).inLayout(layout)
}

extension Array where Element == Float {
    public var doubles: [Double] { map { Double($0) } }
}

extension Array where Element == Double {
    public var floats: [Float] { map { Float($0) } }
}
