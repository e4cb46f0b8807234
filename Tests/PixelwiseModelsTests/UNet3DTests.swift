import Testing
@testable import PixelwiseModels
import PixelwiseCore
import PixelwiseNN

/// The 3-D U-Net presets: shapes, anisotropic kernels, and training on a volume.
@Suite struct UNet3DTests {
    /// A 16³ volume: class 1 inside a ball, 0 outside; the raw values show it through noise.
    static func ballVolume(side n: Int, seed: UInt64) -> (input: Tensor, labels: [Int32]) {
        var labels = [Int32](repeating: 0, count: n * n * n)
        let c = Float(n - 1) / 2, r = Float(n) / 3
        for z in 0..<n { for y in 0..<n { for x in 0..<n {
            let d = ((Float(z) - c) * (Float(z) - c) + (Float(y) - c) * (Float(y) - c) + (Float(x) - c) * (Float(x) - c)).squareRoot()
            labels[(z * n + y) * n + x] = d < r ? 1 : 0
        } } }
        let noise = Tensor.random([1, 1, n, n, n], seed: seed).scalars
        let raw = zip(labels, noise).map { Float($0) + 0.3 * $1 }
        return (Tensor(shape: [1, 1, n, n, n], scalars: raw), labels)
    }

    @Test(arguments: ["unet3d", "unet3d-anisotropic"])
    func trainsOnAVolume(_ name: String) throws {
        let graph = try ModelZoo.preset(named: name).makeGraph(PresetOptions(baseFilters: 4, seed: 3))
        #expect(graph.spatialRank == 3)
        let (input, labels) = Self.ballVolume(side: 16, seed: 5)
        var optimizer = Adam(learningRate: 3e-3)
        let loss = SoftmaxCrossEntropy()
        var values: [Float] = []
        for _ in 0..<8 {
            graph.zeroGradients()
            let y = try graph.forward(input, mode: .training)
            #expect(y.shape == [1, 2, 16, 16, 16])
            let (value, gradient) = try loss.evaluate(y, Target(labels: labels))
            values.append(value)
            try graph.backward(gradient)
            optimizer.update(graph.parameters)
        }
        #expect(values.allSatisfy { $0.isFinite })
        #expect(values.last! < 0.8 * values.first!, "\(name): losses \(values)")
        // Inference (the compiled plan) gives a volume of class scores too.
        #expect(try graph.forward(input, mode: .inference).shape == [1, 2, 16, 16, 16])
    }

    @Test func anisotropicLevelsKeepTheDepthAxis() throws {
        let graph = try ModelZoo.preset(named: "unet3d-anisotropic").makeGraph(PresetOptions(baseFilters: 4))
        func kernel(_ node: String) -> [Int]? {
            switch graph.node(named: node)?.layer {
            case let c as Convolution: return c.configuration.kernelSize
            case let t as TransposedConvolution: return t.configuration.kernelSize
            case let p as MaxPooling: return p.configuration.kernelSize
            default: return nil
            }
        }
        // Levels 1–3 leave depth alone, level 4 and 5 are isotropic.
        #expect(kernel("enc1.conv1") == [1, 3, 3] && kernel("enc3.conv2") == [1, 3, 3])
        #expect(kernel("enc4.conv1") == [3, 3, 3] && kernel("enc5.conv2") == [3, 3, 3])
        #expect(kernel("pool1") == [1, 2, 2] && kernel("pool3") == [1, 2, 2] && kernel("pool4") == [2, 2, 2])
        #expect(kernel("up4") == [2, 2, 2] && kernel("up3") == [1, 2, 2] && kernel("up1") == [1, 2, 2])
        #expect(kernel("dec1.conv1") == [1, 3, 3] && kernel("dec4.conv2") == [3, 3, 3])
        // Depth is pooled once: 8 sections are enough where the width needs 16.
        #expect(try graph.shapes(for: [1, 1, 8, 16, 16]).last == [1, 2, 8, 16, 16])
        #expect(throws: PixelwiseError.self) { try graph.shapes(forInputSize: 24) }  // 24 / 16 is not whole
    }

    @Test func threeDimensionalUNetsNeedSamePadding() {
        var u = UNet(baseFilters: 4)
        u.spatialDimensions = 3
        u.padding = .valid
        #expect(throws: PixelwiseError.self) { try u.makeGraph() }
        var flat = UNet(baseFilters: 4)
        flat.anisotropicLevels = 1
        #expect(throws: PixelwiseError.self) { try flat.makeGraph() }
    }
}
