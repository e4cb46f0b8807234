import Testing
@testable import PixelwiseNN
import PixelwiseCore

@Suite struct InitializerTests {
    func moments(_ v: [Float]) -> (mean: Double, sd: Double) {
        let m = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
        let s = v.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(v.count)
        return (m, s.squareRoot())
    }

    /// He: σ = √(2 / (f_in·k²)) for a 3×3 convolution of 32 input channels (σ = 1/12).
    @Test func heStandardDeviation() throws {
        let conv = try Convolution(inputChannels: 32, outputChannels: 64, kernelSize: 3, initializer: .he)
        var g = SeededGenerator(seed: 1)
        conv.resetParameters(using: &g)
        let (mean, sd) = moments(conv.weight.value.scalars)
        #expect(abs(mean) < 0.002)
        #expect(abs(sd - 1.0 / 12) / (1.0 / 12) < 0.02, "σ = \(sd)")
        #expect(conv.bias!.value.maxAbs == 0)
    }

    @Test func gaussianForSKNets() {
        var g = SeededGenerator(seed: 2)
        let (mean, sd) = moments(Initializer.gaussian(mean: 0.5, standardDeviation: 0.01).sample(count: 20_000, fanIn: 9, fanOut: 9, using: &g))
        #expect(abs(mean - 0.5) < 0.0005 && abs(sd - 0.01) < 0.0003)
    }

    @Test func glorot() {
        var g = SeededGenerator(seed: 3)
        let limit = (6.0 / 200).squareRoot()
        let u = Initializer.glorotUniform.sample(count: 20_000, fanIn: 80, fanOut: 120, using: &g)
        #expect(u.allSatisfy { abs(Double($0)) <= limit })
        #expect(abs(moments(u).sd - limit / 3.0.squareRoot()) / limit < 0.02)
        #expect(u.contains { Double($0) > 0.95 * limit } && u.contains { Double($0) < -0.95 * limit })
        let n = Initializer.glorotNormal.sample(count: 20_000, fanIn: 80, fanOut: 120, using: &g)
        #expect(abs(moments(n).sd - 0.1) < 0.002)
    }

    @Test func seededAndReproducible() {
        for initializer in [Initializer.he, .gaussian(mean: 0, standardDeviation: 0.01), .glorotUniform, .glorotNormal] {
            var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9), c = SeededGenerator(seed: 10)
            let x = initializer.sample(count: 100, fanIn: 9, fanOut: 9, using: &a)
            #expect(x == initializer.sample(count: 100, fanIn: 9, fanOut: 9, using: &b))
            #expect(x != initializer.sample(count: 100, fanIn: 9, fanOut: 9, using: &c))
        }
    }
}
