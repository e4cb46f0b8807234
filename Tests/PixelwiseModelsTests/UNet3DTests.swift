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

    @Test func threeDimensionalUNetsTakeValidPaddingButNotMagmaDNNUpSampling() throws {
        var u = UNet(depth: 1, baseFilters: 2)
        u.spatialDimensions = 3
        u.padding = .valid
        let graph = try u.makeGraph()
        // 20 → 16 → pool 8 → 4 → ×2 8 → merge with the cropped 16 → 4: MergeCrop in 3-D.
        #expect(try graph.outputShape(for: [1, 1, 20, 20, 20]) == [1, 2, 4, 4, 4])
        #expect(try graph.outputShape(for: [1, 1, 20, 24, 28]) == [1, 2, 4, 8, 12])
        u.upMode = .transposed3x3
        #expect(throws: PixelwiseError.self) { try u.makeGraph() }
        var flat = UNet(baseFilters: 4)
        flat.anisotropicLevels = 1
        #expect(throws: PixelwiseError.self) { try flat.makeGraph() }
        // The preset: Çiçek et al.'s valid 3-D U-Net shapes.
        let preset = try ModelZoo.preset(named: "unet3d-valid").makeGraph(PresetOptions(baseFilters: 2))
        #expect(try preset.outputShape(for: [1, 1, 116, 116, 116]) == [1, 2, 28, 28, 28])
    }

    /// A 3-D U-Net whose kernels are all one section deep (`anisotropicLevels = depth + 1`) is the
    /// 2-D U-Net applied to each section: with the 2-D net's weights it gives the same scores,
    /// for valid and same padding, with resize or transposed up-sampling.
    @Test(arguments: [(Padding.valid, UNet.UpMode.transposed), (.same, .transposed), (.valid, .nearest)])
    func oneSectionDeepKernelsEqualTheTwoDimensionalNetSliceBySlice(padding: Padding, upMode: UNet.UpMode) throws {
        var flat = UNet(depth: 2, baseFilters: 3, padding: padding, batchNorm: true, upMode: upMode)
        let graph2D = try flat.makeGraph(seed: 4)
        flat.spatialDimensions = 3
        flat.anisotropicLevels = flat.depth + 1
        let graph3D = try flat.makeGraph(seed: 9)
        // Same parameter paths, same element order ([O, I, 1, k, k] is [O, I, k, k]); running statistics too.
        let source = Dictionary(uniqueKeysWithValues: (graph2D.parameters + graph2D.buffers).map { ($0.name, $0.parameter) })
        for (name, p) in graph3D.parameters + graph3D.buffers {
            let q = try #require(source[name], "\(name)")
            #expect(p.value.count == q.value.count)
            p.value = Tensor(shape: p.value.shape, scalars: q.value.scalars)
        }
        let (depth, side) = (3, padding == .valid ? 44 : 16)
        let volume = Tensor.random([1, 1, depth, side, side], seed: 6)
        let out3D = try graph3D.forward(volume, mode: .inference)
        let slices = try graph2D.forward(Tensor(shape: [depth, 1, side, side], scalars: volume.scalars), mode: .inference)
        let o = slices.shape[2]
        #expect(out3D.shape == [1, 2, depth, o, o])
        // (1, C, D, h, w) against (D, C, h, w).
        let a = out3D.scalars, b = slices.scalars
        var maxDifference: Float = 0
        for c in 0..<2 { for z in 0..<depth { for i in 0..<(o * o) {
            maxDifference = max(maxDifference, abs(a[(c * depth + z) * o * o + i] - b[(z * 2 + c) * o * o + i]))
        } } }
        #expect(maxDifference < 1e-4)
    }

    /// A valid-padding 3-D U-Net is exact under tiling: blocks equal one untiled pass.
    @Test func validUNetTiledEqualsUntiled() throws {
        var u = UNet(depth: 1, baseFilters: 2, padding: .valid, batchNorm: true)
        u.spatialDimensions = 3
        let graph = try u.makeGraph(seed: 2)
        let extent = [10, 13, 15]
        let raw = Tensor.random(Shape([1, 1] + extent), seed: 8).scalars
        let segmenter = try BlockSegmenter(graph: graph, extent: extent, memoryBudget: 1 << 22, block: [20, 20, 20], overlap: 0.25)
        #expect(segmenter.context == [8, 8, 8] && segmenter.outputBlock == [4, 4, 4])
        var tiled = [Float](repeating: .nan, count: 2 * raw.count)
        let n = raw.count
        try segmenter.segment(origin: [0, 0, 0], size: extent, read: { origin, size in
            var out: [Float] = []
            for z in 0..<size[0] { for y in 0..<size[1] { for x in 0..<size[2] {
                out.append(raw[((origin[0] + z) * extent[1] + origin[1] + y) * extent[2] + origin[2] + x])
            } } }
            return out
        }, write: { values, origin, size in
            var i = 0
            for c in 0..<2 { for z in 0..<size[0] { for y in 0..<size[1] { for x in 0..<size[2] {
                tiled[c * n + ((origin[0] + z) * extent[1] + origin[1] + y) * extent[2] + origin[2] + x] = values[i]
                i += 1
            } } } }
        })
        // Untiled: the whole volume mirrored by the context, rounded up to a size the net takes.
        var window = extent.map { $0 + 16 }
        for a in 0..<3 { while (window[a] - 16) % 2 != 0 || window[a] % 2 != 0 { window[a] += 1 } }
        var values: [Float] = []
        for z in 0..<window[0] { for y in 0..<window[1] { for x in 0..<window[2] {
            let (sz, sy, sx) = (TiledSegmenter.reflect(z - 8, extent[0]), TiledSegmenter.reflect(y - 8, extent[1]), TiledSegmenter.reflect(x - 8, extent[2]))
            values.append(raw[(sz * extent[1] + sy) * extent[2] + sx])
        } } }
        let out = try graph.forward(Tensor(shape: Shape([1, 1] + window), scalars: values), mode: .inference)
        let p = TiledSegmenter.probabilities(out), os = Array(out.shape.dims.dropFirst(2))
        var maxDifference: Float = 0
        for c in 0..<2 { for z in 0..<extent[0] { for y in 0..<extent[1] { for x in 0..<extent[2] {
            let t = tiled[c * n + (z * extent[1] + y) * extent[2] + x]
            maxDifference = max(maxDifference, abs(t - p[((c * os[0] + z) * os[1] + y) * os[2] + x]))
        } } } }
        #expect(maxDifference < 1e-5)
    }
}
