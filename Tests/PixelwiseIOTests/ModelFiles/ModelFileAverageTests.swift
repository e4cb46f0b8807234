import Foundation
import Testing
import PixelwiseCore
import PixelwiseNN
@testable import PixelwiseIO
import PixelwiseTestSupport

/// `ModelFile.weightedAverage`: every parameter and buffer is Σ wᵢ · valueᵢ (checked value by
/// value), the result loads into the network and names its inputs, and models of other networks
/// or other data conventions, or weights that do not sum to 1, are one-line errors.
@Suite struct ModelFileAverageTests {
    static func network(channels: Int = 4, seed: UInt64, metadata: [String: String] = [:]) throws -> Graph {
        let g = Graph(inputChannels: 1, spatialRank: 2)
        var x = try g.add("enc1.conv1", Convolution(Convolution.Configuration(inputChannels: 1, outputChannels: channels, kernelSize: [3, 3],
                                                                              padding: .same, bias: true)), g.input)
        x = try g.add("enc1.bn1", BatchNormalization(BatchNormalization.Configuration(channels: channels)), x)
        try g.add("classifier", Convolution(Convolution.Configuration(inputChannels: channels, outputChannels: 2, kernelSize: [1, 1])), x)
        g.resetParameters(seed: seed)
        // Every value random (biases start at 0 and γ at 1 for any seed), running variances positive.
        for (index, (_, p)) in (g.parameters + g.buffers).enumerated() {
            p.value = Tensor.random(p.shape, in: 0.5...2, seed: seed * 100 + UInt64(index))
        }
        g.metadata = ["model": "tiny", "label_map": "membrane=0 cell=255", "seed": String(seed)].merging(metadata) { $1 }
        return g
    }

    @Test func everyValueIsTheWeightedSum() throws {
        let a = try ModelFile(graph: Self.network(seed: 1)), b = try ModelFile(graph: Self.network(seed: 2))
        let averaged = try ModelFile.weightedAverage(of: [("runs/a.h5", a), ("runs/b.h5", b)], weights: [0.25, 0.75])
        #expect(averaged.parameters.map(\.name) == a.parameters.map(\.name))
        #expect(averaged.buffers.map(\.name) == a.buffers.map(\.name) && !a.buffers.isEmpty)
        for (group, x, y, z) in [("parameter", a.parameters, b.parameters, averaged.parameters), ("buffer", a.buffers, b.buffers, averaged.buffers)] {
            for ((name, va), ((_, vb), (_, vz))) in zip(x, zip(y, z)) {
                #expect(vz.shape == va.shape)
                let expected = zip(va.scalars, vb.scalars).map { Float(0.25 * Double($0) + 0.75 * Double($1)) }
                #expect(vz.scalars == expected, "\(group) \(name)")
                #expect(vz.scalars != va.scalars && vz.scalars != vb.scalars, "\(group) \(name) is an average, not a copy")
            }
        }
        #expect(averaged.optimizerState == nil && averaged.optimizerStep == nil && averaged.trainerState == nil)
        let architecture = try Architecture(jsonText: averaged.architecture)
        #expect(architecture.metadata["averaged_from"] == "0.25 × a.h5 + 0.75 × b.h5")
        #expect(architecture.metadata["label_map"] == "membrane=0 cell=255")

        // Written and read back, it is a model like any other; a second average of it is allowed.
        let scratch = try ScratchFolder()
        try averaged.write(to: scratch.file("avg.h5"))
        let back = try ModelFile.read(from: scratch.file("avg.h5"))
        let graph = try back.makeGraph(path: scratch.file("avg.h5"))
        #expect(graph.parameters.first { $0.name == "enc1.conv1.weight" }?.parameter.value.scalars
                == averaged.parameters.first { $0.name == "enc1.conv1.weight" }?.value.scalars)
        let again = try ModelFile.weightedAverage(of: [("avg.h5", back), ("a.h5", a), ("b.h5", b)], weights: [0.5, 0.25, 0.25])
        #expect(try Architecture(jsonText: again.architecture).metadata["averaged_from"] == "0.5 × avg.h5 + 0.25 × a.h5 + 0.25 × b.h5")
    }

    @Test func weightsAreChecked() throws {
        let a = try ModelFile(graph: Self.network(seed: 1)), b = try ModelFile(graph: Self.network(seed: 2))
        let cases: [([Double], String)] = [
            ([0.5, 0.4], "weights must sum to 1, they sum to 0.9"),
            ([1.5, -0.5], "weights must be finite and non-negative, got -0.5"),
            ([1], "2 models but 1 weights; give one weight per model"),
        ]
        for (weights, message) in cases {
            #expect { try ModelFile.weightedAverage(of: [("a.h5", a), ("b.h5", b)], weights: weights) } throws: {
                ($0 as? PixelwiseError)?.description == message
            }
        }
        #expect { try ModelFile.weightedAverage(of: [("a.h5", a)], weights: [1]) } throws: {
            ($0 as? PixelwiseError)?.description == "averaging needs at least two models, got 1"
        }
    }

    @Test func onlyOneNetworkAndOneDataConvention() throws {
        let a = try ModelFile(graph: Self.network(seed: 1))
        let wider = try ModelFile(graph: Self.network(channels: 6, seed: 2))
        #expect { try ModelFile.weightedAverage(of: [("a.h5", a), ("wide.h5", wider)], weights: [0.5, 0.5]) } throws: {
            ($0 as? PixelwiseError)?.description == "wide.h5: not the network of a.h5 (layer enc1.conv1 is configured differently); "
                + "only models of one network and one data convention can be averaged"
        }
        let otherClasses = try ModelFile(graph: Self.network(seed: 2, metadata: ["label_map": "membrane=0 glia=159 cell=255"]))
        #expect { try ModelFile.weightedAverage(of: [("a.h5", a), ("c.h5", otherClasses)], weights: [0.5, 0.5]) } throws: {
            ($0 as? PixelwiseError)?.description == "c.h5: not the network of a.h5 (its label_map is membrane=0 glia=159 cell=255 instead of "
                + "membrane=0 cell=255); only models of one network and one data convention can be averaged"
        }
        var missing = try ModelFile(graph: Self.network(seed: 3))
        missing.buffers.removeLast()
        #expect { try ModelFile.weightedAverage(of: [("a.h5", a), ("m.h5", missing)], weights: [0.5, 0.5]) } throws: {
            ($0 as? PixelwiseError)?.description == "m.h5: has no buffer \(a.buffers.last!.name), which a.h5 has"
        }
    }
}
