import Foundation
import Testing
import PixelwiseCore
import PixelwiseNN
@testable import PixelwiseIO
import PixelwiseTestSupport

/// Instance and group normalisation survive a model file: the architecture rebuilds them through
/// `LayerRegistry` with their configuration, and γ, β sit at h5py-style paths `/params/<layer>/weight`
/// and `/params/<layer>/bias` (PyTorch's `state_dict` names), so outputs come back bit for bit.
@Suite(.serialized) struct NormalizationModelFileTests {
    static func network(spatialRank: Int) throws -> Graph {
        let g = Graph(inputChannels: 1, spatialRank: spatialRank)
        let k = [Int](repeating: 3, count: spatialRank)
        var x = try g.add("enc1.conv1", Convolution(Convolution.Configuration(inputChannels: 1, outputChannels: 6, kernelSize: k,
                                                                              padding: .same, bias: false)), g.input)
        x = try g.add("enc1.norm1", InstanceNormalization(channels: 6), x)
        x = try g.add("enc1.relu1", ReLU(), x)
        x = try g.add("enc1.conv2", Convolution(Convolution.Configuration(inputChannels: 6, outputChannels: 6, kernelSize: k, padding: .same)), x)
        x = try g.add("enc1.norm2", GroupNormalization(GroupNormalization.Configuration(groups: 3, channels: 6, epsilon: 1e-3)), x)
        x = try g.add("plain", GroupNormalization(GroupNormalization.Configuration(groups: 2, channels: 6, affine: false)), x)
        try g.add("classifier", Convolution(Convolution.Configuration(inputChannels: 6, outputChannels: 2, kernelSize: [Int](repeating: 1, count: spatialRank))), x)
        g.resetParameters(seed: 4)
        var seed: UInt64 = 40
        for (name, p) in g.parameters where name.contains("norm") {
            seed += 1
            p.value = Tensor.random(p.shape, in: 0.5...1.5, seed: seed)
        }
        return g
    }

    @Test(arguments: [2, 3])
    func roundTrip(_ spatialRank: Int) throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("norms.h5")
        let graph = try Self.network(spatialRank: spatialRank)
        try ModelFile(graph: graph).write(to: path)

        let file = try HDF5File(reading: path)
        let paths = try file.datasetPaths()
        for layer in ["enc1/norm1", "enc1/norm2"] {
            #expect(paths.contains("/params/\(layer)/weight") && paths.contains("/params/\(layer)/bias"), "\(layer)")
            #expect(try file.shape(at: "/params/\(layer)/weight") == [6] && file.shape(at: "/params/\(layer)/bias") == [6])
        }
        #expect(!paths.contains { $0.contains("plain") }, "no parameters without affine")
        #expect(!paths.contains { $0.hasPrefix("/buffers/enc1/norm") }, "no running statistics")

        let back = try ModelFile.read(from: path).makeGraph(path: path)
        #expect(back.nodes.map(\.layer.kind) == graph.nodes.map(\.layer.kind))
        let instance = try #require(back.nodes[1].layer as? InstanceNormalization)
        #expect(instance.configuration == InstanceNormalization.Configuration(channels: 6))
        let group = try #require(back.nodes[4].layer as? GroupNormalization)
        #expect(group.configuration == GroupNormalization.Configuration(groups: 3, channels: 6, epsilon: 1e-3))
        #expect((back.nodes[5].layer as? GroupNormalization)?.configuration.affine == false)
        for ((name, a), (nameBack, b)) in zip(graph.parameters, back.parameters) {
            #expect(name == nameBack && a.value.scalars == b.value.scalars)
        }
        let side = spatialRank == 2 ? [13, 11] : [5, 6, 7]
        let x = Tensor.random(Shape([2, 1] + side), seed: 5)
        for mode in [Mode.inference, .training] {
            #expect(try graph.forward(x, mode: mode).scalars == back.forward(x, mode: mode).scalars, "\(mode)")
        }
    }
}
