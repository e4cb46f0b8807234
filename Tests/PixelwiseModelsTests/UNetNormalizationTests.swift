import Testing
import PixelwiseCore
import PixelwiseNN
@testable import PixelwiseModels

/// The `norm` option of the U-Net: batch, instance, group or none, with stable layer names.
@Suite struct UNetNormalizationTests {
    static let norms: [UNet.Normalization] = [.none, .batch, .instance, .group(), .group(groups: 4)]

    /// Depth 2, 8 → 32 filters, one input channel, two classes: ten 3×3 convolutions in the blocks
    /// (outputs 8, 8, 16, 16, 32, 32, 16, 16, 8, 8 = 160 channels), two 2×2 up-convolutions and the classifier.
    static func small(_ norm: UNet.Normalization) -> UNet {
        UNet(depth: 2, baseFilters: 8, padding: .same, norm: norm)
    }

    static let blockWeights = 1 * 8 * 9 + 8 * 8 * 9 + 8 * 16 * 9 + 16 * 16 * 9 + 16 * 32 * 9 + 32 * 32 * 9
        + 32 * 16 * 9 + 16 * 16 * 9 + 16 * 8 * 9 + 8 * 8 * 9
    static let upAndClassifier = (32 * 16 * 4 + 16) + (16 * 8 * 4 + 8) + (8 * 2 + 2)

    @Test(arguments: norms)
    func parameterNamesAndCounts(_ norm: UNet.Normalization) throws {
        let graph = try Self.small(norm).makeGraph(seed: 1)
        let names = Set(graph.parameters.map(\.name))
        let convolutionBiases = names.contains("enc1.conv1.bias")
        let normParameters: Int
        switch norm {
        case .none:
            normParameters = 0
            #expect(convolutionBiases && !names.contains { $0.contains(".bn") || $0.contains(".norm") })
        case .batch:
            normParameters = 2 * 160
            #expect(!convolutionBiases && names.contains("enc1.bn1.weight") && names.contains("dec1.bn2.bias"))
            #expect(graph.buffers.map(\.name).contains("enc3.bn2.running_var"))
        case .instance, .group:
            normParameters = 2 * 160
            #expect(convolutionBiases == (norm != .instance), "instance norm drops the convolution biases, group norm keeps them")
            #expect(names.contains("enc1.norm1.weight") && names.contains("dec1.norm2.bias") && graph.buffers.isEmpty)
            #expect(!names.contains { $0.contains(".bn") })
        }
        let biases = convolutionBiases ? 160 : 0
        #expect(graph.parameterCount == Self.blockWeights + biases + normParameters + Self.upAndClassifier, "\(norm)")

        let kinds = graph.nodes.filter { $0.name.contains(".norm") || $0.name.contains(".bn") }.map(\.layer.kind)
        #expect(kinds.count == (norm == .none ? 0 : 10))
        let expectedKind = [UNet.Normalization.batch: "BatchNormalization", .instance: "InstanceNormalization"][norm] ?? "GroupNormalization"
        #expect(kinds.allSatisfy { $0 == expectedKind })
    }

    /// Default group count gcd(32, C): 8, 16 and 32 groups at 8, 16 and 32 channels; 32 at 64; a
    /// given count everywhere.
    @Test func groupCounts() throws {
        func groups(_ u: UNet, _ node: String) throws -> Int {
            let graph = try u.makeGraph(seed: 1)
            return try #require(graph.nodes.first { $0.name == node }?.layer as? GroupNormalization).configuration.groups
        }
        let automatic = Self.small(.group())
        #expect(try groups(automatic, "enc1.norm1") == 8 && groups(automatic, "enc3.norm2") == 32)
        var wide = UNet(depth: 1, baseFilters: 64, norm: .group())
        #expect(try groups(wide, "enc2.norm1") == 32)
        wide.baseFilters = 24
        #expect(try groups(wide, "enc1.norm1") == 8 && groups(wide, "enc2.norm1") == 16)
        #expect(try groups(Self.small(.group(groups: 4)), "enc3.norm1") == 4)
        #expect(throws: PixelwiseError.self) { try Self.small(.group(groups: 16)).makeGraph() }
    }

