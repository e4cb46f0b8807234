import Testing
@testable import PixelwiseModels
import PixelwiseNN

/// Every 2-D preset, at reduced width, runs forward and backward on a real ISBI patch and its loss
/// falls (the 3-D presets: `UNet3DTests`).
@Suite struct PresetTrainingTests {
    /// Small valid input per preset: same-padding U-Nets need multiples of 16; the valid
    /// networks take their smallest useful size (checked by `isValidInputSize`).
    static let inputs: [String: Int] = [
        "unet": 32, "resunet": 32, "magmadnn-unet": 32, "intel-unet": 32, "intel-unet-nearest": 32,
        "tschopp-unet": 204, "sw-net": 102, "sk-net": 117, "usk-net": 198,
    ]

    static let twoDimensional = ModelZoo.presets.map(\.name).filter { !$0.hasPrefix("unet3d") }

    @Test func everyPresetIsCovered() {
        #expect(Set(Self.twoDimensional) == Set(Self.inputs.keys))
    }

    @Test(arguments: twoDimensional)
    func lossDecreasesOnISBIPatch(_ name: String) throws {
        let preset = try ModelZoo.preset(named: name)
        let graph = try preset.makeGraph(PresetOptions(baseFilters: 4, seed: 7))
        let n = try #require(Self.inputs[name])
        #expect(graph.isValidInputSize(n))
        let out = try graph.outputSize(for: n)
        let (input, labels) = ISBIFixture.sample(input: n, output: out)
        var optimizer = Adam(learningRate: 3e-3)
        let loss = SoftmaxCrossEntropy()
        var values: [Float] = []
        for _ in 0..<6 {
            graph.zeroGradients()
            let y = try graph.forward(input, mode: .training)
            #expect(y.shape == [1, 2, out, out])
            let (value, gradient) = try loss.evaluate(y, Target(labels: labels))
            values.append(value)
            try graph.backward(gradient)
            optimizer.update(graph.parameters)
        }
        #expect(!values.contains { !$0.isFinite })
        #expect(values.last! < values.first!, "\(name): losses \(values)")
    }
}
