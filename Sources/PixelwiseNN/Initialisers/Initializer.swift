import PixelwiseCore

/// How a layer's weights are drawn. Biases start at zero.
///
/// - `he`: N(0, σ²) with σ = √(2 / (f_in·k^n)) — He et al. 2015, Tschopp's choice for U-Nets
///   (f_in input channels, k^n the kernel's pixel count).
/// - `gaussian`: N(μ, σ²) — Tschopp uses σ = 0.01 for SK-Nets.
/// - `glorotUniform` / `glorotNormal`: Glorot & Bengio 2010, limit √(6 / (f_in + f_out)) and
///   σ = √(2 / (f_in + f_out)) with fans multiplied by the kernel's pixel count.
public enum Initializer: Codable, Equatable, Sendable {
    case he
    case gaussian(mean: Float, standardDeviation: Float)
    case glorotUniform
    case glorotNormal

    /// Values for a weight of `count` elements with the given fans (already × kernel pixels).
    public func sample(count: Int, fanIn: Int, fanOut: Int, using g: inout SeededGenerator) -> [Float] {
        switch self {
        case .he:
            let sigma = (2 / Float(fanIn)).squareRoot()
            return (0..<count).map { _ in sigma * g.nextNormal() }
        case .gaussian(let mean, let sd):
            return (0..<count).map { _ in mean + sd * g.nextNormal() }
        case .glorotUniform:
            let limit = (6 / Float(fanIn + fanOut)).squareRoot()
            return (0..<count).map { _ in (2 * g.nextUniform() - 1) * limit }
        case .glorotNormal:
            let sigma = (2 / Float(fanIn + fanOut)).squareRoot()
            return (0..<count).map { _ in sigma * g.nextNormal() }
        }
    }
}
