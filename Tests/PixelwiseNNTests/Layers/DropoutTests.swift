import Testing
@testable import PixelwiseNN
import PixelwiseTestSupport
import PixelwiseCore
import PixelwiseKernels

@Suite struct DropoutTests {
    @Test(arguments: [Layout.rowMajor, .channelsLast])
    func zeroProbabilityIsIdentity(_ layout: Layout) throws {
        let layer = try Dropout(probability: 0)
        var data = TestData(seed: 91)
        let shape = [2, 5, 6, 7]
        let x = data.uniform(shape.reduce(1, *))
        let check = LayerCheck(inputs: [(shape, x)], layout: layout, seed: 92)
        try check.run(layer, "dropout p=0") { ins, _ in ins[0] }
    }

    @Test func inferenceIsIdentity() throws {
        let layer = try Dropout(probability: 0.5)
        let x = tensor([1, 3, 4, 4], TestData(seed: 93).uniformCopy(48))
        #expect(try layer.forward([x], mode: .inference).scalars == x.scalars)
    }

    /// In training about p of the elements are zeroed, the rest scaled by 1/(1 − p) (so the mean
    /// is kept), and the gradient goes through the same mask with the same scale.
    @Test(arguments: [Layout.rowMajor, .channelsLast])
    func maskStatistics(_ layout: Layout) throws {
        let p: Float = 0.3
        let layer = try Dropout(probability: p)
        let shape = [2, 17, 32, 32], count = shape.reduce(1, *)
        var data = TestData(seed: 94)
        let x = data.uniform(count, in: 0.5...1.5)
        let xt = tensor(shape, x, layout)
        let y = try layer.forward([xt], mode: .training)
        let ys = y.scalars
        var dropped = 0
        for i in 0..<count {
            if ys[i] == 0 { dropped += 1 } else { #expect(abs(ys[i] - x[i] / (1 - p)) <= 1e-6 * abs(ys[i])) }
        }
        // Binomial(n, 0.3): standard deviation √(n·p·(1 − p)) ≈ 84 for n = 34 816; allow 4σ.
        let sigma = (Double(count) * 0.3 * 0.7).squareRoot()
        #expect(abs(Double(dropped) - 0.3 * Double(count)) < 4 * sigma, "\(dropped) of \(count) dropped")
        let meanRatio = ys.doubles.reduce(0, +) / x.doubles.reduce(0, +)
        #expect(abs(meanRatio - 1) < 0.02)

        let g = data.uniform(count)
        let dx = try layer.backward(tensor(shape, g, y.layout), inputs: [xt], output: y, needsInputGradient: [true])[0]!.scalars
        expectClose(dx, (0..<count).map { ys[$0] == 0 ? 0 : g[$0] / (1 - p) }, tolerance: 1e-6, "gradient mask")

        // A second forward draws a new mask.
        let y2 = try layer.forward([xt], mode: .training).scalars
        #expect((0..<count).contains { (ys[$0] == 0) != (y2[$0] == 0) })
    }
}

extension TestData {
    func uniformCopy(_ count: Int) -> [Float] {
        var copy = self
        return copy.uniform(count)
    }
}
