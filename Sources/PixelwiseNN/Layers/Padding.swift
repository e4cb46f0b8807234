import PixelwiseCore

/// Padding of a convolution, per spatial axis.
/// - `valid`: none; the output shrinks by d·(k − 1) (Tschopp's U-Net: 572 → 388).
/// - `same`: enough zeros that the output is ⌈input / stride⌉; odd totals put the extra zero at the end.
/// - `explicit`: given low/high amounts per axis.
public enum Padding: Codable, Equatable, Sendable {
    case valid
    case same
    case explicit(low: [Int], high: [Int])

    /// Low and high padding for one axis.
    func amounts(axis: Int, input: Int, kernel: Int, stride: Int, dilation: Int) -> (Int, Int) {
        switch self {
        case .valid: return (0, 0)
        case .same:
            let output = (input + stride - 1) / stride
            let total = max((output - 1) * stride + dilation * (kernel - 1) + 1 - input, 0)
            return (total / 2, total - total / 2)
        case .explicit(let low, let high): return (low[axis], high[axis])
        }
    }
}
