import Testing
@testable import PixelwiseAlgorithms
import PixelwiseTestSupport

/// The Affinity layer's backward (Eq. 5.9–5.11) against central differences of
/// f(I⁺) = Σ_e c_e A_e(I⁺) with random edge weights c: ∂f/∂I⁺_p = Σ_{e : argmin_e = p} c_e.
@Suite struct AffinityGradientTests {
    /// Distinct probabilities at least 1/(n+1) apart, in random order, so a step of h ≪ 1/(n+1)
    /// never changes which endpoint of an edge is the minimum.
    static func distinctProbabilities(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (1...n).map { Float($0) / Float(n + 1) }.shuffled(using: &rng)
    }

    func check(width: Int, height: Int, depth: Int, seed: UInt64) {
        let n = width * height * depth
        var p = Self.distinctProbabilities(n, seed: seed)
        var rng = SplitMix64(seed: seed + 100)
        let graph = affinities(from: p, width: width, height: height, depth: depth)
        let c = (0..<graph.edgeCount).map { _ in Float.random(in: -1...1, using: &rng) }
        func f(_ p: [Float]) -> Double {
            let g = affinities(from: p, width: width, height: height, depth: depth)
            return zip(c, g.values).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        let analytic = graph.backward(edgeGradient: c)
        let h: Float = 1e-3
        var worst: Double = 0
        for i in 0..<n {
            let v = p[i]
            p[i] = v + h; let up = f(p)
            p[i] = v - h; let down = f(p)
            p[i] = v
            let numeric = (up - down) / Double(2 * h)
            worst = max(worst, abs(numeric - Double(analytic[i])))
        }
        #expect(worst < 1e-3, "max |analytic − numeric| = \(worst)")
        // Some pixel is the minimum of several edges and some of none: the test has signal.
        #expect(analytic.contains { $0 == 0 } && analytic.map(abs).max()! > 0.5)
    }

    @Test func imageGradient() { check(width: 7, height: 5, depth: 1, seed: 1) }
    @Test func volumeGradient() { check(width: 4, height: 3, depth: 3, seed: 2) }
}