    /// Every norm trains: on a fixed batch of two 16×16 patterns, 12 Adam steps lower the loss by
    /// at least 30 %.
    @Test(arguments: norms)
    func trainsOnAFixedBatch(_ norm: UNet.Normalization) throws {
        let graph = try Self.small(norm).makeGraph(seed: 3)
        let size = 16
        var raw = [Float](), labels = [Int32]()
        for sample in 0..<2 { for y in 0..<size { for x in 0..<size {
            let inside = ((x + sample * 2) / 4 + y / 4) % 2 == 0
            raw.append((inside ? 0.7 : -0.5) + Float((x * 7 + y * 13 + sample) % 5) * 0.06)
            labels.append(inside ? 1 : 0)
        } } }
        let input = Tensor(shape: [2, 1, size, size], scalars: raw)
        var optimizer = Adam(learningRate: 0.01)
        let loss = SoftmaxCrossEntropy()
        var values: [Float] = []
        for _ in 0..<12 {
            graph.zeroGradients()
            let (value, gradient) = try loss.evaluate(try graph.forward(input, mode: .training), Target(labels: labels))
            values.append(value)
            try graph.backward(gradient)
            optimizer.update(graph.parameters)
        }
        #expect(values.allSatisfy { $0.isFinite })
        #expect(values.last! < 0.7 * values.first!, "\(norm): loss \(values.first!) → \(values.last!)")
    }

    /// The 3-D U-Net takes every norm too (forward and backward at 8³).
    @Test(arguments: [UNet.Normalization.instance, .group()])
    func volumes(_ norm: UNet.Normalization) throws {
        let preset = try ModelZoo.preset(named: "unet3d")
        let graph = try preset.makeGraph(PresetOptions(baseFilters: 2, norm: norm))
        #expect(graph.nodes.contains { $0.name == "enc1.norm1" } && graph.metadata["norm"] == norm.description)
        let x = Tensor.random([1, 1, 8, 8, 8], seed: 2)
        let y = try graph.forward(x, mode: .training)
        #expect(y.shape == [1, 2, 8, 8, 8])
        try graph.backward(Tensor(repeating: 0.1, shape: y.shape))
        #expect(graph.parameters.first { $0.name == "enc1.norm1.weight" }?.parameter.gradient != nil)
    }

    /// Presets without `norm` are what they always were; `norm: batch` on a batch-norm preset
    /// changes nothing (same architecture, same outputs bit for bit); non-U-Nets refuse the option.
    @Test func presetsUnchanged() throws {
        for name in ["unet", "resunet", "magmadnn-unet"] {
            let preset = try ModelZoo.preset(named: name)
            let plain = try preset.build(PresetOptions(baseFilters: 4))
            let batch = try preset.build(PresetOptions(baseFilters: 4, norm: .batch))
            #expect(try Architecture(plain).jsonText() == Architecture(batch).jsonText(), "\(name)")
            #expect(plain.parameters.map(\.name) == batch.parameters.map(\.name))
            let x = Tensor.random([1, 1, 32, 32], seed: 9)
            #expect(try plain.forward(x).scalars == batch.forward(x).scalars, "\(name)")
        }
        let resunet = try ModelZoo.preset(named: "resunet").build(PresetOptions(baseFilters: 4, norm: .instance))
        #expect(resunet.nodes.contains { $0.name == "enc2.shortcut.norm" } && !resunet.nodes.contains { $0.name.contains(".bn") })
        #expect(try ModelZoo.preset(named: "intel-unet").build(PresetOptions(baseFilters: 4)).nodes.allSatisfy { !$0.name.contains("norm") })
        for name in ["sw-net", "sk-net", "usk-net"] {
            #expect(throws: PixelwiseError.self) { try ModelZoo.preset(named: name).build(PresetOptions(norm: .instance)) }
        }
        #expect(UNet(batchNorm: true).norm == .batch && UNet().norm == .none)
    }

    @Test func parsing() throws {
        for norm in Self.norms { #expect(try UNet.Normalization(parsing: norm.description) == norm) }
        #expect(try UNet.Normalization(parsing: "Instance") == .instance)
        #expect(try UNet.Normalization(parsing: "group:8") == .group(groups: 8))
        for bad in ["layer", "group:0", "group:x", ""] {
            #expect(throws: PixelwiseError.self, "\(bad)") { try UNet.Normalization(parsing: bad) }
        }
    }
}
