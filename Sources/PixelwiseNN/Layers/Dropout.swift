import PixelwiseCore
import PixelwiseKernels

/// Inverted dropout: in training each element is kept with probability 1 − p and scaled by
/// 1/(1 − p), so inference is the identity. dL/dx = dL/dy · mask / (1 − p).
/// The mask comes from the layer's own seeded generator, so runs are reproducible.
public final class Dropout: ShapePreservingLayer {
    public struct Configuration: Codable, Equatable, Sendable {
        public var probability: Float
        public init(probability: Float) { self.probability = probability }
    }

    public static let kind = "Dropout"
    public let configuration: Configuration
    public var generator = SeededGenerator(seed: 0x5EED)
    private var mask: Tensor?

    public init(_ configuration: Configuration) throws {
        guard (0..<1).contains(configuration.probability) else {
            throw PixelwiseError.invalidArgument("Dropout: probability \(configuration.probability) must be in [0, 1)")
        }
        self.configuration = configuration
    }

    public convenience init(probability: Float) throws { try self.init(Configuration(probability: probability)) }

    public func resetParameters(using g: inout SeededGenerator) { generator = SeededGenerator(seed: g.next()) }

    public func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
        let x = inputs[0]
        guard mode == .training, configuration.probability > 0 else { return x }
        let keep = 1 - configuration.probability, scale = 1 / keep
        var m = Tensor(uninitialized: x.shape, layout: x.layout)
        m.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = generator.nextUniform() < keep ? scale : 0 }
        }
        mask = m
        return multiply(x, m)
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        guard configuration.probability > 0 else { return [gradient] }
        guard let mask else { throw PixelwiseError.invalidArgument("Dropout backward without a training forward") }
        return [multiply(gradient, mask)]
    }

    private func multiply(_ a: Tensor, _ b: Tensor) -> Tensor {
        var out = a.inLayout(b.layout)
        out.withUnsafeMutableBufferPointer { o in b.withUnsafeBufferPointer { m in for i in 0..<o.count { o[i] *= m[i] } } }
        return out
    }

    public var randomGenerator: SeededGenerator? {
        get { generator }
        set { if let newValue { generator = newValue } }
    }

    /// The identity in inference: no step.
    public func lower(_ inputs: [InferenceProgram.Value], into plan: LoweringContext) throws -> InferenceProgram.Value { inputs[0] }
}
