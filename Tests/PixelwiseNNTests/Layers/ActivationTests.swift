import Testing
@testable import PixelwiseNN
import PixelwiseTestSupport
import PixelwiseCore
import PixelwiseKernels

@Suite struct ActivationTests {
    static let shapes: [[Int]] = [[2, 3, 5, 7], [1, 17, 3, 4], [2, 5, 2, 3, 4]]

    @Test(arguments: shapes, [Layout.rowMajor, .channelsLast])
    func relu(_ shape: [Int], layout: Layout) throws {
        var data = TestData(seed: 81)
        let x = data.awayFromZero(shape.reduce(1, *))
        let check = LayerCheck(inputs: [(shape, x)], layout: layout, epsilon: 1e-3, seed: 82)
        try check.run(ReLU(), "relu \(shape)") { ins, _ in ElementwiseReference.relu(ins[0]) }
    }

    @Test(arguments: shapes, [Layout.rowMajor, .channelsLast])
    func leakyReLU(_ shape: [Int], layout: Layout) throws {
        var data = TestData(seed: 83)
        let x = data.awayFromZero(shape.reduce(1, *))
        let check = LayerCheck(inputs: [(shape, x)], layout: layout, epsilon: 1e-3, seed: 84)
        try check.run(LeakyReLU(.init(negativeSlope: 0.2)), "leaky relu \(shape)") { ins, _ in
            ElementwiseReference.leakyReLU(ins[0], slope: 0.2)
        }
    }

    @Test(arguments: shapes, [Layout.rowMajor, .channelsLast])
    func sigmoid(_ shape: [Int], layout: Layout) throws {
        var data = TestData(seed: 85)
        let x = data.uniform(shape.reduce(1, *), in: -4...4)
        let check = LayerCheck(inputs: [(shape, x)], layout: layout, seed: 86)
        try check.run(Sigmoid(), "sigmoid \(shape)") { ins, _ in ElementwiseReference.sigmoid(ins[0]) }
    }

    @Test(arguments: shapes, [Layout.rowMajor, .channelsLast])
    func channelSoftmax(_ shape: [Int], layout: Layout) throws {
        var data = TestData(seed: 87)
        let x = data.uniform(shape.reduce(1, *), in: -3...3)
        let check = LayerCheck(inputs: [(shape, x)], layout: layout, seed: 88)
        let y = try check.run(Softmax(), "softmax \(shape)") { ins, _ in ElementwiseReference.channelSoftmax(ins[0], shape: shape) }
        // Probabilities over the channel axis sum to one at every pixel.
        let pixels = shape.dropFirst(2).reduce(1, *), ys = y.scalars
        for n in 0..<shape[0] { for p in 0..<pixels {
            let s = (0..<shape[1]).reduce(Float(0)) { $0 + ys[(n * shape[1] + $1) * pixels + p] }
            #expect(abs(s - 1) < 1e-5)
        } }
    }

    /// Large logits must not overflow (the maximum is subtracted before exponentiating).
    @Test func softmaxIsStableForLargeLogits() throws {
        let y = try Softmax().forward([tensor([1, 3, 1, 1], [1000, 999, -1000])], mode: .inference).scalars
        let e = ElementwiseReference.channelSoftmax([1000, 999, -1000], shape: [1, 3, 1, 1])
        expectClose(y, e, tolerance: 1e-6)
    }
}
