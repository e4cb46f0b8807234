import Testing
import PixelwiseCore
@testable import PixelwiseIO

@Suite struct IntensityTests {
    @Test func blurKeepsConstantsAndSpreadsAnImpulseByTheKernel() {
        let constant = Plane(width: 20, height: 20, values: [Float](repeating: 0.25, count: 400))
        #expect(GaussianBlur.blurred(constant, sigma: 1.5).values.allSatisfy { abs($0 - 0.25) < 1e-6 })
        var impulse = Plane(width: 21, height: 21, values: [Float](repeating: 0, count: 441))
        impulse[10, 10] = 1
        let k = GaussianBlur.kernel(sigma: 1)
        #expect(k.count == 7 && abs(k.reduce(0, +) - 1) < 1e-6)
        let out = GaussianBlur.blurred(impulse, sigma: 1)
        #expect(abs(out[10, 10] - k[3] * k[3]) < 1e-7)
        #expect(abs(out[12, 9] - k[5] * k[2]) < 1e-7)
        #expect(abs(out.values.reduce(0, +) - 1) < 1e-5)
    }

    @Test func patchNormalisations() {
        let p = randomPlane(width: 16, height: 16, seed: 4, in: 0.2...0.5)
        let mm = PatchNormalisation.minMax.apply(to: p).values
        #expect(abs(mm.min()! + 1) < 1e-6 && abs(mm.max()! - 1) < 1e-6)
        let st = PatchNormalisation.standardise.apply(to: p).values
        #expect(abs(st.reduce(0, +) / 256) < 1e-5)
        #expect(abs(standardDeviation(st) - 1) < 1e-4)
    }

    @Test func jitterAppliesShiftContrastAndGamma() {
        let p = Plane<Float>(width: 2, height: 1, values: [-0.5, 0.5])          // mean 0
        let shifted = IntensityJitter.apply(p, shift: 0.1, factor: 2, gamma: 1, range: -1...1)
        // 2(x − 0) + 0.1, clamped to [−1, 1].
        #expect(abs(shifted.values[0] + 0.9) < 1e-6 && shifted.values[1] == 1)
        let g = IntensityJitter.apply(Plane<Float>(width: 1, height: 1, values: [0]), shift: 0, factor: 1, gamma: 2, range: -1...1)
        #expect(abs(g.values[0] - (-0.5)) < 1e-6)                         // u = 0.5 → 0.25 → −0.5
    }
}
