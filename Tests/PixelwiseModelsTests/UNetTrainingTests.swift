import Testing
@testable import PixelwiseModels
import PixelwiseCore
import PixelwiseNN

@Suite struct UNetTrainingTests {
    /// A same-padding U-Net of depth 2 learns to reproduce a fixed 32×32 binary pattern from its input.
    @Test func smallUNetOverfitsPattern() throws {
        let net = try UNet(depth: 2, baseFilters: 8, padding: .same, batchNorm: true).makeGraph(seed: 3)
        let size = 32
        var raw = [Float](), labels = [Int32]()
        for y in 0..<size { for x in 0..<size {
            let inside = ((x / 8) + (y / 8)) % 2 == 0
            raw.append((inside ? 0.6 : -0.6) + Float((x * 7 + y * 13) % 5) * 0.05)
            labels.append(inside ? 1 : 0)
        } }
        let input = Tensor(shape: [1, 1, size, size], scalars: raw)
        var optimizer = Adam(learningRate: 0.01)
        let loss = SoftmaxCrossEntropy()
        var first: Float = 0, last: Float = 0
        for step in 0..<60 {
            net.zeroGradients()
            let out = try net.forward(input, mode: .training)
            let (value, grad) = try loss.evaluate(out, Target(labels: labels))
            if step == 0 { first = value }
            last = value
            try net.backward(grad)
            optimizer.update(net.parameters)
        }
        #expect(last < first * 0.2, "loss \(first) → \(last)")
        let out = try net.forward(input, mode: .inference).scalars
        var correct = 0
        for p in 0..<(size * size) where (out[size * size + p] > out[p]) == (labels[p] == 1) { correct += 1 }
        #expect(Double(correct) / Double(size * size) > 0.97)
    }

    @Test func validUNetShapes() throws {
        let net = try UNet(depth: 4, baseFilters: 64, padding: .valid).makeGraph()
        #expect(try net.outputShape(for: [1, 1, 572, 572]) == [1, 2, 388, 388])
        // Ronneberger/Tschopp: ≈ 31·10⁶ parameters with biases for two classes.
        #expect(net.parameterCount > 30_000_000 && net.parameterCount < 32_000_000)
    }
}
