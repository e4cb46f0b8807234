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

/// Splits a shape of rank 4 or 5 into (N, C, D, H, W) with D = 1 for images, so that the
/// plain Swift kernels handle 2-D and 3-D with one loop nest.
struct Extent {
    let n, c, d, h, w: Int
    init(_ s: Shape) {
        n = s[0]; c = s[1]
        if s.rank == 5 { d = s[2]; h = s[3]; w = s[4] } else { d = 1; h = s[2]; w = s[3] }
    }
    var pixels: Int { d * h * w }
}
