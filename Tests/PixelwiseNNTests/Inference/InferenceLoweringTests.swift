import PixelwiseCore
import PixelwiseKernels
import Testing
@testable import PixelwiseNN

/// Layers defined outside the library lower through `InferenceLowering` alone: the plan names no layer type.
@Suite struct InferenceLoweringTests {
    /// y = 1 / (1 + e^−x) declared only as an activation role: the plan fuses it into the convolution before it.
    final class OwnSigmoid: ShapePreservingLayer {
        struct Configuration: Codable, Equatable, Sendable {}
        static let kind = "OwnSigmoid"
        let configuration: Configuration
        init(_ configuration: Configuration = .init()) { self.configuration = configuration }
        func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor { try EltwiseKernel.forward(.sigmoid, inputs[0]) }
        func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
            [try EltwiseKernel.backward(.sigmoid, gradient, data: output)]
        }
        func fusionRole(for inputs: [Shape]) -> FusionRole { .activation(.sigmoid) }
    }

    /// y = 2x with no lowering of its own: the default runs its forward as a fallback step.
    final class Twice: ShapePreservingLayer {
        struct Configuration: Codable, Equatable, Sendable {}
        static let kind = "Twice"
        let configuration: Configuration
        init(_ configuration: Configuration = .init()) { self.configuration = configuration }
        func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
            Tensor(shape: inputs[0].shape, scalars: inputs[0].scalars.map { 2 * $0 })
        }
        func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
            [Tensor(shape: gradient.shape, scalars: gradient.scalars.map { 2 * $0 })]
        }
    }

    @Test func ownLayersFuseOrFallBackThroughTheirRoles() throws {
        let g = Graph(inputChannels: 3)
        var x = try g.add("c1", Convolution(inputChannels: 3, outputChannels: 16, kernelSize: 3), g.input)
        x = try g.add("c1.act", OwnSigmoid(), x)
        x = try g.add("twice", Twice(), x)
        x = try g.add("alone", OwnSigmoid(), x)  // after a non-convolution: its own element-wise step
        try g.add("head", Convolution(inputChannels: 16, outputChannels: 2, kernelSize: 1), x)
        g.resetParameters(seed: 5)
        let input = Tensor.random([1, 3, 12, 12], seed: 6)
        let expected = try InferencePlanTests.reference(g, input)
        let plan = try g.inferencePlan(for: input.shape, precision: .float32)
        #expect(plan.program.stepNames.filter { !$0.hasSuffix("(reorder)") } == ["c1+c1.act", "twice", "alone", "head"])
        #expect(try plan.run(input).maxAbsDifference(expected) <= 1e-5 * max(expected.maxAbs, 1))
    }

    /// A layer that fails: the graph adds the node's name and keeps the error's kind.
    final class Refusing: ShapePreservingLayer {
        struct Configuration: Codable, Equatable, Sendable {}
        static let kind = "Refusing"
        let configuration: Configuration
        init(_ configuration: Configuration = .init()) { self.configuration = configuration }
        func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
            throw PixelwiseError.backend(BackendFailure(.unimplemented, operation: "oneDNN something"))
        }
        func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
            throw PixelwiseError.invalidArgument("no gradient")
        }
    }

    @Test func graphErrorsKeepTheirKind() throws {
        let g = Graph(inputChannels: 1)
        try g.add("refuse", Refusing(), g.input)
        let input = Tensor.random([1, 1, 4, 4], seed: 1)
        for strategy in [Graph.InferenceStrategy.layerByLayer, .planned(.float32)] {
            g.inferenceStrategy = strategy
            #expect(throws: PixelwiseError.backend(BackendFailure(.unimplemented, operation: "refuse: oneDNN something"))) {
                try g.forward(input, mode: .inference)
            }
        }
        #expect(throws: PixelwiseError.backend(BackendFailure(.unimplemented, operation: "refuse: oneDNN something"))) {
            try g.forward(input, mode: .training)
        }
    }
}
