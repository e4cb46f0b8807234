import Testing
@testable import PixelwiseNN
import PixelwiseCore
import PixelwiseKernels

/// Training convolutions by Winograd (forward and backward data) against oneDNN's direct ones.
@Suite struct WinogradTrainingTests {
    @Test(arguments: [Padding.same, Padding.valid])
    func forwardAndInputGradientMatchTheDirectConvolution(padding: Padding) throws {
        let conv = try Convolution(inputChannels: 32, outputChannels: 40, kernelSize: 3, padding: padding)
        var generator = SeededGenerator(seed: 3)
        conv.resetParameters(using: &generator)
        conv.bias!.value = Tensor.random([40], seed: 4)
        let x = Tensor.random([2, 32, 39, 34], seed: 5).inLayout(.channelsLast)  // 2 · 10 · 9 = 180 tiles
        let exact = ExecutionOptions(algorithms: .exact)
        let y = try conv.forward([x], mode: .training, options: exact)
        let dy = Tensor.random(y.shape, seed: 6).inLayout(y.layout)
        let dx = try conv.backward(dy, inputs: [x], output: y, needsInputGradient: [true], options: exact)[0]!
        let (dw, db) = (conv.weight.gradient!, conv.bias!.gradient!)
        conv.weight.zeroGradient()
        conv.bias!.zeroGradient()
        let winograd = ExecutionOptions(winograd: true)
        let yw = try conv.forward([x], mode: .training, options: winograd)
        let dxw = try conv.backward(dy, inputs: [x], output: yw, needsInputGradient: [true], options: winograd)[0]!
        #expect(yw.shape == y.shape && dxw.shape == dx.shape)
        #expect(yw.maxAbsDifference(y) <= 1e-5 * y.maxAbs)
        #expect(dxw.maxAbsDifference(dx) <= 1e-5 * dx.maxAbs)
        // dL/dw by F(3×3, 4×4), dL/db by a plain sum.
        #expect(conv.weight.gradient!.maxAbsDifference(dw) <= 1e-4 * dw.maxAbs)
        #expect(conv.bias!.gradient!.maxAbsDifference(db) <= 1e-5 * db.maxAbs)
        #expect(conv.weight.gradient!.maxAbsDifference(dw) > 0, "Winograd ran for the weights too")
        #expect(yw.maxAbsDifference(y) > 0, "Winograd ran (not the same kernel)")
    }

    /// max |y_Winograd-enabled − y_direct| of a 3×3 same convolution on `input` (0: it stayed direct).
    static func winogradChange(channels: Int, input: Shape) throws -> Float {
        let conv = try Convolution(inputChannels: input[1], outputChannels: channels, kernelSize: 3, padding: .same)
        var generator = SeededGenerator(seed: 3)
        conv.resetParameters(using: &generator)
        let x = Tensor.random(input, seed: 5).inLayout(.channelsLast)
        let y = try conv.forward([x], mode: .training, options: ExecutionOptions(algorithms: .exact))
        let yw = try conv.forward([x], mode: .training, options: ExecutionOptions(winograd: true))
        return yw.maxAbsDifference(y)
    }

    @Test func narrowLayersStayDirect() throws {
        #expect(try Self.winogradChange(channels: 16, input: [1, 16, 12, 12]) == 0)
    }

    /// Below `minimumTiles` (here 2 · 4 · 4 = 32 tiles) the weight transforms cost more than they save.
    @Test func smallBatchesStayDirect() throws {
        #expect(try Self.winogradChange(channels: 32, input: [2, 32, 16, 16]) == 0)
        #expect(try Self.winogradChange(channels: 32, input: [8, 32, 16, 16]) > 0)  // 128 tiles
    }

    /// A whole training step of a small U-Net-like graph: the loss and every parameter gradient
    /// stay within rounding of the direct convolutions'.
    @Test func aTrainingStepKeepsItsGradients() throws {
        func graph() throws -> Graph {
            let g = Graph(inputChannels: 1)
            var x = try g.add("c1", Convolution(inputChannels: 1, outputChannels: 32, kernelSize: 3, padding: .same), g.input)
            x = try g.add("r1", ReLU(), x)
            x = try g.add("c2", Convolution(inputChannels: 32, outputChannels: 32, kernelSize: 3, padding: .same, bias: false), x)
            x = try g.add("bn", BatchNormalization(channels: 32), x)
            x = try g.add("r2", ReLU(), x)
            x = try g.add("c3", Convolution(inputChannels: 32, outputChannels: 32, kernelSize: 3, padding: .same), x)
            x = try g.add("r3", ReLU(), x)
            try g.add("head", Convolution(inputChannels: 32, outputChannels: 2, kernelSize: 1), x)
            g.resetParameters(seed: 8)
            return g
        }
        let x = Tensor.random([2, 1, 36, 36], seed: 9)  // 2 · 9 · 9 = 162 tiles: Winograd runs
        let target = Target(labels: x.scalars.map { $0 > 0 ? 1 : 0 })
        func step(_ winograd: Bool) throws -> (Float, [[Float]]) {
            let g = try graph()
            g.trainingOptions.algorithms = winograd ? .winograd : .exact
            let y = try g.forward(x, mode: .training)
            let (value, gradient) = try SoftmaxCrossEntropy().evaluate(y, target)
            try g.backward(gradient)
            return (value, g.parameters.map { $0.parameter.gradient!.scalars })
        }
        let (direct, directGradients) = try step(false)
        let (winograd, winogradGradients) = try step(true)
        #expect(abs(winograd - direct) <= 1e-5 * direct)
        for (a, b) in zip(directGradients, winogradGradients) {
            let scale = a.map { abs($0) }.max()!
            #expect(zip(a, b).map { abs($0 - $1) }.max()! <= 1e-4 * scale)
        }
        #expect(directGradients != winogradGradients, "Winograd ran")
    }
}
