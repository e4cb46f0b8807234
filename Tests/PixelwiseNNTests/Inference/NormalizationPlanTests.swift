import Testing
@testable import PixelwiseNN
import PixelwiseTestSupport
import PixelwiseCore

/// Instance and group normalisation inside a compiled inference plan: the plan's output matches
/// the double-precision reference and the layer-by-layer forward, in 2-D and 3-D.
@Suite struct NormalizationPlanTests {
    /// conv → instance norm → ReLU → conv → group norm → ReLU → 1×1 conv: the norms sit between
    /// steps the plan fuses, so they must not be folded into or skipped by the convolutions.
    static func network(spatialRank: Int) throws -> Graph {
        let g = Graph(inputChannels: 2, spatialRank: spatialRank)
        let k = [Int](repeating: 3, count: spatialRank), one = [Int](repeating: 1, count: spatialRank)
        var x = try g.add("c1", Convolution(Convolution.Configuration(inputChannels: 2, outputChannels: 8, kernelSize: k, padding: .same)), g.input)
        x = try g.add("c1.norm", InstanceNormalization(channels: 8), x)
        x = try g.add("c1.relu", ReLU(), x)
        x = try g.add("c2", Convolution(Convolution.Configuration(inputChannels: 8, outputChannels: 8, kernelSize: k, padding: .same)), x)
        x = try g.add("c2.norm", GroupNormalization(groups: 4, channels: 8), x)
        x = try g.add("c2.relu", ReLU(), x)
        try g.add("head", Convolution(Convolution.Configuration(inputChannels: 8, outputChannels: 3, kernelSize: one)), x)
        g.resetParameters(seed: 11)
        var seed: UInt64 = 200
        for (name, p) in g.parameters where name.contains("norm") {
            seed += 1
            p.value = Tensor.random(p.shape, in: name.hasSuffix("weight") ? 0.5...1.5 : -0.5...0.5, seed: seed)
        }
        return g
    }

    @Test(arguments: [[2, 2, 19, 23], [1, 2, 6, 9, 7]])
    func planMatchesLayerByLayer(_ shape: [Int]) throws {
        let g = try Self.network(spatialRank: shape.count - 2)
        let x = Tensor.random(Shape(shape), seed: 12)
        let expected = try InferencePlanTests.reference(g, x)
        let plan = try g.inferencePlan(for: x.shape, precision: .float32)
        let y = try plan.run(x)
        #expect(y.shape == expected.shape)
        #expect(y.maxAbsDifference(expected) <= 1e-4 * max(expected.maxAbs, 1))
        // The norms are native steps of their own: nothing was fused across them.
        #expect(plan.program.groupNormStepNames == ["c1.norm", "c2.norm"])
        #expect(!plan.program.stepNames.contains { $0.contains("+c1.norm") || $0.contains("+c2.norm") })
        // New γ, β after the plan was built: the next run uses them.
        for (name, p) in g.parameters where name.contains("norm") {
            p.value = Tensor(shape: p.shape, scalars: p.value.scalars.map { name.hasSuffix("weight") ? 2 * $0 : $0 - 0.25 })
        }
        let changed = try InferencePlanTests.reference(g, x)
        #expect(changed.maxAbsDifference(expected) > 0.1)
        #expect(try plan.run(x).maxAbsDifference(changed) <= 1e-4 * max(changed.maxAbs, 1))
        // And the graph's own planned inference gives the same.
        #expect(try g.forward(x, mode: .inference).maxAbsDifference(changed) <= 1e-4 * max(changed.maxAbs, 1))
    }

    /// bf16 plans run the norms as fallback steps (the kernel is fp32), within bf16's rounding.
    @Test func bfloat16PlanFallsBack() throws {
        let g = try Self.network(spatialRank: 2)
        let x = Tensor.random([1, 2, 16, 20], seed: 14)
        let expected = try InferencePlanTests.reference(g, x)
        let plan = try g.inferencePlan(for: x.shape, precision: .bfloat16)
        guard plan.precision == .bfloat16 else { return }  // a CPU without bf16 runs fp32
        #expect(plan.program.groupNormStepNames.isEmpty && plan.program.stepNames.contains("c1.norm"))
        #expect(try plan.run(x).maxAbsDifference(expected) <= 5e-2 * max(expected.maxAbs, 1))
    }

    /// A plan of norms only, against the double-precision reference directly.
    @Test func normsOnlyPlanMatchesReference() throws {
        let g = Graph(inputChannels: 6, spatialRank: 3)
        let norm = try g.add("gn", GroupNormalization(groups: 3, channels: 6), g.input)
        try g.add("in", InstanceNormalization(channels: 6), norm)
        var seed: UInt64 = 300
        for (name, p) in g.parameters {
            seed += 1
            p.value = Tensor.random(p.shape, in: name.hasSuffix("weight") ? 0.5...1.5 : -0.5...0.5, seed: seed)
        }
        let shape = [2, 6, 5, 7, 3]
        let x = Tensor.random(Shape(shape), in: -2...3, seed: 13)
        let values = g.parameters.map { $0.parameter.value.scalars.doubles }
        let middle = GroupNormReference.forward(x.scalars.doubles, shape: shape, groups: 3, scale: values[0], shift: values[1], epsilon: 1e-5)
        let expected = GroupNormReference.forward(middle, shape: shape, groups: 6, scale: values[2], shift: values[3], epsilon: 1e-5)
        let plan = try g.inferencePlan(for: x.shape, precision: .float32)
        #expect(plan.program.groupNormStepNames == ["gn", "in"])
        expectClose(try plan.run(x).scalars, expected, tolerance: 1e-5, "norms-only plan")
    }
}
